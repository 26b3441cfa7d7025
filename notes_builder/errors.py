"""Exception types for every stage; the CLI turns them into `file:line:col: message` and an exit code.

Every error that comes from the user's input carries a `Location` in the user's own file, never in
generated LaTeX, so the message can point at the line the user has to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """A position in a user's file (1-based line and column; column 0 means 'whole line')."""

    path: Path
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        text = str(self.path)
        if self.line:
            text += f":{self.line}"
            if self.column:
                text += f":{self.column}"
        return text


@dataclass
class Diagnostic:
    """A located message that is not fatal by itself (a dropped HTML tag, an overfull box...)."""

    location: Location | None
    kind: str  # "error" | "warning"
    message: str
    hint: str | None = None
    code: str = ""


class NotesError(Exception):
    """Base class: a problem the user can fix, with where and how."""

    exit_code = 1
    kind = "error"

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint

    def __str__(self) -> str:
        prefix = f"{self.location}: " if self.location else ""
        return f"{prefix}{self.kind}: {self.message}"


class UsageError(NotesError):
    """Bad command-line use or unreadable input path (exit 2, like click)."""

    exit_code = 2


class OutputError(NotesError):
    """The output cannot be written there (a file, a missing or read-only folder): exit 1, the old PDF kept."""


class ConfigError(NotesError):
    """notes.yaml (or front matter) is malformed or has an invalid value."""


class ContentError(NotesError):
    """A Markdown section cannot be turned into LaTeX (unclosed math, missing file, bad character...)."""


class PlaceholderError(ContentError):
    """A `{{ ... }}` placeholder names a value the results do not have."""


class TemplateError(NotesError):
    """A Jinja template is broken; the location is the template's own line."""


class CompileError(NotesError):
    """pdflatex failed; `diagnostics` holds the mapped messages from the log."""

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None,
                 diagnostics: list | None = None, log_path: Path | None = None):
        super().__init__(message, location, hint)
        self.diagnostics = diagnostics or []
        self.log_path = log_path


class ToolMissingError(NotesError):
    """An external program (pdflatex, latexmk, rsvg-convert...) is not installed."""


class DataError(NotesError):
    """Training data is missing, truncated or malformed."""


class TrainingError(NotesError):
    """Training diverged (NaN/exploding loss) or could not run."""


class StaleResultsError(NotesError):
    """Recorded training results no longer match their inputs."""


class LintFailure(NotesError):
    """Lint found error-level problems that would break the build."""

    def __init__(self, message: str, findings: list | None = None):
        super().__init__(message)
        self.findings = findings or []
