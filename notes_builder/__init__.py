"""notes-builder: technical study notes (YAML + Markdown + LaTeX math) to a checked, compiled PDF."""

__version__ = "0.1.0"
