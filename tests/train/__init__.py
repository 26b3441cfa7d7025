"""Tests of notes_builder.train, arranged like its modules."""

from pathlib import Path

# The real HAPT recordings the training tests run on, shared beside the checkout (tests skip without them).
DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "HAPT-RawData.zip"
