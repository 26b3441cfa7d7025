"""`notes lint` over command-line paths: resolve them, apply fixes when asked, lint, compile when asked."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from notes_builder.errors import Diagnostic
from notes_builder.gcpause import no_collection_pauses
from notes_builder.lint.engine import gather, lint_document, resolve_targets
from notes_builder.lint.registry import CHECKS
from notes_builder.lint.results import LintOptions, LintReport


def lint_paths(paths: Sequence[str | os.PathLike], options: LintOptions | None = None,
               confirm: Callable[[Diagnostic], str] | None = None, fix: bool = False) -> LintReport:
    """Lint the notes at `paths` (default: content/). With fix=True, apply safe fixes first (see fixes.py)."""
    options = options or LintOptions()
    broken: list[Diagnostic] = []
    targets = resolve_targets(paths, broken)
    fixed = 0
    if fix:
        # deliberate, for start-up time: fixing loads file writing (hashlib, shutil, tempfile) and difflib, which
        # every plain `notes lint` would otherwise import (6 ms)
        from notes_builder.lint.fixes import fix_files

        fixed = fix_files(targets, options, confirm)
    report = LintReport(fixed=fixed, findings=broken, unloaded=len(broken))
    with no_collection_pauses():
        for config, only in targets:
            document, parse_errors = gather(config, only)
            report.documents.append(document)
            report.formulas += len(document.math)
            report.findings.extend(lint_document(document, options, parse_errors))
    if options.compile:
        for check in CHECKS["compile"]:
            compiled, report.compiled_formulas, report.compile_seconds = check(report.documents, report.findings)
            report.findings.extend(compiled)
    report.findings.sort(key=Diagnostic.sort_key)
    return report
