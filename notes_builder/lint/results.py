"""What a `notes lint` run is asked (`LintOptions`) and what it found (`LintReport`): light, so that the command can
answer from its record (record.py) without loading the parser and the rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from notes_builder.errors import Diagnostic

if TYPE_CHECKING:
    from notes_builder.content import Document


@dataclass
class LintOptions:
    """The command line's choices that change what lint finds (printing and fixing are the command's)."""

    compile: bool = False
    unsafe_fixes: bool = False  # --unsafe-fixes: --fix applies the fixes that may change meaning too
    select: list[str] = field(default_factory=list)  # added to the configuration's select (CLI)
    ignore: list[str] = field(default_factory=list)


@dataclass
class LintReport:
    """The findings of a run, sorted, with what the summary line counts."""

    findings: list[Diagnostic] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)  # empty when the record answered (nothing parsed)
    formulas: int = 0
    compile_seconds: float | None = None
    compiled_formulas: int = 0  # with --compile: those compiled (formulas that already have errors are skipped)
    fixed: int = 0  # fixes applied by --fix
    unloaded: int = 0  # notes files whose settings (front matter) could not be loaded: their error is a finding

    @property
    def fixable(self) -> list[Diagnostic]:
        return [f for f in self.findings if f.fix is not None]

    @property
    def exit_code(self) -> int:
        return 1 if self.findings else 0
