"""Printing diagnostics for people: `file:line:col: kind: message`, the source line, a caret, advice.

Shared by every command so that build errors, TeX errors and lint findings look the same. Only the command line
(cli.py, lint/cli.py, the watch loop) calls it: library code returns diagnostics. Text is built as one string and
written once (click.echo colours it on a terminal only); no rich here, whose import cost every command 40 ms.
"""

from __future__ import annotations

import os
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import click

from notes_builder.errors import Diagnostic, Location, NotesError

if TYPE_CHECKING:  # for the type only: `notes lint` imports this module and needs nothing of the build
    from notes_builder.manifest import BuildResult


class Stream:
    """stdout or stderr: `print` writes one block of text at once; ANSI styles are dropped off a terminal."""

    def __init__(self, err: bool):
        self.err = err

    def print(self, text: str) -> None:
        click.echo(text, err=self.err)


stderr = Stream(err=True)
stdout = Stream(err=False)


@lru_cache(maxsize=64)
def source_lines(path: Path) -> list[str]:
    """A user's file as lines, read once until forget_sources() (excerpts, and watch's keys of warnings)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def forget_sources() -> None:
    """Drop remembered source lines (a long-running `notes watch` shows files as they are now)."""
    source_lines.cache_clear()


def display_path(path: Path) -> str:
    """Paths relative to the working folder when inside it, as compilers print them."""
    return _relative(path, os.getcwd())


@lru_cache(maxsize=1024)
def _relative(path: Path, cwd: str) -> str:
    """display_path, remembered per working folder: a file with 1,000 findings is resolved once, not 2,000 times."""
    try:
        return str(Path(path).resolve().relative_to(Path(cwd).resolve()))
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
    lines = source_lines(location.path)
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
    if text.isascii():
        return len(text)  # every ASCII character takes one column
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 0 if unicodedata.combining(char) else 1
               for char in text)


def format_diagnostic(diagnostic: Diagnostic, lint_style: bool = False) -> str:
    """`file:line:col: kind: [CODE ]message` + excerpt + hint, as one block (styled; click drops the styles off a
    terminal); `lint_style` (`notes lint`): `file:line:col: CODE message`, the excerpt underlining the whole span,
    no hint."""
    kind, location, message = diagnostic.severity, diagnostic.location, diagnostic.message
    colour = {"error": "red", "warning": "yellow"}.get(kind, "cyan")
    width = 1
    if lint_style and diagnostic.code:
        label = click.style(diagnostic.code, fg=colour, bold=True)
        if diagnostic.end_line == diagnostic.line:
            width = max(1, diagnostic.end_column - diagnostic.column)
    else:
        label = click.style(f"{kind}:", fg=colour)
        message = f"{diagnostic.code} {message}" if diagnostic.code else message
    lines = [f"{click.style(format_location(location), bold=True)}{label} {message}"]
    for line in source_excerpt(location, width):
        lines.append(click.style(line, fg="green") if line.strip().startswith("^") else click.style(line, dim=True))
    if diagnostic.hint and not lint_style:
        lines.append(f"  {click.style('hint:', fg='cyan')} {diagnostic.hint}")
    return "\n".join(lines)


def print_diagnostic(diagnostic: Diagnostic, console: Stream = stderr, lint_style: bool = False) -> None:
    console.print(format_diagnostic(diagnostic, lint_style))


def print_diagnostics(diagnostics: list[Diagnostic]) -> None:
    if diagnostics:
        stderr.print("\n".join(format_diagnostic(d) for d in diagnostics))


def print_error(error: NotesError, warnings: bool = True) -> None:
    """What the stage found before failing (unless not `warnings`), the error, then the problems found with it and
    the log's path."""
    if warnings:
        print_diagnostics(error.warnings)
    print_diagnostic(error.to_diagnostic())
    print_diagnostics(error.diagnostics)
    log_path = getattr(error, "log_path", None)
    if log_path:
        stderr.print(f"  full log: {display_path(log_path)}")


def info(message: str) -> None:
    stderr.print(message)


def print_build(result: BuildResult, quiet: bool = False, show_warnings: bool = False) -> None:
    """What `notes build` says besides the output path: the notes' warnings, whether the caches answered, and
    LaTeX's warnings (each with -W, else a count)."""
    if quiet:
        return
    print_diagnostics(result.notes_warnings)
    if result.up_to_date:
        info("up to date: nothing changed since the last build")
    if show_warnings:
        print_diagnostics(result.latex_warnings)
    elif result.latex_warnings:
        overfull = result.overfull
        summary = f"{overfull} overfull box(es)" if overfull else f"{len(result.latex_warnings)} LaTeX warning(s)"
        info(f"{summary} (-W for details)")

