"""Tests of notes_builder.train, arranged like its modules."""
