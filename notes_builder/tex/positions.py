"""Character offsets to 1-based (line, column): the one mapping every located message goes through.

Columns count characters (not bytes), as editors and `file:line:col` links do.
"""

from __future__ import annotations

import bisect
import re

_NEWLINE = re.compile(r"\n")


class LineIndex:
    """A text's line starts, for many offset -> (line, column) look-ups in it (a Markdown file)."""

    def __init__(self, text: str):
        self.line_starts = [0] + [match.end() for match in _NEWLINE.finditer(text)]
        self.length = len(text)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of the character at `offset`."""
        index = bisect.bisect_right(self.line_starts, offset) - 1
        return index + 1, offset - self.line_starts[index] + 1

    def line_offset(self, line: int) -> int:
        """Offset of the start of a 0-based line (clamped to the end of the text)."""
        if line >= len(self.line_starts):
            return self.length
        return self.line_starts[line]


def position_after(text: str, index: int, line: int = 1, column: int = 1) -> tuple[int, int]:
    """(line, column) of `text[index]` when `text[0]` is at (`line`, `column`) of a file: one look-up in a piece
    of a file (a code block, a prose run) whose start is known."""
    newlines = text.count("\n", 0, index)
    if not newlines:
        return line, column + index
    return line + newlines, index - text.rfind("\n", 0, index)
