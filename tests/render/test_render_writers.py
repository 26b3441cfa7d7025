"""Rendering in two steps: one resolve pass builds the document model; each output format is a writer plus its
template folder. A second writer (plain text) sets the default notes from the same model as LaTeX; a project's
template folder restyles single elements of the LaTeX output."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

from pdfcheck import pdftotext, run_notes, squash, write_project

from notes_builder.content import load_document
from notes_builder.render import load_metrics, model, render_document, resolve
from notes_builder.render.writers.base import Writer
from notes_builder.render.writers.latex import LatexWriter
from notes_builder.render.writers.text import TextWriter

REPO = Path(__file__).resolve().parents[2]
LATEX_MARKUP = ("\\emph{", "\\textbf{", "\\begin{itemize}", "\\item", "\\texttt{", "\\href{", "%NB@", "nbformula",
                "\\hypertarget", "\\section{", "\\footnote{")


def _default_model() -> model.NotesDocument:
    document = load_document(REPO / "content")
    return resolve(document, *load_metrics(document.config))


def _strings(node: object) -> Iterator[str]:
    """Every text a model node holds, outside math and raw LaTeX (which are TeX by design)."""
    if isinstance(node, model.InlineMath | model.DisplayMath | model.RawLatex | model.SymbolRow):
        return
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif dataclasses.is_dataclass(node):
        for item in dataclasses.fields(node):
            if item.name != "location":
                yield from _strings(getattr(node, item.name))


def test_the_model_holds_no_latex_markup():
    document = _default_model()
    texts = [text for section in document.sections for text in _strings(section.blocks)]
    assert len(texts) > 300
    for text in texts:
        assert not any(markup in text for markup in LATEX_MARKUP), text
    kinds = {type(node).__name__ for section in document.sections for node in section.blocks}
    assert {"Heading", "Paragraph", "DisplayMath", "Figure", "CodeBlock", "Table", "Callout", "OrderedList"} <= kinds


def test_a_plain_text_writer_sets_the_default_notes_from_the_same_model():
    """The same resolve pass feeds both writers: numbers, references, placeholders and captions come out in plain
    text, with no LaTeX markup outside math."""
    document = _default_model()
    tex = LatexWriter(document).write()
    text = TextWriter(document).write()
    metrics = json.loads((REPO / "content" / "results" / "metrics.json").read_text())
    assert tex == render_document(load_document(REPO / "content")).tex  # the build's LaTeX, from this model
    assert text.startswith("Long Short-Term Memory networks: study notes\n")
    assert "\n1 Why LSTMs?\n" in text and "\n1.1 The vanishing gradient\n" in text
    assert "Equation (1). The vanilla RNN" in text and "\\tag{1}" in text  # math stays TeX
    assert "[Figure 1. " in text and "clipping, which we also use in\nSection 5)." in text  # \ref resolved
    assert f"This run used {metrics['n_train_windows']:,} training," in text  # a placeholder's value
    assert "Key idea:\n  Give the network a second state, the **cell** $c_t$" in text
    assert "1. the **forget gate** $f_t$" in text  # ordered list, emphasis in the text writer's markup
    outside_math = "".join(part for index, part in enumerate(text.split("$")) if index % 2 == 0)
    for markup in LATEX_MARKUP:
        assert markup not in outside_math, markup
    # what a format adds to the shared writer: its template folder, nothing else
    assert {name for name in vars(TextWriter) if not name.startswith("__")} == {"elements", "document_template"}
    assert issubclass(TextWriter, Writer)


def test_a_template_folder_restyles_emphasis_and_list_items(tmp_path):
    """A project's elements.tex.j2 defines only the macros it restyles; the others are the shipped ones."""
    restyled = ("((* macro emphasis(text) *))[EM ((( text )))]((* endmacro *))\n"
                "((* macro list_item(body, task) -*))\n\\item[ITEM:] ((( body )))\n((* endmacro *))\n"
                "((* import 'builtin/elements.tex.j2' as shipped *))\n"  # a restyle may build on the shipped macro
                "((* macro strong(text) *))((( shipped.strong(text|upper) )))((* endmacro *))\n")
    write_project(tmp_path, {
        "notes.yaml": "title: Restyled\noutput: restyled\nsections: [a.md]\ntemplate:\n  directory: tpl\n",
        "a.md": "# Heading\n\nSome *emphasis* and **strong** words.\n\n- first\n- second\n\n"
                "```python\nx = 1\n```\n",
        "tpl/elements.tex.j2": restyled,
    })
    result = run_notes("build", tmp_path, "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    text = squash(pdftotext(tmp_path / "out" / "restyled.pdf"))
    assert "Some [EM emphasis] and STRONG words." in text
    assert "ITEM: first ITEM: second" in text
    assert "1 Heading" in text and "x = 1" in text  # headings and code boxes: the shipped macros
