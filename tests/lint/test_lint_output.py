"""The JSON output is json.dumps(indent=2, ensure_ascii=False) of the findings, written by output._indented: the
same text, character for character, for every fixture's findings and for values a finding may hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from notes_builder.lint import lint_paths
from notes_builder.lint.output import _indented, to_json
from notes_builder.report import display_path

FIXTURES = Path(__file__).parent / "fixtures"


def test_json_of_every_fixture_is_json_dumps():
    findings = lint_paths(sorted(FIXTURES.glob("NB*.md"))).findings
    assert len(findings) > 20
    assert any(f.fix for f in findings) and any(not f.fix for f in findings)
    expected = json.dumps([f.to_json(display_path(f.path)) for f in findings], indent=2, ensure_ascii=False)
    assert to_json(findings) == expected


@pytest.mark.parametrize("value", [
    [], {}, [[]], [{}], None, True, False, 0, -7, 10**30, 1.5, "", "a\"b\\c\nd\te\x01\u2028", "字 é 🙂",
    [{"path": "a.md", "line": 1, "fix": None, "safe": True, "nested": {"x": [1, "y", {}], "z": {"w": None}}}],
])
def test_indented_is_json_dumps(value):
    assert _indented(value, 0) == json.dumps(value, indent=2, ensure_ascii=False)
