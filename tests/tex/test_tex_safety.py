"""The TeX safety policy (notes_builder.tex.safety): which commands notes may not use, and the one wording of
each problem that config, render and lint report. The adversarial cases come from tests/e2e/test_security_hardening.py,
where the end-to-end checks (build, lint, notes.yaml) stay."""

from __future__ import annotations

from pathlib import Path

import pytest

from notes_builder.errors import Diagnostic, Location
from notes_builder.tex.safety import (
    BRACE_HINT,
    FORBIDDEN_HINT,
    PLACEHOLDER_MESSAGE,
    adds_caret_notation,
    check,
    find_forbidden,
    forbidden_why,
)


def names(tex: str) -> list[str]:
    return [name for _, name, _ in find_forbidden(tex)]


# -- moved from tests/e2e/test_security_hardening.py and tests/config/test_config_macros.py ---------------------------
@pytest.mark.parametrize(("tex", "offset"), [
    ("^^5cinput{/etc/hostname}", 0),
    ("x ^^5cimmediate^^5copenout5=pwn.txt", 2),
    ("\\^^5cinput{x}", 1),  # after a backslash too: TeX reads ^^ while it reads a command's name
    ("a^^^^005c", 1),
])
def test_caret_notation_is_forbidden(tex, offset):
    found = find_forbidden(tex)
    assert found and found[0][0] == offset and found[0][1] == "^^"
    assert "^^" in found[0][2]

NEW_FORBIDDEN = ["UseName", "csuse", "NewDocumentCommand", "RenewDocumentCommand", "ProvideDocumentCommand",
                 "DeclareDocumentCommand", "NewExpandableDocumentCommand", "NewCommandCopy", "RenewCommandCopy",
                 "DeclareCommandCopy", "chardef", "mathchardef", "countdef", "dimendef", "skipdef", "muskipdef",
                 "toksdef", "global", "long", "outer", "protected", "ExplSyntaxOn", "scantokens", "pdfprimitive",
                 "primitive", "lowercase", "uppercase", "afterassignment", "everymath", "everydisplay", "everypar",
                 "everyhbox", "everyvbox", "everyjob", "everyeof", "newtoks", "AddToHook", "AtBeginDocument",
                 "AtEndDocument", "ExpandArgs", "lastnamedcs", "csdef", "cslet", "letcs", "csexpandonce",
                 "filecontents", "VerbatimInput", "IfFileExists", "pdfmdfivesum", "pdfximage", "pdfannot",
                 "pdfcatalog", "addtocontents", "newunicodechar"]


@pytest.mark.parametrize("name", NEW_FORBIDDEN)
def test_commands_that_define_or_call_by_name_are_forbidden(name):
    assert names(f"a \\{name}{{x}}") == [name]


@pytest.mark.parametrize("tex", ["\\frac{a}{b}", "\\protect\\alpha", "\\overline{x}", "\\text{global long}",
                                 "\\lVert x \\rVert", "\\mathchar\"1", "\\hat{x}"])
def test_ordinary_math_is_not_forbidden(tex):
    assert names(tex) == []

@pytest.mark.parametrize(("tex", "expected"), [
    ("\\begin{input}{/etc/hostname}", ["begin{input}"]),
    ("\\begin {input}{x}", ["begin{input}"]),
    ("\\begin%\n{input}{x}", ["begin{input}"]),
    ("\\end{input}", ["end{input}"]),
    ("\\begin{UseName}{input}", ["begin{UseName}"]),
    ("\\begin{filecontents*}{x.tex} a \\end{filecontents*}", ["begin{filecontents*}", "end{filecontents*}"]),
    ("\\begin{\\X}{/etc/hostname}", ["begin"]),  # a macro that expands to `input`
    ("\\begin\\X{/etc/hostname}", ["begin"]),
    ("\\end{document}", ["end{document}"]),
    ("\\begin{aligned} a \\\\ b \\end{aligned}", []),
    ("\\begin{pmatrix*} a \\end{pmatrix*}", []),
])
def test_begin_and_end_of_a_forbidden_command(tex, expected):
    assert names(tex) == expected

@pytest.mark.parametrize(("tex", "command"), [
    ("\\begin{in%\n  put}{f}\\end{in%\nput}", "begin{input}"),  # TeX drops the comment: the name is `input`
    ("\\end{document%\n}", "end{document}"),
    ("\\input@x", "input"),  # `@` is no letter outside \makeatletter: this is \input then `@x`
    ("\\end{linechar}", "end{linechar}"),  # `\end{X}` runs `\endX`
    ("\\CustomVerbatimCommand{\\readit}{VerbatimInput}{}", "CustomVerbatimCommand"),
    ("\\pgfmathtruncatemacro\\m{3}\\m", "pgfmathtruncatemacro"),
    ("\\newtcolorbox{x}{}", "newtcolorbox"),
    ("\\font\\x=cmr10", "font"),
    ("\\csundef{x}", "csundef"),
])
def test_second_review_bypasses_are_refused(tex, command):
    assert command in [name for _, name, _ in find_forbidden(tex)]


def test_write18_is_named_as_the_shell_escape_it_is():
    assert find_forbidden("a \\write18{ls} \\write3{x}") == [(2, "write18", "runs a command"),
                                                            (15, "write", "writes to a file")]


# -- the policy as diagnostics -------------------------------------------------------------------------------
def test_check_reports_each_forbidden_command_then_the_brace_in_one_wording():
    where = Path("notes.yaml")
    found = check("\\input{a} \\def\\x{1} {", False, lambda index: Location(where, 1, index + 1))
    assert [(d.code, d.kind, d.message, d.location.column) for d in found] == [
        ("NB171", "error", "\\input is not allowed in notes (reads a file)", 1),
        ("NB171", "error", "\\def is not allowed in notes (defines a macro)", 11),
        ("NB133", "error", "'{' is never closed", 21),
    ]
    assert all(isinstance(d, Diagnostic) for d in found)
    assert [d.hint for d in found] == [FORBIDDEN_HINT, FORBIDDEN_HINT, BRACE_HINT]


def test_check_with_primitives_allowed_still_checks_braces():
    assert [d.message for d in check("\\def\\x{1}}", True)] == ["'}' has no matching '{'"]
    assert check("\\def\\x{1}", True) == []


def test_check_of_math_reports_a_placeholder_first():
    found = check("x = {{ metrics.accuracy }} \\input{a}", False, math=True)
    assert [(d.code, d.message) for d in found][0] == ("NB172", PLACEHOLDER_MESSAGE)
    assert [d.code for d in found] == ["NB172", "NB171"]
    assert check("a^{{ T }}", False, math=True) == []  # doubled braces are grouping, not a placeholder
    assert check("{{ metrics.x }}", False) == []  # not math (a macro body, raw LaTeX): no placeholder rule


def test_commands_in_comments_are_still_refused():
    # The policy reads comments too: a comment is one lost newline away from running.
    assert names("x % \\input{a}\ny") == ["input"]


def test_at_is_no_letter_for_the_policy():
    assert names("\\def@x") == ["def"]  # `\\def` then `@x`: LaTeX's document catcodes, as MathJax reads it


@pytest.mark.parametrize("name", ["newline", "newpage", "newblock", "frac", "alpha", "mathbb"])
def test_ordinary_commands_have_no_reason_to_be_refused(name):
    assert forbidden_why(name) is None


@pytest.mark.parametrize("name", ["newcommand", "NewFoo", "DeclareBar", "pgfmathtruncatemacro", "gdef"])
def test_definers_are_refused_by_name(name):
    assert forbidden_why(name) is not None


def test_a_fix_must_not_spell_caret_notation():
    assert adds_caret_notation("x", "²", "^2", "") is False
    assert adds_caret_notation("x^", "²", "^2", "") is True
