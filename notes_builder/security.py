"""What notes content may not do in TeX: the one list shared by lint, render and build.

Notes are data, not programs: unless `notes.yaml` opts in (`allow.tex_primitives`), math and raw LaTeX
must not read or write files, run commands, change category codes or define macros.
"""

from __future__ import annotations

import re

# Primitives and LaTeX commands that read/write files, run things, or (re)define macros.
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
}
# `\end` is only forbidden when it closes something the template owns (see ends_template_block).
_TEMPLATE_ENVIRONMENTS = {"document", "nbformula", "nbcode", "nbcallout", "equation*", "CJK"}
# An environment `foo` is the commands \foo and \endfoo: a notes.yaml macro by one of these names would break it.
TEMPLATE_COMMANDS = frozenset(f"{prefix}{env}" for env in _TEMPLATE_ENVIRONMENTS if env.isalpha()
                              for prefix in ("", "end"))

# A placeholder written inside math: `{{ name }}`, `{{ name | filter`, `{{ name[`, or a dotted lookup
# `{{name.attr`. Bare `{{a}}` is not matched: doubled braces are ordinary LaTeX grouping in a formula.
# Placeholders are replaced in prose only; render refuses these and lint reports them (NB172).
PLACEHOLDER_IN_MATH = re.compile(r"\{\{(?:\s*[A-Za-z_]\w*\s*\.\s*[A-Za-z_]|\s+[A-Za-z_]\w*\s*(?:\}\}|\||\[|\.))")
_COMMAND = re.compile(r"\\([A-Za-z@]+|.)")
_END_ARGUMENT = re.compile(r"\s*\{([^{}]*)\}")  # the environment name after `\end`


def find_forbidden(tex: str) -> list[tuple[int, str, str]]:
    """(offset, command, why) for each forbidden command in `tex`, in order."""
    found = []
    for match in _COMMAND.finditer(tex):
        name = match.group(1)
        if name == "end":
            env = _END_ARGUMENT.match(tex, match.end())
            if env and env.group(1) in _TEMPLATE_ENVIRONMENTS:
                found.append((match.start(), f"end{{{env.group(1)}}}", "closes a block the template owns"))
            continue
        if name == "write" and tex.startswith("18", match.end()):
            name = "write18"  # TeX reads `\write` then the stream 18, the shell: say that, not "writes to a file"
        if name in FORBIDDEN_COMMANDS:
            found.append((match.start(), name, FORBIDDEN_COMMANDS[name]))
    return found


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
