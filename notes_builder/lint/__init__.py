"""`notes lint`: a LaTeX math linter for Markdown notes (stable NBxxx codes, safe autofixes), shaped like ruff.

Layout, lowest first: `formula.py` (one formula as rules see it: body, clean copy, `report`), `registry.py` (the
`@rule` decorator and RULES), `located.py` (findings -> errors.Diagnostic), `rules/` (one module per family, each
rule defined once), `checker.py` (runs the formula rules, cached per body), `engine.py` (a document: config,
suppression, document rules; `check_document` for the build), `fixes.py` (applying fixes), `run.py` (`lint_paths`
over command-line paths), `output.py` and `cli.py` (printing: the command line only).

Adding a rule:
1. In the family module under `rules/` that fits (or a new module, imported in `rules/__init__.py`), write one
   function decorated with `@rule(code, name, severity, summary, why, before, after, fix=..., default=...)`.
   A formula rule takes a `Formula` and calls `formula.report(code, start, end, message, RawFix(...) or None)`
   with offsets into the body; `scope="document"` rules take `(document, symbols_table_spans)` and return
   Diagnostics (`located.locate`). `fix` is its applicability: safe, sometimes, unsafe or none; `default=False`
   makes it opt-in (`select`); `derails_tex=True` keeps formulas with its errors out of `--compile`.
   `summary`, `why`, `before`, `after` are what `notes lint --explain CODE` prints. The message is written where
   the check reports. (`@span_filter(code)` drops a finding where the prose around the formula shows it is
   none; `exclusive=N` makes a check that, when it reports, stops the other formula checks.)
2. Add `tests/lint/fixtures/NBxxx.md` (more cases: `NBxxx_name.md`): a case that triggers it and, where
   sensible, a near miss that must not; its last line is `<!-- expect: NBxxx LINE:COLUMN, ... -->`, the exact
   findings of that rule (tests/lint/test_lint_fixtures.py).
Nothing else: the runners, `--explain`, select/ignore, `--compile` and the JSON output read the registry.

Public API: `lint_paths(paths, options) -> LintReport`; `lint_document(document)` (every diagnostic of a gathered
document); `check_document(document)` (the build's check); `error_findings(document)`; `RULES` (code -> Rule).

Its names are loaded when first used (PEP 562): `notes lint` imports this package for its light modules
(results.py, record.py, output.py) and must not load the parser and the rules when its record answers.
"""

from __future__ import annotations

import importlib

# name -> module (in this package, or the package's own errors); nothing is imported here: the client of the
# resident lint process (server.py) is in this package and runs before any import it does not need
_HOMES = {"LintOptions": ".results", "LintReport": ".results", "check_document": ".engine",
          "error_findings": ".engine", "lint_document": ".engine", "Rule": ".registry", "RULES": ".rules",
          "lint_paths": ".run", "Diagnostic": "notes_builder.errors", "Fix": "notes_builder.errors"}

__all__ = ["RULES", "Diagnostic", "Fix", "LintOptions", "LintReport", "Rule", "check_document", "error_findings",
           "lint_document", "lint_paths"]


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name], __name__), name)
