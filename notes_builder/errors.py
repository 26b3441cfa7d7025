"""The one "problem at a location" type (`Diagnostic`) and the exceptions of every stage.

Every problem that comes from the user's input carries a `Location` in the user's own file, never in generated
LaTeX, so the message can point at the line the user has to change. Library code returns diagnostics (or raises a
`NotesError` carrying them); only the command line prints them (report.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """A position in a user's file (1-based line and column; column 0 means 'whole line').

    `end_line`/`end_column` (exclusive) close a span where one is known (lint); 0 means a point."""

    path: Path
    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0

    def __str__(self) -> str:
        text = str(self.path)
        if self.line:
            text += f":{self.line}"
            if self.column:
                text += f":{self.column}"
        return text


@dataclass(frozen=True)
class Fix:
    """A replacement of the file's text[start:end] (which must still read `original`) by `replacement`.

    safe: the source has no other plausible reading (`\\tilde<c>` -> `\\tilde{c}`), so `notes lint --fix` applies
    it; unsafe: it has one (`h_t-1` may be h_{t-1} or h_t - 1), so only `--unsafe-fixes` or `--interactive` do
    (ruff's applicability)."""

    start: int
    end: int
    replacement: str
    original: str
    line: int
    column: int
    end_line: int
    end_column: int
    safe: bool = True

    @property
    def applicability(self) -> str:
        return "safe" if self.safe else "unsafe"

    def to_json(self) -> dict:
        return {"replacement": self.replacement, "line": self.line, "column": self.column,
                "end_line": self.end_line, "end_column": self.end_column, "applicability": self.applicability}


@dataclass
class Diagnostic:
    """A located problem: a lint finding, a dropped HTML tag, an overfull box, or a stage's error.

    `code` is a lint rule's (NBxxx) or empty; `fix` is lint's replacement, when the rule has one."""

    location: Location | None
    severity: str  # "error" | "warning"
    message: str
    hint: str | None = None
    code: str = ""
    fix: Fix | None = None

    @property
    def kind(self) -> str:
        """The severity, by the name the stages' code and tests used before (kept: several stages read it)."""
        return self.severity

    @property
    def path(self) -> Path | None:
        return self.location.path if self.location else None

    @property
    def line(self) -> int:
        return self.location.line if self.location else 0

    @property
    def column(self) -> int:
        return self.location.column if self.location else 0

    @property
    def end_line(self) -> int:
        return (self.location.end_line or self.location.line) if self.location else 0

    @property
    def end_column(self) -> int:
        return (self.location.end_column or self.location.column) if self.location else 0

    def sort_key(self) -> tuple:
        return (str(self.path or ""), self.line, self.column, self.code)

    def to_json(self, path_text: str | None = None) -> dict:
        """The one JSON form (`notes lint --format json`, the build's manifest); `hint` only when there is one."""
        item: dict = {"path": path_text if path_text is not None else (str(self.path) if self.path else None),
                      "line": self.line, "column": self.column}
        if self.location and self.location.end_line:
            item.update(end_line=self.end_line, end_column=self.end_column)
        item.update(code=self.code, severity=self.severity, message=self.message)
        if self.hint is not None:
            item["hint"] = self.hint
        item["fix"] = self.fix.to_json() if self.fix else None
        return item

    @classmethod
    def from_json(cls, item: dict) -> Diagnostic:
        """The inverse of to_json, without the fix (its offsets are not stored): for diagnostics repeated from a
        manifest."""
        location = None
        if item["path"]:
            location = Location(Path(item["path"]), item["line"], item["column"], item.get("end_line", 0),
                                item.get("end_column", 0))
        return cls(location, item["severity"], item["message"], item.get("hint"), item.get("code", ""))


class NotesError(Exception):
    """Base class: a problem the user can fix, with where and how.

    `diagnostics`: further problems found together with this one (reported after it); `warnings`: what the
    stage had found before it failed (reported before it)."""

    exit_code = 1
    kind = "error"

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None,
                 diagnostics: list[Diagnostic] | None = None):
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint
        self.diagnostics: list[Diagnostic] = list(diagnostics or [])
        self.warnings: list[Diagnostic] = []

    def __str__(self) -> str:
        prefix = f"{self.location}: " if self.location else ""
        return f"{prefix}{self.kind}: {self.message}"

    def to_diagnostic(self) -> Diagnostic:
        """This error as one diagnostic (the one place an error becomes a Diagnostic)."""
        return Diagnostic(self.location, self.kind, self.message, self.hint)


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
                 diagnostics: list[Diagnostic] | None = None, log_path: Path | None = None):
        super().__init__(message, location, hint, diagnostics)
        self.log_path = log_path


class ToolMissingError(NotesError):
    """An external program (pdflatex, biber, rsvg-convert...) is not installed."""


class DataError(NotesError):
    """Training data is missing, truncated or malformed."""


class TrainingError(NotesError):
    """Training diverged (NaN/exploding loss) or could not run."""


class StaleResultsError(NotesError):
    """Recorded training results no longer match their inputs."""


class LintFailure(NotesError):
    """Lint found error-level problems that would break the build: the first is the error, the next ones (up to
    20) its diagnostics."""

    def __init__(self, errors: list[Diagnostic]):
        first = errors[0]
        super().__init__(f"{first.code} {first.message}", first.location,
                         "`notes lint` explains each problem and `notes lint --fix` repairs the safe ones",
                         errors[1:21])
