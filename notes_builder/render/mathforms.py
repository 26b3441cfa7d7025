"""Math as MathJax reads it, rewritten the way LaTeX reads the same meaning (Unicode symbols, text commands in math,
script arguments...). Resolve checks the rewritten form and puts it in the model; `notes lint --compile` compiles it."""

from __future__ import annotations

import re

from notes_builder import displaymath
from notes_builder.tex.chars import CJK_RANGES, UNICODE_MATH, accented
from notes_builder.tex.macros import BUILTIN_ARGUMENTS
from notes_builder.tex.mathview import math_view
from notes_builder.tex.tokens import group_end

TEXT_IN_MATH = re.compile(r"(?P<argument>\\(?:textcircled|H|r|u|v|url)(?![A-Za-z])\s*(?=\{))"
                          r"|\\(?:LaTeXe|LaTeX|TeX)(?![A-Za-z])")


_TWO_SCRIPTS = re.compile(r"([_^])\{(\w+)\}(\1)\{(\w+)\}")
_CJK_RUN = re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in CJK_RANGES) + "]+")


def math_unicode(body: str) -> str:
    """Unicode in math as MathJax shows it: a symbol with a LaTeX command (`×`, `²`, `≤`, Greek) becomes that
    command where TeX reads math (not inside `\\text{...}`), and a run of Chinese characters or full-width
    punctuation (`，`, `。`) is set as text, which the CJK font has (math fonts have none of them)."""
    clean = math_view(body)  # the same view of "math, not text" lint has
    out = []
    for index, char in enumerate(body):
        in_math = ord(char) > 0x7F and clean[index] == char  # not inside \\text{...}
        command = (UNICODE_MATH[char] if char in UNICODE_MATH else accented(char)) if in_math else None
        if command is None:
            out.append(char)
            continue
        following = body[index + 1:index + 2]
        if not command:
            command = "{}"  # a zero-width character: nothing, but the text on either side stays apart
        if command.startswith(("^", "_")) and out and out[-1] == command[0]:
            command = command[1:]  # `x^²`: the script is already there
        out.append(command + (" " if command[-1:].isalpha() and following.isalpha() else ""))
    joined = "".join(out)
    while _TWO_SCRIPTS.search(joined):  # `x²³` is x^{23}, not a double superscript
        joined = _TWO_SCRIPTS.sub(r"\1{\2\4}", joined)
    return _CJK_RUN.sub(lambda match: f"\\text{{{match.group(0)}}}", joined)


_DISPLAYLINES = re.compile(r"\\displaylines\s*\{")
_SCRIPT_COMMAND = re.compile(r"([_^])\s*\\([A-Za-z]+)(?![A-Za-z])")
_SIZE_IN_MATH = re.compile(r"\\(?:tiny|scriptsize|footnotesize|small|normalsize|large|Large|LARGE|huge|Huge)"
                           r"(?![A-Za-z])\s*")
_NESTED_BOLD = re.compile(r"\\(boldsymbol|bm)\s*\{\s*\\(?:boldsymbol|bm)\s*(\{(?:[^{}]|\{[^{}]*\})*\})\s*\}")


def as_latex_reads(body: str) -> str:
    """A formula as MathJax reads it, written the way LaTeX reads the same meaning (Unicode, text commands in
    math, script arguments...): what the renderer sets, and what `notes lint --compile` compiles."""
    return mathjax_forms(boxed_text_commands(math_unicode(body) if not body.isascii() else body))


def mathjax_forms(body: str) -> str:
    """Forms MathJax reads that stop LaTeX, written as LaTeX reads the same meaning: a script whose argument is a
    command with arguments (`_\\text{data loss}`, `^\\frac{1}{2}`) gets braces; `^'` is `^{\\prime}`; a size
    command (`\\small`), which LaTeX ignores in math, is dropped; `\\boldsymbol{\\boldsymbol{R}}` (which exhausts
    TeX's memory with the bm package) is one \\boldsymbol."""
    if "^'" in body:
        body = body.replace("^'", "^{\\prime}")
    if "\\" not in body:
        return body
    body = _SIZE_IN_MATH.sub("{}", body)  # `{}`: the text on either side must not join into one command
    for match in reversed(list(_DISPLAYLINES.finditer(body))):  # plain TeX's, which amsmath's display refuses
        close = group_end(body, match.end() - 1)
        if close > 0:
            lines = re.sub(r"\\cr(?![A-Za-z])", r"\\\\", body[match.end():close])
            body = f"{body[:match.start()]}\\begin{{gathered}}{lines}\\end{{gathered}}{body[close + 1:]}"
    for start, close in reversed(displaymath.stacked_scripts(body)):
        body = f"{body[:start + 1]}\\substack{{{body[start + 1:close]}}}{body[close:]}"
    while _NESTED_BOLD.search(body):
        body = _NESTED_BOLD.sub(r"\\\1\2", body)
    out, cursor = [], 0
    for match in _SCRIPT_COMMAND.finditer(body):
        spec = BUILTIN_ARGUMENTS.get(match.group(2), "")
        if match.start() < cursor or "{" not in spec:
            continue
        end = match.end()
        for kind in spec:
            at = end
            while at < len(body) and body[at] in " \t\n":
                at += 1
            if kind == "*" and body.startswith("*", at):
                end = at + 1
            elif kind == "[" and body.startswith("[", at):
                close = body.find("]", at)
                end = close + 1 if close > 0 else end
            elif kind == "{" and body.startswith("{", at):
                close = group_end(body, at)
                if close < 0:
                    break
                end = close + 1
            elif kind == "{" and at < len(body) and not body[at].isspace():
                end = at + 1  # one token: `\\frac12`
        out += [body[cursor:match.start()], match.group(1), "{", body[match.start() + 1:end].lstrip(), "}"]
        cursor = end
    return "".join(out) + body[cursor:]


def boxed_text_commands(body: str) -> str:
    """`\\textcircled{1}` in math -> `\\text{\\textcircled{1}}`, as MathJax shows it."""
    if not TEXT_IN_MATH.search(body):
        return body
    out, cursor = [], 0
    for match in TEXT_IN_MATH.finditer(body):
        end = group_end(body, match.end()) if match.group("argument") else match.end() - 1
        if match.start() < cursor or end < 0:
            continue
        out += [body[cursor:match.start()], "\\text{", body[match.start():end + 1], "}"]
        cursor = end + 1
    return "".join(out) + body[cursor:]

