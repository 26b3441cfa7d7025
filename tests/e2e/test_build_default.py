"""The default LSTM notes, built with the real pdflatex and read back from the PDF."""

from __future__ import annotations

import json
import re

import pytest
from pdfcheck import CONTENT, pdffonts, pdfinfo, pdftotext, run_notes, squash

METRICS = json.loads((CONTENT / "results" / "metrics.json").read_text())


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("default-build")
    result = run_notes("build", CONTENT, "--pdf", "--out", out)
    assert result.returncode == 0, result.stderr
    pdf = out / "lstm-notes.pdf"
    assert result.stdout.strip().endswith(str(pdf))
    return out, pdf, squash(pdftotext(pdf))


def test_pdf_is_valid_and_multi_page(built):
    _, pdf, _ = built
    info = pdfinfo(pdf)
    assert int(info["Pages"]) >= 5
    assert info["Title"].startswith("Long Short-Term Memory")


@pytest.mark.parametrize("phrase", ["Forget gate", "Input gate and candidate", "Cell update",
                                    "Output gate and hidden state", "The vanishing gradient", "Key takeaways"])
def test_gate_sections_present(built, phrase):
    assert phrase in built[2]


def test_every_formula_box_is_numbered_with_its_caption(built):
    text = built[2]
    numbers = [int(n) for n in re.findall(r"Equation \((\d+)\)\.", text)]
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) >= 10
    assert "Equation (4). The forget gate" in text


def test_cross_references_resolve_to_numbers(built):
    tex = (built[0] / "lstm-notes.tex").read_text()
    text = built[2]
    assert "\\eqref" in tex and "eqref" not in text and "sec:" not in text
    assert re.search(r"in \(2\): where the forget gate", text)


def test_the_notes_cite_their_sources_with_a_reference_list(built):
    text = built[2]
    assert "An LSTM cell (Hochreiter and Schmidhuber 1997; the forget gate was added by Gers et al. 2000)" in text
    assert "(Reyes-Ortiz et al. 2016)" in text and "Adam (Kingma and Ba 2015)" in text
    references = text[text.rindex("References"):]
    assert [name for name in ("Gers, Felix A.", "Hochreiter, Sepp", "Kingma, Diederik P.", "Reyes-Ortiz, Jorge-L.")
            if name in references] == ["Gers, Felix A.", "Hochreiter, Sepp", "Kingma, Diederik P.",
                                      "Reyes-Ortiz, Jorge-L."]


def test_code_box_shows_the_training_module(built):
    text = built[2]
    source = (CONTENT.parent / "notes_builder" / "train" / "model.py").read_text()
    assert "class SimpleLSTM(nn.Module):" in text
    assert "model.py" in text
    assert "self.lstm = nn.LSTM(" in source and "self.lstm = nn.LSTM(" in text


def test_figures_are_embedded_as_vector_graphics(built):
    fonts = pdffonts(built[1])
    # matplotlib embeds its Computer Modern as TrueType; the document's own text is Type 1 (Latin Modern)
    assert "TrueType" in fonts and "Type 1" in fonts
    assert "Figure 1." in built[2] and "Figure 3." in built[2]


def test_accuracy_sentence_quotes_the_metrics_file(built):
    accuracy = METRICS["test_accuracy"]  # over the seeds: mean ± standard deviation, then each seed's
    expected = f"{accuracy['mean'] * 100:.2f} ± {accuracy['std'] * 100:.2f} %"
    assert f"test accuracy of {expected}" in built[2]
    text = " ".join(built[2].split())
    assert all(f"{value * 100:.2f} %" in text for value in accuracy["per_seed"])


def test_no_op_rebuild_runs_no_latex(built):
    out, pdf, _ = built
    tex = out / "lstm-notes.tex"
    before, tex_before = pdf.stat().st_mtime_ns, tex.stat().st_mtime_ns
    result = run_notes("build", CONTENT, "--pdf", "--out", out)
    assert result.returncode == 0
    assert "up to date" in result.stderr
    assert pdf.stat().st_mtime_ns == before
    assert tex.stat().st_mtime_ns == tex_before  # the input manifest answered: nothing was even rendered


def test_tex_only_build_writes_no_pdf(tmp_path):
    result = run_notes("build", CONTENT, "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "lstm-notes.tex").is_file()
    assert not (tmp_path / "lstm-notes.pdf").exists()
    assert "\\begin{nbformula}" in (tmp_path / "lstm-notes.tex").read_text()
