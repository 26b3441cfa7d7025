"""Reading the file (NB100, and NB135 for a `$` never closed): a file that cannot be parsed as notes.

`parse_lenient` is the source check: an unclosed `$` becomes a finding and the rest of the file is still checked.
"""

from __future__ import annotations

from pathlib import Path

from notes_builder.config import read_text
from notes_builder.content import Section, SourceFile, parse_section
from notes_builder.errors import ConfigError, ContentError, Diagnostic, Location
from notes_builder.lint.located import diagnostic
from notes_builder.lint.registry import rule

_UNCLOSED_DOLLAR = ("unclosed '$'", "unclosed '$$'")  # content.py's message for math never closed


def parse_error(path: Path, error: ContentError, display: bool = False) -> Diagnostic:
    """An error of the gather stage as NB100 (NB135 for an unclosed `$`). `display`: the unclosed `$` opens `$$`,
    so the message names `$$` (what the user must close)."""
    code = "NB135" if error.message.startswith(_UNCLOSED_DOLLAR) else "NB100"
    location = error.location or Location(path, 1, 1)
    line, column = location.line or 1, location.column or 1
    message = error.message
    if display:
        message = "unclosed '$$': display math started here is never closed (close it with a matching '$$')"
    width = 2 if display else 1
    return diagnostic(code, location.path, line, column, line, column + width, message)


@rule('NB100', 'parse-error', 'error',
      'The Markdown file could not be read as notes.',
      'The gather stage stopped on this file, so none of its math was checked.',
      '(a file the gather stage rejects)',
      '(fix the reported problem)', scope="source", derails_tex=True)
def parse_lenient(path: Path, text: str | None = None) -> tuple[Section | None, list[Diagnostic]]:
    """Parse a section; an unclosed `$` becomes a finding and the rest of the file is still checked."""
    try:
        original = read_text(path) if text is None else text
    except ConfigError as error:  # not UTF-8: a finding at the byte, and the other files are still linted
        return None, [parse_error(path, ContentError(error.message, error.location, hint=error.hint))]
    current = original
    errors: list[Diagnostic] = []
    for _ in range(50):
        try:
            section = parse_section(path, current)
        except ContentError as error:
            at = error.location
            if not error.message.startswith(_UNCLOSED_DOLLAR) or at is None or not at.line:
                return None, [*errors, parse_error(path, error)]
            source = SourceFile(path, current)
            offset = source.line_offset(at.line - 1) + max(0, at.column - 1)
            if current[offset:offset + 1] != "$":
                return None, [*errors, parse_error(path, error)]
            width = 2 if current[offset:offset + 2] == "$$" else 1  # `$$`: one finding, not one per '$'
            errors.append(parse_error(path, error, display=width == 2))
            # same length: offsets stay valid
            current = current[:offset] + "\u00a4" * width + current[offset + width:]
            continue
        section.source.text = original
        return section, errors
    return None, errors
