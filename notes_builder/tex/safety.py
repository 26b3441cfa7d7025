"""The one TeX safety policy: what notes content may not do in TeX, for config, lint and render alike.

Notes are data, not programs: unless `notes.yaml` opts in (`allow.tex_primitives`), math and raw LaTeX
must not read or write files, run commands, change category codes or define macros; and its braces must
balance, or the text would close a group the template opened. `check` returns each problem as a Diagnostic
in the one wording every stage reports (lint under the codes NB171, NB133 and NB172).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from notes_builder.errors import Diagnostic, Location
from notes_builder.tex.tokens import (
    control_sequences,
    group_end,
    in_comment,
    skip_to_argument,
    unbalanced_brace,
    without_comments,
)

# Primitives and LaTeX commands that read/write files, run things, (re)define macros, call a command by a name
# built at run time, or store code to run later.
FORBIDDEN_COMMANDS: dict[str, str] = {
    "input": "reads a file", "include": "reads a file", "includeonly": "selects files to read",
    "InputIfFileExists": "reads a file", "openin": "opens a file for reading", "read": "reads from a file",
    "readline": "reads from a file", "openout": "opens a file for writing", "write": "writes to a file",
    "immediate": "performs file operations at once", "closein": "file operation", "closeout": "file operation",
    "special": "passes raw commands to the driver", "pdfliteral": "injects raw PDF", "directlua": "runs Lua",
    "catcode": "changes how TeX reads characters", "lccode": "changes character codes",
    "uccode": "changes character codes", "mathcode": "changes character codes",
    "def": "defines a macro", "edef": "defines a macro", "gdef": "defines a macro", "xdef": "defines a macro",
    "let": "defines a macro", "futurelet": "defines a macro", "newcommand": "defines a macro",
    "renewcommand": "defines a macro", "providecommand": "defines a macro", "DeclareRobustCommand":
    "defines a macro", "newenvironment": "defines an environment", "renewenvironment": "defines an environment",
    "csname": "builds a command name at run time", "expandafter": "low-level expansion control",
    "usepackage": "loads code", "RequirePackage": "loads code", "documentclass": "starts a document",
    "makeatletter": "changes how TeX reads '@'", "shipout": "writes a page",
    "pdfobj": "injects raw PDF", "pdffilemoddate": "reads file metadata", "pdffilesize": "reads file metadata",
    "pdffiledump": "reads a file", "ShellEscape": "runs a command", "write18": "runs a command",
    "endinput": "stops reading the file",
    **dict.fromkeys(["UseName", "csuse", "ExpandArgs", "lastnamedcs", "csexpandonce", "ifcsname",
                     "pdfprimitive", "primitive"], "calls a command by a name built at run time"),
    **dict.fromkeys(["NewDocumentCommand", "RenewDocumentCommand", "ProvideDocumentCommand",
                     "DeclareDocumentCommand", "NewExpandableDocumentCommand", "RenewExpandableDocumentCommand",
                     "ProvideExpandableDocumentCommand", "DeclareExpandableDocumentCommand", "NewCommandCopy",
                     "RenewCommandCopy", "DeclareCommandCopy", "chardef", "mathchardef", "countdef", "dimendef",
                     "skipdef", "muskipdef", "toksdef", "newtoks", "newcount", "newdimen", "newskip", "newmuskip",
                     "newbox", "newif", "newlength", "newcounter", "newsavebox", "newread", "newwrite",
                     "csdef", "csgdef", "csedef", "csxdef", "cslet", "letcs", "csletcs", "newrobustcmd",
                     "renewrobustcmd", "providerobustcmd", "DeclareMathOperator", "DeclareMathSymbol",
                     "newunicodechar", "DeclareUnicodeCharacter", "pgfmathsetmacro", "pgfkeys", "pgfqkeys",
                     "tikzset", "tcbset", "appto", "gappto", "eappto", "xappto", "preto", "gpreto", "patchcmd",
                     "apptocmd", "pretocmd"], "defines a macro"),
    **dict.fromkeys(["NewDocumentEnvironment", "RenewDocumentEnvironment", "ProvideDocumentEnvironment",
                     "DeclareDocumentEnvironment", "provideenvironment", "NewEnvironmentCopy"],
                    "defines an environment"),
    **dict.fromkeys(["global", "long", "outer", "protected"], "prefixes a definition"),
    "ExplSyntaxOn": "changes how TeX reads characters", "endlinechar": "changes how TeX reads lines",
    "scantokens": "re-reads text as TeX code", "lowercase": "rewrites tokens before they run",
    "uppercase": "rewrites tokens before they run", "afterassignment": "runs code later",
    **dict.fromkeys(["everymath", "everydisplay", "everypar", "everyhbox", "everyvbox", "everyjob", "everyeof",
                     "everycr", "AddToHook", "AddToHookNext", "AddToHookWithArguments",
                     "AddToHookNextWithArguments", "AtBeginDocument", "AtEndDocument", "AtEndPreamble",
                     "AfterEndPreamble", "AfterEndDocument", "AtBeginEnvironment", "AtEndEnvironment",
                     "BeforeBeginEnvironment", "AfterEndEnvironment", "AtBeginShipout", "AtEndOfClass",
                     "AtEndOfPackage", "AtBeginDvi"], "runs code later"),
    **dict.fromkeys(["filecontents", "addtocontents", "addcontentsline"], "writes to a file"),
    **dict.fromkeys(["VerbatimInput", "BVerbatimInput", "LVerbatimInput", "verbatiminput", "lstinputlisting",
                     "IfFileExists", "pdfmdfivesum", "pdfximage", "XeTeXpicfile", "XeTeXpdffile",
                     "includegraphics"], "reads a file"),
    **dict.fromkeys(["pdfannot", "pdfcatalog", "pdfnames", "pdftrailer", "pdfinfo", "pdfpageattr",
                     "pdfpagesattr", "pdfpageresources", "pdfstartlink"], "injects raw PDF"),
    **dict.fromkeys(["LoadClass", "LoadClassWithOptions", "RequirePackageWithOptions", "usetikzlibrary",
                     "usepgflibrary", "tcbuselibrary"], "loads code"),
}
# TeX reads `^^5c` as `\\` (and `^^^^005c` under XeTeX) before it reads commands: `^^` can spell any of the
# above, so it is reported like a command (as a pseudo-command named "^^"). In math `x^^2` is never what was
# meant either: TeX reads `^^2` as the character `r` and silently sets `xr`.
CARET_NOTATION = "^^"
# The hint of every "not allowed in notes" error: math, macro bodies, the symbols table.
FORBIDDEN_HINT = "notes never read or write files or define macros; set allow.tex_primitives: true in notes.yaml " \
                 "to opt in"
_CARET_WHY = "TeX's ^^ notation can spell any command"
# `\end` is only forbidden when it closes something the template owns (see ends_template_block).
_TEMPLATE_ENVIRONMENTS = {"document", "nbformula", "nbcode", "nbcallout", "equation*", "CJK"}
_USER_ENVIRONMENTS = {"equation*"}  # a formula may open and close one itself (MathJax accepts it)
# An environment `foo` is the commands \foo and \endfoo: a notes.yaml macro by one of these names would break it.
TEMPLATE_COMMANDS = frozenset(f"{prefix}{env}" for env in _TEMPLATE_ENVIRONMENTS if env.isalpha()
                              for prefix in ("", "end"))

# A placeholder written inside math: `{{ metrics.NAME`, `{{ notes[`, `{{ metrics | ...` (placeholders have
# only these two names). Other doubled braces, `a^{{ T }}` or `\left\{{ x }\right\}`, are LaTeX grouping.
# Placeholders are replaced in prose only; render refuses these and lint reports them (NB172).
PLACEHOLDER_IN_MATH = re.compile(r"(?<!\\)\{\{\s*(?:metrics|notes)\s*[.\[|}]")
# Families of definers and file readers the packages of the template add (`\newtcolorbox`, `\DeclareX`,
# `\CustomVerbatimCommand`, `\pgfmathtruncatemacro`, `\csundef`...): refused by name pattern, since a list
# of every package's definers is never complete.
_DEFINER = re.compile(r"(?:[Rr]e)?[Nn]ew[A-Za-z]+|(?:Declare|Define|Provide|Custom|Recustom)[A-Za-z]*"
                      r"|[A-Za-z]*(?:def|macro)|font|tcbinclude[A-Za-z]*")
_NOT_DEFINERS = frozenset({"newline", "newpage", "newblock"})  # layout, not definitions
_CARETS = re.compile(r"\^\^+")  # one report per run of carets, even right after a backslash (`\^^5c`)
_CARET_PAIRS = re.compile(r"(?=\^\^)")  # every `^^`, overlapping ones too


def adds_caret_notation(before: str, old: str, new: str, after: str) -> bool:
    """Whether writing `new` for `old` between `before` and `after` makes a `^^` that was not there: lint fixes,
    alone or side by side, must never spell CARET_NOTATION."""
    return len(_CARET_PAIRS.findall(before + new + after)) > len(_CARET_PAIRS.findall(before + old + after))


def describe(name: str) -> str:
    """How a message names a forbidden command: `\\input`, `\\begin{input}`, or `'^^'`."""
    return f"'{name}'" if name == CARET_NOTATION else f"\\{name}"


def find_forbidden(tex: str) -> list[tuple[int, str, str]]:
    """(offset, command, why) for each forbidden command in `tex`, in order.

    `command` is a name from FORBIDDEN_COMMANDS (no backslash), `begin{NAME}`/`end{NAME}` for an environment
    that would run one (LaTeX's `\\begin{NAME}` calls `\\NAME`), `begin`/`end` whose name is computed by a
    macro, `end{ENV}` for a block the template owns, or "^^" (see CARET_NOTATION).
    """
    found = [(match.start(), CARET_NOTATION, _CARET_WHY) for match in _CARETS.finditer(tex)] if "^^" in tex else []
    opened: dict[str, int] = {}  # template environments the text opens itself (`\\begin{equation*}`): it may close them
    # Commands in comments too: a comment is one lost newline away from running (render joins lines, a `%` in
    # inline math would comment out what follows it), and a notes author has no need to hide a forbidden one.
    for command in control_sequences(tex):
        name = command.group("command")
        if name in ("begin", "end"):
            found.extend(_environment(tex, command.start(), name, command.end(), opened))
            continue
        if name == "write" and tex.startswith("18", command.end()):
            name = "write18"  # TeX reads `\write` then the stream 18, the shell: say that, not "writes to a file"
        why = forbidden_why(name)
        if why is not None:
            found.append((command.start(), name, why))
    found.sort(key=lambda item: item[0])
    return found


@functools.lru_cache(maxsize=4096)  # called for every command of every formula; names repeat
def forbidden_why(name: str) -> str | None:
    """Why the command `\\name` is not allowed in notes, or None when it is allowed."""
    why = FORBIDDEN_COMMANDS.get(name)
    if why is None and name not in _NOT_DEFINERS and _DEFINER.fullmatch(name):
        why = "defines a command"
    return why


def _environment(tex: str, start: int, command: str, at: int, opened: dict[str, int]) -> list[tuple[int, str, str]]:
    """`\\begin`/`\\end` at `start` (its argument from `at`): LaTeX runs `\\csname NAME\\endcsname`, so a
    forbidden NAME is that command, and a NAME that holds a macro may expand to any command."""
    at = skip_to_argument(tex, at)
    if at >= len(tex):
        return []
    if tex[at] == "\\":
        return [(start, command, "takes the environment name from a macro")]
    if tex[at] != "{":
        return []  # one character: no forbidden command has a one-letter name
    close = group_end(tex, at)
    argument = without_comments(tex[at + 1:close if close > 0 else len(tex)])  # `{in%⏎put}` is `{input}`
    if "\\" in argument:
        return [(start, command, "takes the environment name from a macro")]
    if close < 0 or "{" in argument:
        return []  # unbalanced (reported elsewhere) or braces inside the name: no command has such a name
    if argument in _TEMPLATE_ENVIRONMENTS:
        if command == "begin":
            if argument in _USER_ENVIRONMENTS and not in_comment(tex, start):
                opened[argument] = opened.get(argument, 0) + 1
        elif argument in _USER_ENVIRONMENTS and opened.get(argument):
            opened[argument] -= 1  # `\\begin{equation*} … \\end{equation*}`: closes what the same text opened
        else:
            return [(start, f"end{{{argument}}}", "closes a block the template owns")]
    name = argument.strip().removesuffix("*").strip()
    for runs in (name, f"end{name}") if command == "end" else (name,):  # `\end{X}` runs `\endX` too
        why = forbidden_why(runs)
        if why is not None:
            return [(start, f"{command}{{{argument}}}", f"the environment runs \\{runs}, which {why}")]
    return []




# -- the policy as diagnostics: one wording for config, render and lint ---------------------------------------
FORBIDDEN_CODE = "NB171"
BRACE_CODE = "NB133"
PLACEHOLDER_CODE = "NB172"
BRACE_HINT = "every '{' needs a matching '}'; write \\{ or \\} for literal braces"
PLACEHOLDER_MESSAGE = "placeholders are not replaced inside math"
PLACEHOLDER_HINT = "write the placeholder outside the $…$, e.g. `$n =$ {{ metrics.NAME }}`"


def forbidden_message(name: str, why: str) -> str:
    """What every stage says about a forbidden command (a name from find_forbidden)."""
    return f"{describe(name)} is not allowed in notes ({why})"


def brace_message(brace: str) -> str:
    """What every stage says about a brace that has no partner."""
    return "'{' is never closed" if brace == "{" else "'}' has no matching '{'"


def diagnostic(location: Location | None, message: str, hint: str | None, code: str) -> Diagnostic:
    """The one place the policy builds a problem: errors.Diagnostic's fields change here only."""
    return Diagnostic(location, "error", message, hint, code)


def check(tex: str, allow_primitives: bool, locate: Callable[[int], Location | None] = lambda _: None,
          math: bool = False) -> list[Diagnostic]:
    """Every safety problem of `tex` (math, raw LaTeX, a macro body, a symbol), in order: forbidden commands
    (unless notes.yaml opts in with `allow.tex_primitives`), then an unbalanced brace. With `math`, a
    placeholder written inside the formula comes first. `locate` maps an offset of `tex` to the user's file."""
    found: list[Diagnostic] = []
    if math:
        placeholder = PLACEHOLDER_IN_MATH.search(tex) if "{{" in tex else None
        if placeholder is not None:
            found.append(diagnostic(locate(placeholder.start()), PLACEHOLDER_MESSAGE, PLACEHOLDER_HINT,
                                    PLACEHOLDER_CODE))
    if not allow_primitives:
        found.extend(diagnostic(locate(offset), forbidden_message(name, why), FORBIDDEN_HINT, FORBIDDEN_CODE)
                     for offset, name, why in find_forbidden(tex))
    bad = unbalanced_brace(tex)
    if bad is not None:
        found.append(diagnostic(locate(bad), brace_message(tex[bad]), BRACE_HINT, BRACE_CODE))
    return found
