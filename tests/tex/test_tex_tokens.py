"""The one TeX tokenizer and brace matcher (notes_builder.tex.tokens).

Before this layer, five brace scanners and two command lexers disagreed on the cases below. The behaviour
chosen is LaTeX's in a document body, which MathJax follows for math:
- `%` starts a comment to the end of the line (lint's brace pairing used to count braces inside comments);
- `\\%` is a control symbol, so it starts no comment; `\\\\%` is the control symbol `\\\\` then a comment (a
  "not after a backslash" regex got this wrong);
- `@` is no letter (`\\makeatletter` is forbidden in notes; MathJax reads control words as [a-z]+): `\\foo@x` is
  `\\foo` then `@x` (lint and display math used to read `\\foo@x` as one command, the safety policy did not);
- `\\{` and `\\}` are no braces, `\\\\{` is `\\\\` then an opening brace;
- an unclosed group has no end (-1); the first brace without partner is the stray `}` or the outermost `{`.
"""

from __future__ import annotations

import pytest

from notes_builder.tex.tokens import (
    COMMAND,
    brace_pairs,
    commands,
    group_end,
    in_comment,
    skip_to_argument,
    tokens,
    unbalanced_brace,
    without_comments,
)


def kinds(tex: str) -> list[tuple[str, str]]:
    return [(token.kind, token.name or tex[token.start:token.end]) for token in tokens(tex)]


def names(tex: str, in_comments: bool = False) -> list[str]:
    return [token.name for token in commands(tex, in_comments=in_comments)]


# -- the tokenizer -------------------------------------------------------------------------------------------
def test_control_words_symbols_braces_and_comments():
    assert kinds("\\frac{a}{b} % c {\nx") == [("command", "frac"), ("open", "{"), ("close", "}"), ("open", "{"),
                                             ("close", "}"), ("comment", "% c {")]


def test_at_is_no_letter():
    assert names("\\foo@bar \\makeatletter") == ["foo", "makeatletter"]
    assert names("\\@x") == ["@"]  # a control symbol
    assert COMMAND.match("\\foo@x").group("command") == "foo"  # the one pattern lint and render match with


def test_escaped_percent_is_a_control_symbol_not_a_comment():
    assert kinds("50\\% {x}") == [("command", "%"), ("open", "{"), ("close", "}")]


def test_double_backslash_then_percent_starts_a_comment():
    assert kinds("a \\\\% b }\nc") == [("command", "\\"), ("comment", "% b }")]


def test_double_backslash_then_brace_opens_a_group():
    assert kinds("\\\\{x}") == [("command", "\\"), ("open", "{"), ("close", "}")]


def test_a_backslash_at_the_end_is_a_control_symbol_with_no_name():
    assert [(token.kind, token.name, token.start, token.end) for token in tokens("a\\")] == [("command", "", 1, 2)]


def test_a_comment_ends_before_its_newline():
    (comment,) = [token for token in tokens("x%ab\ny") if token.kind == "comment"]
    assert (comment.start, comment.end) == (1, 4)


def test_commands_inside_comments_only_when_asked():
    tex = "\\a % \\b \\% \\c\n\\d"
    assert names(tex) == ["a", "d"]
    assert names(tex, in_comments=True) == ["a", "b", "%", "c", "d"]


def test_a_range_of_the_text():
    tex = "\\a{\\b}\\c"
    assert [token.name for token in tokens(tex, 2, 6) if token.kind == "command"] == ["b"]


# -- the brace matcher ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("tex", "start", "end"), [
    ("{a{b}c}", 0, 6),  # nested
    ("{a{b}c}", 2, 4),
    ("{a\\}b}", 0, 5),  # an escaped brace is no brace
    ("{a % }\n}", 0, 7),  # a brace in a comment is no brace
    ("{a \\% }", 0, 6),  # `\\%` starts no comment
    ("{a \\\\% }\n}", 0, 9),  # `\\\\` then a comment
    ("{a \\\\}", 0, 5),  # `\\\\` then a closing brace
    ("{a{b}", 0, -1),  # unclosed
    ("{a", 0, -1),
    ("{a%}", 0, -1),  # closed only inside a comment
])
def test_group_end(tex, start, end):
    assert group_end(tex, start) == end


def test_brace_pairs_leave_out_braces_without_partner():
    assert brace_pairs("}{a{b}%{\n") == {3: 5}
    assert brace_pairs("\\frac{a}{b}") == {5: 7, 8: 10}


@pytest.mark.parametrize(("tex", "offset"), [
    ("\\sqrt{x + \\frac{1}{2}", 5),  # the outermost brace never closed
    ("a}", 1),  # a brace that closes nothing
    ("{a}}", 3),
    ("x^{2", 2),
    ("\\{ x", None),  # escaped
    ("a % {", None),  # in a comment
    ("\\\\{", 2),  # `\\\\` then a real brace
    ("{a \\\\% }\n}", None),
    ("", None),
])
def test_unbalanced_brace(tex, offset):
    assert unbalanced_brace(tex) == offset


# -- comments and arguments ----------------------------------------------------------------------------------
def test_skip_to_argument_passes_spaces_newlines_and_comments():
    tex = "\\begin %c\n  {x}"
    assert tex[skip_to_argument(tex, 6):] == "{x}"


def test_in_comment():
    tex = "a % b\nc \\% d \\\\% e"
    assert [in_comment(tex, tex.index(char)) for char in "abcde"] == [False, True, False, False, True]


def test_without_comments_drops_the_newline_and_the_indent_as_tex_does():
    assert without_comments("in%\n  put") == "input"
    assert without_comments("50\\% x") == "50\\% x"
    assert without_comments("a\\\\%b\nc") == "a\\\\c"
