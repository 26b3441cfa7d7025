"""texlog on saved TeX logs, as latexrun tests its parser: each case under cases/ holds the user's notes.md,
the doc.tex a build would write (with its %NB markers), the doc.log pdflatex printed for it (recorded by
record.py with the build's own flags) and expected.txt, what the user must be told."""

from __future__ import annotations

from pathlib import Path

import pytest

from notes_builder.texlog import SourceMap, parse_log, read_log

CASES = sorted((Path(__file__).resolve().parent / "cases").iterdir())


def report_text(case: Path) -> str:
    """What parse_log finds in the case's log, one line per finding, paths relative to the case."""
    source_map = SourceMap.from_tex((case / "doc.tex").read_text(encoding="utf-8")).rebased(case)
    report = parse_log(read_log(case / "doc.log"), source_map, "doc.tex")
    lines = []
    for diagnostic in report.errors + report.warnings:
        where = str(diagnostic.location).replace(f"{case}/", "") if diagnostic.location else "-"
        lines.append(f"{where}: {diagnostic.kind}: {diagnostic.message}")
        if diagnostic.hint:
            lines.append(f"  hint: {diagnostic.hint}")
    if report.overfull:
        lines.append(f"overfull boxes: {report.overfull}")
    lines += [f"missing character: {char}" for char in report.missing_characters or []]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_saved_log_reads_as_expected(case):
    assert report_text(case) == (case / "expected.txt").read_text(encoding="utf-8")


def test_every_case_is_complete():
    assert len(CASES) >= 9
    for case in CASES:
        assert {"notes.md", "doc.tex", "doc.log", "expected.txt"} <= {path.name for path in case.iterdir()}, case
