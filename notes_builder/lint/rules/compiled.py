"""Compiling (NB191, `notes lint --compile`): what pdflatex itself says about each formula."""

from __future__ import annotations

from notes_builder.content import Document
from notes_builder.errors import Diagnostic
from notes_builder.lint.registry import rule


@rule('NB191', 'compile-error', 'error',
      'The formula does not compile (from `--compile`).',
      "Every formula was compiled in one pdflatex run with the document's preamble; TeX's message is shown at the "
      'formula. Formulas with an error lint already reports that would derail TeX (unbalanced braces, \\left '
      'without \\right...) are not compiled.',
      '$\\hspace{1}$',
      '$\\hspace{1em}$', scope="compile")
def compile_formulas(documents: list[Document], found: list[Diagnostic]) -> tuple[list[Diagnostic], int, float]:
    """Every formula without an error in `found`, in one pdflatex run per document: (NB191 diagnostics, how many
    formulas were compiled, seconds). The pdflatex machinery (lint/compile_check.py) loads the renderer for the
    document's preamble, which plain `notes lint` does not need, so it is imported only here."""
    from notes_builder.lint import compile_check  # the renderer's import time, for --compile only

    return compile_check.compile_documents(documents, found)
