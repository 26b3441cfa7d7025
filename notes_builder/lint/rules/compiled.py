"""Compiling (NB191, `notes lint --compile`): what pdflatex itself says about each formula.

The check is lint/compile_check.compile_documents(documents, found) -> (NB191 diagnostics, formulas compiled,
seconds): every formula without an error in `found`, in one pdflatex run per document. It loads the renderer for the
document's preamble, which plain `notes lint` does not need, so it is registered by name (registry.Deferred).
"""

from __future__ import annotations

from notes_builder.lint.registry import Deferred, rule

rule('NB191', 'compile-error', 'error',
     'The formula does not compile (from `--compile`).',
     "Every formula was compiled in one pdflatex run with the document's preamble; TeX's message is shown at the "
     'formula. Formulas with an error lint already reports that would derail TeX (unbalanced braces, \\left '
     'without \\right...) are not compiled.',
     '$\\hspace{1}$',
     '$\\hspace{1em}$', scope="compile")(Deferred("notes_builder.lint.compile_check:compile_documents"))
