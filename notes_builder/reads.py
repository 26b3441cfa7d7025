"""Which user files a command read, and what it read in them: for a record that must know when to look again
(lint/record.py). The stages that read the notes' own files (config.read_text, the `.bib` reader) call `note`;
nothing is kept unless a caller is `recording`. Imports nothing, so that `notes lint` can start light.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator
from pathlib import Path

CHANGED = (-1, -1)  # the fingerprint of a file that changed while the command read it: matches no file
UNREADABLE = (-2, -2)  # of a file it could not read
# path -> (size, CRC-32) of the bytes read, while a `recording` block runs
_read: dict[Path, tuple[int, int]] | None = None


def fingerprint(data: bytes) -> tuple[int, int]:
    """What a record compares a file by: its size and CRC-32 (its content, not its time: an edit saved within
    the file system's time resolution, or a file put back as it was, is judged by what it holds)."""
    return len(data), zlib.crc32(data)


def note(path: Path, data: bytes) -> None:
    """`path` was read and held `data`."""
    if _read is not None:
        found = fingerprint(data)
        if _read.setdefault(path, found) != found:  # read twice, changed in between: no record can tell what it saw
            _read[path] = CHANGED


def note_unreadable(path: Path) -> None:
    """`path` could not be read (no permission, say): what the command found depends on that too."""
    if _read is not None:
        _read[path] = UNREADABLE


@contextlib.contextmanager
def recording() -> Iterator[dict[Path, tuple[int, int]]]:
    """Collect what `note` is told inside the block."""
    global _read
    _read = {}
    try:
        yield _read
    finally:
        _read = None
