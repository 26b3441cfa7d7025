"""Tables as numbered, referenceable things (`Table: … {#tbl:x}` beside a table, as pandoc reads it), and
pandoc-crossref's `@fig:x`, `@tbl:x`, `@eq:x`, `@sec:x` references, read back from the PDF."""

from __future__ import annotations

from pdfcheck import pdftotext, run_notes, squash, write_project

NOTES = """---
title: Tables
---
# Results {#sec:results}

The settings are in @tbl:settings and \\ref{tbl:settings}; the gate is @eq:forget, all in @sec:results.

$$
f_t = \\sigma(W_f x_t)
$$ (eq:forget)

| setting | value |
|---|---|
| epochs | 30 |

Table: Training settings, chosen by cross-validation. {#tbl:settings}

: A second table, captioned before it.

| a | b |
|---|---|
| 1 | 2 |

| plain | table |
|---|---|
| no | caption |

Both: [@tbl:settings; @eq:forget].
"""


def test_captioned_tables_are_numbered_and_referenced(tmp_path):
    notes = write_project(tmp_path, {"a.md": NOTES})
    result = run_notes("build", notes / "a.md", "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    text = squash(pdftotext(tmp_path / "out" / "a.pdf"))
    assert "The settings are in Table 1 and 1; the gate is Equation (1), all in Section 1." in text
    assert "Table 1. Training settings, chosen by cross-validation." in text
    assert "Table 2. A second table, captioned before it." in text
    assert "Table 3" not in text and "{#tbl" not in text and "Table:" not in text
    assert "Both: Table 1, Equation (1)." in text


def test_a_reference_to_an_unknown_table_is_an_error_at_its_line(tmp_path):
    notes = write_project(tmp_path, {"a.md": NOTES.replace("in @tbl:settings and", "in @tbl:setings and")})
    result = run_notes("build", notes / "a.md", "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 1
    assert "a.md:6:21: error: reference to unknown label 'tbl:setings'" in result.stderr, result.stderr
    assert "did you mean 'tbl:settings'?" in result.stderr
