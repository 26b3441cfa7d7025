"""What notes content may not do in TeX: the one list shared by lint, render and build.

Notes are data, not programs: unless `notes.yaml` opts in (`allow.tex_primitives`), math and raw LaTeX
must not read or write files, run commands, change category codes or define macros.
"""

from __future__ import annotations

import functools
import re

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
_COMMAND = re.compile(r"\\([A-Za-z]+|.)")  # `@` is no letter in the document (\makeatletter is forbidden)
_COMMENT = re.compile(r"%[^\n]*(?:\n[ \t]*)?")  # TeX drops a comment, its newline and the next line's indent
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
    for match in _COMMAND.finditer(tex):
        name = match.group(1)
        if name in ("begin", "end"):
            found.extend(_environment(tex, match.start(), name, match.end(), opened))
            continue
        if name == "write" and tex.startswith("18", match.end()):
            name = "write18"  # TeX reads `\write` then the stream 18, the shell: say that, not "writes to a file"
        why = forbidden_why(name)
        if why is not None:
            found.append((match.start(), name, why))
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
    at = _skip_to_argument(tex, at)
    if at >= len(tex):
        return []
    if tex[at] == "\\":
        return [(start, command, "takes the environment name from a macro")]
    if tex[at] != "{":
        return []  # one character: no forbidden command has a one-letter name
    close = group_end(tex, at)
    argument = _COMMENT.sub("", tex[at + 1:close if close > 0 else len(tex)])  # `{in%⏎put}` is `{input}`
    if "\\" in argument:
        return [(start, command, "takes the environment name from a macro")]
    if close < 0 or "{" in argument:
        return []  # unbalanced (reported elsewhere) or braces inside the name: no command has such a name
    if argument in _TEMPLATE_ENVIRONMENTS:
        if command == "begin":
            if argument in _USER_ENVIRONMENTS and not _in_comment(tex, start):
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


def _in_comment(tex: str, at: int) -> bool:
    """Whether `at` follows an unescaped `%` on its line (TeX never runs it)."""
    line = tex[tex.rfind("\n", 0, at) + 1:at]
    return bool(re.search(r"(?<!\\)(?:\\\\)*%", line))


def _skip_to_argument(tex: str, at: int) -> int:
    """Where TeX finds the argument of a command that ends at `at`: past spaces, newlines and comments."""
    while at < len(tex):
        if tex[at] in " \t\r\n":
            at += 1
        elif tex[at] == "%":
            newline = tex.find("\n", at)
            at = len(tex) if newline < 0 else newline + 1
        else:
            break
    return at


def group_end(tex: str, start: int) -> int:
    """Index of the '}' matching the '{' at `start` (escaped braces and comments skipped), or -1."""
    depth = 0
    index = start
    while index < len(tex):
        char = tex[index]
        if char == "\\":
            index += 2
            continue
        if char == "%":  # TeX ignores the rest of the line
            newline = tex.find("\n", index)
            index = len(tex) if newline < 0 else newline
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return -1


def unbalanced_brace(tex: str) -> int | None:
    """Offset of the first brace that has no partner (escaped braces ignored), or None."""
    depth_stack: list[int] = []
    index = 0
    while index < len(tex):
        char = tex[index]
        if char == "\\":
            index += 2
            continue
        if char == "%":  # a comment runs to the end of the line
            newline = tex.find("\n", index)
            index = len(tex) if newline < 0 else newline
            continue
        if char == "{":
            depth_stack.append(index)
        elif char == "}":
            if not depth_stack:
                return index
            depth_stack.pop()
        index += 1
    return depth_stack[0] if depth_stack else None
