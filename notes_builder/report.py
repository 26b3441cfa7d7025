"""Printing diagnostics for people: `file:line:col: kind: message`, the source line, a caret, advice.

Shared by every command so that build errors, TeX errors and lint findings look the same.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from notes_builder.errors import Location, NotesError

# emoji=False: a line of notes such as `:tada:` or `1:x:2` is shown as written, not as an emoji
stderr = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
stdout = Console(highlight=False, soft_wrap=True, emoji=False)


@lru_cache(maxsize=64)
def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def forget_sources() -> None:
    """Drop remembered source lines (a long-running `notes watch` shows files as they are now)."""
    _lines.cache_clear()


def display_path(path: Path) -> str:
    """Paths relative to the working folder when inside it, as compilers print them."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def format_location(location: Location | None) -> str:
    if location is None:
        return ""
    shown = Location(Path(display_path(location.path)), location.line, location.column)
    return f"{shown}: "


def source_excerpt(location: Location | None, width: int = 1) -> list[str]:
    """The user's line with a caret under the column (nothing when the line is unknown)."""
    if location is None or location.line <= 0:
        return []
    lines = _lines(location.path)
    if location.line > len(lines):
        return []
    text = lines[location.line - 1].replace("\t", " ")
    if len(text) > 160:  # keep extremely long lines readable: a window around the column
        start = max(0, location.column - 60)
        text = ("…" if start else "") + text[start:start + 120] + "…"
        column = location.column - start + (1 if start else 0)
    else:
        column = location.column
    excerpt = [f"  {text}"]
    if column > 0:
        underlined = text[column - 1:column - 1 + max(1, width)]
        marks = "^" + "~" * max(0, _width(underlined) - 1)
        excerpt.append("  " + " " * _width(text[:column - 1]) + marks)
    return excerpt


def _width(text: str) -> int:
    """Terminal columns: Chinese and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 0 if unicodedata.combining(char) else 1
               for char in text)


def print_diagnostic(location: Location | None, kind: str, message: str, hint: str | None = None,
                     width: int = 1, console: Console = stderr, code: str = "") -> None:
    """`file:line:col: kind: message` (or, with a lint `code`, `file:line:col: CODE message`) + excerpt."""
    colour = {"error": "red", "warning": "yellow"}.get(kind, "cyan")
    label = f"[bold {colour}]{escape(code)}[/bold {colour}]" if code else f"[{colour}]{kind}:[/{colour}]"
    console.print(f"[bold]{escape(format_location(location))}[/bold]{label} {escape(message)}")
    for line in source_excerpt(location, width):
        console.print(escape(line), style="dim" if not line.strip().startswith("^") else "green")
    if hint:
        console.print(f"  [cyan]hint:[/cyan] {escape(hint)}")


def print_error(error: NotesError) -> None:
    print_diagnostic(error.location, error.kind, error.message, error.hint)
    for diagnostic in getattr(error, "diagnostics", []) or []:
        print_diagnostic(diagnostic.location, diagnostic.kind, diagnostic.message, diagnostic.hint)
    log_path = getattr(error, "log_path", None)
    if log_path:
        stderr.print(f"  full log: {escape(display_path(log_path))}")


def info(message: str) -> None:
    stderr.print(escape(message))

