"""A plain-text writer: the same document model, set by the macros of templates/text/. It holds nothing but what a
format decides (where its templates are); it proves that a second output format needs no change to resolve."""

from __future__ import annotations

from pathlib import Path

from notes_builder.config import templates_dir
from notes_builder.render import model as m
from notes_builder.render.writers.base import Writer, template_environment


def text_templates() -> Path:
    return templates_dir() / "text"


class TextWriter(Writer):
    elements = "elements.txt.j2"
    document_template = "document.txt.j2"

    def __init__(self, document: m.NotesDocument, override: Path | None = None):
        super().__init__(template_environment(override, text_templates()), document)
