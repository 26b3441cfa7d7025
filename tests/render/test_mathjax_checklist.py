"""MathJax's and KaTeX's supported TeX commands as a checklist (tests/render/mathjax_commands.tsv, written by
benchmarks/mathjax_checklist.py): every command either renders, or lint stops it with a located error that says
what to write. None may pass lint and then stop TeX or vanish from the PDF."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest
from pdfcheck import REPO, pdfinfo, run_notes

sys.path.insert(0, str(REPO / "benchmarks"))
from mathjax_checklist import outcomes, read_table  # noqa: E402

ROWS = read_table()


def test_the_checklist_covers_mathjax_and_katex():
    assert len(ROWS) > 1000
    names = {row[0] for row in ROWS}
    assert {r"\frac", r"\boldsymbol", r"\operatorname", r"\mathscr", r"\cancel", "env:align", "env:bmatrix",
            r"\textcircled", r"\rm", r"\cal"} <= names
    assert Counter(row[1] for row in ROWS)["KaTeX"] > 100  # the commands only KaTeX lists


def test_every_command_has_its_recorded_outcome():
    """Renders, or the located error lint gives it: a change in either direction fails until the table is
    regenerated (benchmarks/mathjax_checklist.py), which then shows in review."""
    found = outcomes([(row[0], row[2], row[3]) for row in ROWS])
    changed = [(row[0], row[4], now) for row, now in zip(ROWS, found, strict=True) if row[4] != now]
    assert not changed, changed[:20]
    assert "NB191" not in found  # nothing passes lint and then stops TeX


@pytest.mark.parametrize("code", ["NB141", "NB143", "NB171"])
def test_refused_commands_get_a_message_that_says_what_to_write(tmp_path, code):
    rows = [row for row in ROWS if row[4] == code][:5]
    notes = tmp_path / "a.md"
    notes.write_text("".join(f"$$\n{row[2]}\n$$\n\n" for row in rows))
    items = json.loads(run_notes("lint", notes, "--format", "json").stdout)
    errors = [item for item in items if item["code"] == code]
    assert len({item["line"] for item in errors}) == len(rows)  # each at its own formula
    for item, row in zip(errors, rows, strict=True):
        # the message names what was written and says what is wrong; `--explain CODE` says what to write
        named = row[0].removeprefix("env:").lstrip("\\").rstrip("*")
        assert named in item["message"], item
    assert "Define it under `macros:`" in run_notes("lint", "--explain", "NB141").stdout


def test_every_rendering_command_builds_into_the_pdf(tmp_path):
    """Through `notes build --pdf` itself (not only lint's compile check): one formula per command."""
    rows = [row for row in ROWS if row[4] == "renders" and row[2]]
    parts = []
    for row in rows:
        parts.append(f"{row[2]}\n" if row[3] == "env" else f"$$\n{row[2]}\n$$\n")
    notes = tmp_path / "all.md"
    notes.write_text("# Every command\n\n" + "\n".join(parts))
    result = run_notes("build", notes, "--pdf", "--out", tmp_path / "out", timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(pdfinfo(Path(tmp_path / "out" / "all.pdf"))["Pages"]) > 20
