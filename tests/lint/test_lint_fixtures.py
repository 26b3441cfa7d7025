"""Every registered rule against its fixtures: tests/lint/fixtures/NBxxx*.md, each a small case that triggers the
rule and, where sensible, a near miss that must not; the last line says what is expected,
`<!-- expect: NB111 1:8, NB111 1:25 -->` (code line:column; `<!-- expect: -->` for none)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from notes_builder.lint import RULES, LintOptions, lint_paths

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(FIXTURES.glob("NB*.md"))


def expected(path: Path) -> list[tuple[str, int, int]]:
    last = path.read_text(encoding="utf-8").rstrip("\n").splitlines()[-1]
    found = re.fullmatch(r"<!-- expect:(.*)-->", last)
    assert found, f"{path.name}: the last line must be <!-- expect: CODE LINE:COLUMN, ... -->"
    return [(code, int(line), int(column))
            for code, line, column in re.findall(r"(NB\d+) (\d+):(\d+)", found.group(1))]


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_rule_reports_exactly_its_fixture_findings(path):
    code = path.stem.split("_")[0]
    if RULES[code].scope == "compile" and shutil.which("pdflatex") is None:
        pytest.skip("needs pdflatex")
    options = LintOptions(select=[code], compile=RULES[code].scope == "compile")
    report = lint_paths([path], options)
    assert [(f.code, f.line, f.column) for f in report.findings if f.code == code] == expected(path)


def test_every_rule_has_a_fixture_and_an_explanation():
    with_fixture = {path.stem.split("_")[0] for path in CASES}
    assert sorted(set(RULES) - with_fixture) == []
    assert sorted(with_fixture - set(RULES)) == []  # a fixture names a registered rule
    for rule in RULES.values():
        assert rule.summary.strip() and rule.why.strip() and rule.before.strip() and rule.after.strip(), rule.code
        assert rule.explain().startswith(f"{rule.code} {rule.name} ({rule.severity})"), rule.code
        assert rule.check is not None, rule.code
