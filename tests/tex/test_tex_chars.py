"""Characters in TeX (notes_builder.tex.chars): escaping of prose, code and URLs, names, and the tables."""

from __future__ import annotations

import pytest

from notes_builder.tex.chars import (
    UNICODE_MATH,
    accented,
    escape_code,
    escape_latex,
    is_cjk,
    slug,
    tex_safe_stem,
    tex_url,
)


# -- moved from tests/render/test_render.py -------------------------------------------------------------------------
def test_escape_latex_covers_each_special():
    assert escape_latex("&%$#_{}") == r"\&\%\$\#\_\{\}"
    assert escape_latex("~^\\") == r"\textasciitilde{}\textasciicircum{}\textbackslash{}"
    assert escape_latex("a—b") == "a---b"


def test_typed_dashes_in_inline_code_stay_dashes():
    """Splitting `--` (so `--pdf` prints as typed) must not turn a typed en dash into two hyphens."""
    assert escape_code("a–b x—y --pdf") == "a\\textendash{}b x\\textemdash{}y -{}-pdf"


# -- escaping ------------------------------------------------------------------------------------------------
def test_escape_latex_keeps_straight_quotes_and_sets_prose_unicode():
    assert escape_latex('say "hi" … ok') == r"say \textquotedbl{}hi\textquotedbl{} \ldots{} ok"
    assert escape_latex("<a|b>") == r"\textless{}a\textbar{}b\textgreater{}"


def test_escape_code_keeps_quotes_and_ligatures_as_typed():
    assert escape_code("'a' `b` ,,") == (r"\textquotesingle{}a\textquotesingle{} "
                                         r"\textasciigrave{}b\textasciigrave{} ,{},")


def test_tex_url_escapes_comment_and_parameter_characters():
    assert tex_url("https://x.org/a%20b#c&d{e}\\f") == r"https://x.org/a\%20b\#c\&de/f"


# -- names: the one slug -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("Forget gate & LSTM", "forget-gate-lstm"),
    ("  RNNs & LSTMs: Part 2 ", "rnns-lstms-part-2"),
    ("Über Café", "uber-cafe"),  # accents dropped, not the letter
    ("注意力", "section"),  # nothing ASCII left: the fallback
    ("", "section"),
])
def test_slug(text, expected):
    assert slug(text) == expected


def test_slug_fallback_and_length():
    assert slug("注意力", "notes") == "notes"
    assert slug("a" * 59 + " b", "notes", max_length=60) == "a" * 59  # no dash left at the cut


@pytest.mark.parametrize(("stem", "expected"), [
    ("my fig#2", "my-fig-2"),
    ("Loss_curve.v2", "Loss_curve.v2"),  # case, `_` and `.` kept
    ("图", "figure"),
    ("-x-", "x"),
])
def test_tex_safe_stem(stem, expected):
    assert tex_safe_stem(stem) == expected


def test_tex_safe_stem_with_another_fallback():
    assert tex_safe_stem("笔记", "notes") == "notes"


# -- the tables ----------------------------------------------------------------------------------------------
def test_unicode_math_and_accents():
    assert UNICODE_MATH["α"] == "\\alpha" and UNICODE_MATH["√"] == "\\surd"
    assert accented("ŷ") == "\\hat{y}"
    assert accented("y") is None


def test_cjk_ranges():
    assert is_cjk("注") and is_cjk("，") and not is_cjk("a") and not is_cjk("α")
