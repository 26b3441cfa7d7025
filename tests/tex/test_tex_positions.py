"""Offsets to (line, column) (notes_builder.tex.positions): columns count characters, 1-based."""

from __future__ import annotations

from notes_builder.tex.positions import LineIndex, position_after


def test_line_index():
    lines = LineIndex("ab\n注c\n\nd")
    assert [lines.position(offset) for offset in range(8)] == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3),
                                                                 (3, 1), (4, 1)]
    assert [lines.line_offset(line) for line in range(5)] == [0, 3, 6, 7, 8]


def test_position_after_a_known_start():
    text = "xy\nab"
    assert position_after(text, 1, 10, 5) == (10, 6)  # same line: from the start's column
    assert position_after(text, 4, 10, 5) == (11, 2)  # a later line: from its own start
    assert position_after(text, 0) == (1, 1)
