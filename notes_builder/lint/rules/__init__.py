"""The lint rules, one module per family; importing a family registers its rules (lint/registry.py)."""

from notes_builder.lint.registry import RULES
from notes_builder.lint.rules import (  # noqa: F401 - imported to register their rules
    accents,
    characters,
    citations,
    commands,
    compiled,
    delimiters,
    environments,
    names,
    notation,
    parse,
    safety,
    scripts,
)

__all__ = ["RULES"]
