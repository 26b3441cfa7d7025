"""`.bib` checks at the `.bib` line, parsed by bibtexparser: what biber or BibTeX would reject or print badly."""

from __future__ import annotations

from pathlib import Path

from notes_builder.bibliography import check_cited, load_bibliography
from notes_builder.errors import Location

GOOD = """@article{hochreiter1997,
  author  = {Hochreiter, Sepp and Schmidhuber, J{\\"u}rgen},
  title   = {Long Short-Term Memory},
  journal = {Neural Computation},
  volume  = {9}, number = {8}, pages = {1735--1780},
  year    = {1997},
}

@string{iclr = "International Conference on Learning Representations"}
@inproceedings{kingma2015,
  author    = {Kingma, Diederik P. and Ba, Jimmy},
  title     = {Adam: A Method for Stochastic Optimization},
  booktitle = iclr,
  year      = 2015,
  month     = may,
}
"""


def bib(tmp_path: Path, text: str, name: str = "refs.bib") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def found(tmp_path: Path, text: str) -> list[tuple[int, str, str]]:
    return [(d.location.line, d.code, d.message) for d in load_bibliography([bib(tmp_path, text)]).diagnostics]


def test_a_good_file_has_no_findings_and_its_entries_by_key(tmp_path):
    bibliography = load_bibliography([bib(tmp_path, GOOD)])
    assert bibliography.diagnostics == []
    assert set(bibliography.entries) == {"hochreiter1997", "kingma2015"}
    assert bibliography.entries["kingma2015"].location.line == 10
    assert bibliography.entries["hochreiter1997"].fields["journal"] == "Neural Computation"


def test_a_duplicate_key_is_reported_at_the_second_entry_naming_the_first(tmp_path):
    text = GOOD + "\n@misc{hochreiter1997,\n  title = {Again},\n}\n"
    bibliography = load_bibliography([bib(tmp_path, text)])
    [problem] = bibliography.diagnostics
    assert (problem.location.line, problem.code, problem.message) == (18, "NB202", "duplicate key 'hochreiter1997'")
    assert problem.hint.endswith("refs.bib:1:1")


def test_a_duplicate_key_across_two_files(tmp_path):
    first = bib(tmp_path, GOOD)
    second = bib(tmp_path, "\n@misc{kingma2015, title = {T}}\n", "more.bib")
    [problem] = load_bibliography([first, second]).diagnostics
    assert (problem.location.path, problem.location.line, problem.code) == (second, 2, "NB202")


def test_an_unbalanced_brace_is_reported_at_its_entry(tmp_path):
    text = "@book{broken,\n  title = {Unbalanced {brace},\n  year = 2000\n}\n\n" + GOOD
    problems = found(tmp_path, text)
    assert problems[0][:2] == (1, "NB201")
    assert "not valid BibTeX" in problems[0][2]


def test_a_missing_required_field_of_a_cited_entry_names_the_field_and_its_alternative(tmp_path):
    text = "% a comment\n@article{nojournal,\n  author = {A. Author},\n  title = {T},\n  date = {2001}\n}\n" \
        "@article{stub, title = {Never cited}}\n"
    bibliography = load_bibliography([bib(tmp_path, text)])
    assert bibliography.diagnostics == []  # an entry nobody cites is not printed: a shared .bib may hold stubs
    [problem] = check_cited(bibliography, [("nojournal", Location(tmp_path / "n.md", 1, 1))] * 2)
    assert (problem.location.line, problem.code) == (2, "NB203")
    assert problem.message == "@article{nojournal} lacks the required field journal"
    assert problem.hint == "add journal (or journaltitle)"


def test_fields_inherited_through_crossref_count_as_biber_counts_them(tmp_path):
    text = ("@inproceedings{KingmaB14, author = {Kingma, D. P. and Ba, J.}, title = {Adam},\n"
            "  crossref = {conf/iclr/2015}}\n"
            "@proceedings{conf/iclr/2015, title = {3rd ICLR}, year = {2015}}\n")
    bibliography = load_bibliography([bib(tmp_path, text)])
    assert check_cited(bibliography, [("KingmaB14", Location(tmp_path / "n.md", 1, 1))]) == []


def test_a_bare_ampersand_in_a_field_is_reported_but_not_in_a_url(tmp_path):
    text = "@misc{a, title = {Salt & Pepper}, url = {https://x.org/?a=1&b=2}, year = 2001}\n" \
        "@misc{b, title = {Salt \\& Pepper}, year = 2001}\n"
    [problem] = load_bibliography([bib(tmp_path, text)]).diagnostics
    assert (problem.location.line, problem.code) == (1, "NB201")
    assert problem.message == "field 'title' of 'a' has a bare '&', which stops LaTeX in the reference list"


def test_misc_needs_nothing_and_an_unknown_type_is_a_warning(tmp_path):
    bibliography = load_bibliography([bib(tmp_path, "@misc{a, note = {n}}\n@weird{b, title = {t}}\n")])
    [problem] = bibliography.diagnostics
    assert (problem.location.line, problem.kind, problem.code) == (2, "warning", "NB206")


def test_unknown_cited_keys_get_a_did_you_mean_and_no_bibliography_is_one_error(tmp_path):
    bibliography = load_bibliography([bib(tmp_path, GOOD)])
    here = Location(tmp_path / "notes.md", 3, 7)
    [problem] = check_cited(bibliography, [("hochreiter1997", here), ("hochreiter97", here)])
    assert (problem.code, problem.message, problem.hint) == (
        "NB204", "unknown citation key 'hochreiter97'; did you mean 'hochreiter1997'?",
        "the keys are those of refs.bib")
    [alone] = check_cited(None, [("a", here), ("b", here)])
    assert alone.code == "NB205" and "bibliography" in alone.hint
    assert check_cited(None, []) == []


def test_a_file_that_is_not_utf8_is_one_finding_at_its_byte_and_no_key_is_called_unknown(tmp_path):
    path = tmp_path / "latin1.bib"
    path.write_bytes("@book{caf,\n  author = {José Café},\n  title = {T}, publisher = {P}, year = {2000},\n}\n"
                     .encode("latin-1"))
    bibliography = load_bibliography([path])
    assert [(d.location.line, d.location.column, d.code) for d in bibliography.diagnostics] == [(2, 16, "NB201")]
    assert "not UTF-8 (byte 0xe9)" in bibliography.diagnostics[0].message
    assert check_cited(bibliography, [("caf", Location(tmp_path / "a.md", 3, 1))]) == []


def test_a_bare_percent_in_a_field_is_reported_as_it_comments_out_the_rest_of_the_bbl(tmp_path):
    text = "@misc{a, abstract = {Up by 100% in a year}, url = {https://x.org/a%20b}, year = 2001}\n" \
        "@misc{b, abstract = {Up by 100\\% in a year}, year = 2001}\n"
    [problem] = load_bibliography([bib(tmp_path, text)]).diagnostics
    assert (problem.location.line, problem.code) == (1, "NB201")
    assert "field 'abstract' of 'a' has a bare '%'" in problem.message


def test_a_field_given_twice_is_a_warning_and_the_entry_is_still_known(tmp_path):
    text = "@article{castro, author = {A. Almgren}, title = {Castro}, journal = {ApJ}, journal = {ApJS},\n" \
        "  year = {2010}, year = {2011}}\n"
    bibliography = load_bibliography([bib(tmp_path, text)])
    [problem] = bibliography.diagnostics
    assert (problem.location.line, problem.kind, problem.code) == (1, "warning", "NB201")
    assert problem.message == "entry 'castro' gives the fields journal, year twice: only one value is used"
    assert check_cited(bibliography, [("castro", Location(tmp_path / "a.md", 3, 1))]) == []
