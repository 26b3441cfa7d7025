"""Display math read through the one TeX tokenizer: comments hide line breaks and environment ends, `@` is no
letter (see tests/tex/test_tex_tokens.py for the rules)."""

from __future__ import annotations

from notes_builder.displaymath import layout, top_level, whole_environment


def test_a_commented_end_does_not_close_the_environment():
    body = "\\begin{align} a % \\end{align}\n b \\end{align}"
    assert whole_environment(body) == ("align", "", len("\\begin{align}"), body.rindex("\\end{align}"))


def test_a_line_break_in_a_comment_is_no_row():
    assert [row.text.strip() for row in layout("a % \\\\ b\n c \\\\ d", "align").rows] == ["a % \\\\ b\n c", "d"]


def test_top_level_skips_groups_comments_and_environments():
    body = "{a \\\\ b} % \\\\\n \\begin{cases} x \\\\ y \\end{cases} \\\\ & \\foo@x"
    found = [token.group(0) for token in top_level(body)]
    assert found == ["\\\\", "&", "\\foo"]
