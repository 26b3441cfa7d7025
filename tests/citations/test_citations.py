"""Citation syntax as pandoc's manual gives it, read by the markdown-it plugin (not inside code, math or addresses)."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from notes_builder.citations import Citation, CiteItem, citations_plugin

PARSER = MarkdownIt("commonmark").use(citations_plugin)


def citations(text: str) -> list[Citation]:
    return [token.meta["citation"] for token in PARSER.parseInline(text)[0].children if token.type == "citation"]


def test_a_bracketed_group_with_prefixes_locators_and_a_suppressed_author():
    text = "[see @hochreiter1997, p. 1738; also -@gers2000, chap. 2]"  # offsets: in the citation's own text
    [group] = citations(f"as shown {text}.")
    assert group.mode == "parenthetical"
    assert group.items == (CiteItem("hochreiter1997", "see", "p. 1738", False, text.index("@h")),
                           CiteItem("gers2000", "also", "chap. 2", True, text.index("@g")))


def test_in_text_citations_with_and_without_a_locator():
    assert citations("@kingma2015 [sec. 2] proposed Adam, as @gers2000 did.") == [
        Citation("textual", (CiteItem("kingma2015", "", "sec. 2", False, 0),)),
        Citation("textual", (CiteItem("gers2000", "", "", False, 0),))]


def test_a_key_ends_before_trailing_punctuation_and_may_hold_inner_punctuation():
    assert [c.keys for c in citations("See @doe:2020.x, and [@a-b_c/d].")] == [["doe:2020.x"], ["a-b_c/d"]]
    assert citations("Braced: @{odd.key.}")[0].keys == ["odd.key."]


@pytest.mark.parametrize("text", ["mail a@b.com", "`[@code]`", "[foo@bar]", "x\\@y", "$a@b$ is math"])
def test_addresses_code_and_escaped_signs_are_no_citations(text):
    parser = MarkdownIt("commonmark").use(citations_plugin).use(dollarmath_plugin)
    assert [t for t in parser.parseInline(text)[0].children if t.type == "citation"] == []


def test_a_bracket_followed_by_a_link_target_stays_a_link_and_its_text_no_citation():
    tokens = PARSER.parseInline("[@a](https://example.org)")[0].children
    assert tokens[0].type == "link_open"
    assert citations("[@Sm1les](https://github.com/Sm1les) and [see @b](u)") == []


def test_a_bracketed_citation_before_a_colon_is_one():
    [group] = citations("the data set [@reyesortiz2016]: 30 volunteers")
    assert (group.mode, group.keys) == ("parenthetical", ["reyesortiz2016"])
