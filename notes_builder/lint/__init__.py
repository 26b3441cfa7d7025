"""`notes lint`: a LaTeX math linter for Markdown notes (stable NBxxx codes, safe autofixes).

Public API:
- `lint_paths(paths, options) -> LintReport` for the command line;
- `lint_document(document)` for every finding of a gathered document (the build stops on the errors and
  prints the warnings);
- `error_findings(document) -> list[Finding]`, only the error-level ones;
- `RULES` (code -> Rule) for `--explain`.
"""

from notes_builder.lint.engine import (
    Finding,
    Fix,
    LintOptions,
    LintReport,
    error_findings,
    lint_document,
    lint_paths,
)
from notes_builder.lint.rules import RULES, Rule

__all__ = ["RULES", "Finding", "Fix", "LintOptions", "LintReport", "Rule", "error_findings", "lint_document",
           "lint_paths"]
