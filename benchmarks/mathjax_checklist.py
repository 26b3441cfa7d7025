"""MathJax's and KaTeX's lists of supported TeX commands as a checklist: write tests/render/mathjax_commands.tsv.

Reads MathJax's documentation of its TeX input (`input/tex/macros/index.rst` of github:mathjax/MathJax-docs,
fetched outside the repository), keeps the commands a default MathJax page knows (the base package, the
preloaded ams and newcommand packages, and the packages it autoloads), adds the commands KaTeX's support table
(`docs/support_table.md` of github:KaTeX/KaTeX) marks as supported, writes a formula of our own that uses each
one, and records what notes does with it: `renders` (lint finds no error and pdflatex sets it) or the code of the
located error lint reports. tests/render/test_mathjax_checklist.py checks every row again; `--coverage` prints
the figures from the table as it stands, and realworld.py prints them beside its corpus figures.

    .venv/bin/python benchmarks/mathjax_checklist.py ~/MathJax-docs/input/tex/macros/index.rst --katex \
        ~/KaTeX/docs/support_table.md
    .venv/bin/python benchmarks/mathjax_checklist.py --coverage
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TABLE = REPO / "tests" / "render" / "mathjax_commands.tsv"

# Formulas for commands whose use is not `\name{x}` (written here, not copied from any documentation).
SPECIAL = {
    "_": "x_i", "^": "x^2", "'": "f'(x)", "’": "f’(x)", "{": "{x}", "}": "{x}", "(": "(x)", ")": "(x)", "[": "[x]",
    "]": "[x]", "/": "a/b", "\\": "", ".": "0.5", "&": r"\begin{aligned} a &= b \end{aligned}", "#": "",
    "%": "", "~": "a~b", "\\\\": r"\begin{aligned} a \\ b \end{aligned}",
    r"\left": r"\left( x \right)", r"\right": r"\left( x \right)", r"\middle": r"\left( x \middle| y \right)",
    r"\over": r"{a \over b}", r"\atop": r"{a \atop b}", r"\choose": r"{n \choose k}", r"\above": r"{a \above 1pt b}",
    r"\brace": r"{n \brace k}", r"\brack": r"{n \brack k}", r"\overwithdelims": r"{a \overwithdelims() b}",
    r"\atopwithdelims": r"{a \atopwithdelims() b}", r"\abovewithdelims": r"{a \abovewithdelims() 1pt b}",
    r"\frac": r"\frac{a}{b}", r"\dfrac": r"\dfrac{a}{b}", r"\tfrac": r"\tfrac{a}{b}", r"\cfrac": r"\cfrac{a}{b}",
    r"\binom": r"\binom{n}{k}", r"\dbinom": r"\dbinom{n}{k}", r"\tbinom": r"\tbinom{n}{k}",
    r"\genfrac": r"\genfrac(){0pt}{0}{a}{b}", r"\sqrt": r"\sqrt[3]{x}", r"\root": r"\root 3 \of x",
    r"\of": r"\root 3 \of x", r"\overset": r"\overset{a}{b}", r"\underset": r"\underset{a}{b}",
    r"\stackrel": r"\stackrel{a}{b}", r"\sideset": r"\sideset{_a}{^b}\sum", r"\buildrel": r"\buildrel a \over b",
    r"\hline": r"\begin{array}{c} a \\ \hline b \end{array}", r"\cr": r"\begin{matrix} a \cr b \end{matrix}",
    r"\hdashline": r"\begin{array}{c} a \\ \hdashline b \end{array}",
    r"\label": r"x \label{eq:x}", r"\tag": r"x \tag{1}", r"\notag": r"x \notag", r"\nonumber": r"x \nonumber",
    r"\eqref": r"x", r"\ref": r"x", r"\color": r"\color{red}{x}", r"\textcolor": r"\textcolor{red}{x}",
    r"\colorbox": r"\colorbox{yellow}{x}", r"\fcolorbox": r"\fcolorbox{red}{yellow}{x}",
    r"\definecolor": r"x", r"\newcommand": r"\newcommand{\nbtest}{x} \nbtest",
    r"\renewcommand": r"\renewcommand{\nbtest}{x} x", r"\def": r"\def\nbtest{x} \nbtest",
    r"\let": r"\let\nbtest=x \nbtest", r"\newenvironment": r"x", r"\renewenvironment": r"x",
    r"\hspace": r"a\hspace{1em}b", r"\kern": r"a\kern1em b", r"\mkern": r"a\mkern9mu b", r"\mskip": r"a\mskip9mu b",
    r"\hskip": r"a\hskip1em b", r"\mspace": r"a\mspace{9mu}b", r"\raise": r"\raise2pt\hbox{x}",
    r"\lower": r"\lower2pt\hbox{x}", r"\moveleft": r"\moveleft2pt\hbox{x}", r"\moveright": r"\moveright2pt\hbox{x}",
    r"\rule": r"\rule{1em}{1pt}", r"\Rule": r"\Rule{1em}{1pt}{0pt}", r"\Space": r"\Space{1em}{1pt}{0pt}",
    r"\cancelto": r"\cancelto{0}{x}", r"\mathchoice": r"\mathchoice{a}{b}{c}{d}",
    r"\xrightarrow": r"\xrightarrow[b]{a}", r"\xleftarrow": r"\xleftarrow[b]{a}",
    r"\operatorname": r"\operatorname{f}x",
    r"\DeclareMathOperator": r"x", r"\limits": r"\sum\limits_{i} x", r"\nolimits": r"\sum\nolimits_{i} x",
    r"\displaylimits": r"\sum\displaylimits_{i} x", r"\not": r"\not= x", r"\big": r"\big( x \big)",
    r"\Big": r"\Big( x \Big)", r"\bigg": r"\bigg( x \bigg)", r"\Bigg": r"\Bigg( x \Bigg)",
    r"\bigl": r"\bigl( x \bigr)", r"\Bigl": r"\Bigl( x \Bigr)", r"\biggl": r"\biggl( x \biggr)",
    r"\Biggl": r"\Biggl( x \Biggr)", r"\bigr": r"\bigl( x \bigr)", r"\Bigr": r"\Bigl( x \Bigr)",
    r"\biggr": r"\biggl( x \biggr)", r"\Biggr": r"\Biggl( x \Biggr)", r"\bigm": r"a \bigm| b",
    r"\Bigm": r"a \Bigm| b", r"\biggm": r"a \biggm| b", r"\Biggm": r"a \Biggm| b",
    r"\smash": r"\smash[b]{x}", r"\substack": r"\sum_{\substack{a \\ b}} x", r"\intertext": r"x",
    r"\shortintertext": r"x", r"\text": r"\text{x}", r"\mbox": r"\mbox{x}", r"\hbox": r"\hbox{x}",
    r"\vbox": r"\vbox{x}", r"\vcenter": r"\vcenter{\hbox{x}}", r"\boxed": r"\boxed{x}",
    r"\pmb": r"\pmb{x}", r"\mathop": r"\mathop{x}", r"\mathrm": r"\mathrm{x}", r"\underbrace": r"\underbrace{a}_{b}",
    r"\overbrace": r"\overbrace{a}^{b}", r"\dots": r"a \dots b", r"\char": r"\char65", r"\unicode": r"\unicode{65}",
    r"\href": r"\href{https://example.org}{x}", r"\verb": r"\verb|x|",
    r"\leftroot": r"\sqrt[\leftroot{1}\uproot{2} 3]{x}", r"\uproot": r"\sqrt[\leftroot{1}\uproot{2} 3]{x}",
    r"\skew": r"\skew{2}\hat{x}", r"\mathscr": r"\mathscr{L}", r"\mathcal": r"\mathcal{L}",
    r"\mathbb": r"\mathbb{R}", r"\Bbb": r"\Bbb{R}", r"\cal": r"{\cal L}", r"\bold": r"\bold{x}",
    r"\raisebox": r"\raisebox{1pt}{x}", r"\parbox": r"\parbox{2em}{x}", r"\class": r"\class{c}{x}",
    r"\cssId": r"\cssId{c}{x}", r"\style": r"\style{color: red}{x}",
    r"\begin": r"\begin{aligned} a \end{aligned}",
    r"\end": r"\begin{aligned} a \end{aligned}", r"\bbox": r"\bbox[red]{x}", r"\require": r"x",
    r"\ce": r"\ce{H2O}", r"\pu": r"\pu{1 m}",
}
ENVIRONMENT = {
    "array": r"\begin{array}{cc} a & b \\ c & d \end{array}", "alignat": None, "alignedat": None,
    "subarray": r"\sum_{\begin{subarray}{c} a \\ b \end{subarray}} x",
    "smallmatrix": r"\begin{smallmatrix} a & b \\ c & d \end{smallmatrix}",
    "CD": r"\begin{CD} A @>>> B \end{CD}", "darray": r"\begin{darray}{cc} a & b \end{darray}",
}
DISPLAY_ENVIRONMENTS = {"align", "align*", "alignat", "alignat*", "equation", "equation*", "eqnarray",
                        "eqnarray*", "flalign", "flalign*", "gather", "gather*", "multline", "multline*",
                        "displaymath", "math"}
ALIGNED = {"aligned", "alignedat", "split", "gathered", "cases", "rcases", "dcases", "drcases", "matrix", "pmatrix",
           "bmatrix", "Bmatrix", "vmatrix", "Vmatrix", "cases*", "rcases*", "dcases*", "drcases*", "matrix*",
           "pmatrix*", "bmatrix*", "Bmatrix*", "vmatrix*", "Vmatrix*", "multlined", "lgathered", "rgathered",
           "numcases", "subnumcases"}


def in_scope(packages: str) -> bool:
    """What a default MathJax page knows: base (no package or **base**), the preloaded **ams** and
    **newcommand**, and the autoloaded packages (in italics)."""
    packages = packages.strip()
    return not packages or bool(re.search(r"\*\*(base|ams|newcommand)\*\*|(?<!\*)\*(?!\*)\w+\*(?!\*)", packages))


def read_docs(path: Path) -> list[tuple[str, str, bool]]:
    """(command, packages, is environment) for every row of MathJax's tables."""
    text = path.read_text(encoding="utf-8")
    macros, _, environments = text.partition("\nEnvironments\n")
    row = re.compile(r"\* - ``(.+?)``[^\n]*\n[ \t]*-[ \t]*([^\n]*)")
    return ([(name, packages.strip(), False) for name, packages in row.findall(macros)]
            + [(name, packages.strip(), True) for name, packages in row.findall(environments)])


def read_katex(path: Path) -> list[str]:
    """The commands KaTeX's support table lists as supported."""
    found = []
    table = path.read_text(encoding="utf-8")
    for first, rendered, comment in re.findall(r"^\|([^|]*)\|([^|]*)\|([^|\n]*)\|", table, re.M):
        name = first.strip().replace("\\\\", "\\")
        if re.fullmatch(r"\\[A-Za-z]+", name) and "not supported" not in (rendered + comment).lower():
            found.append(name)
    return found


def example(name: str, environment: bool) -> tuple[str, str]:
    """(formula, context) of our own that uses `name`: context is `inline`, `display` or `env`."""
    if environment:
        if name in DISPLAY_ENVIRONMENTS:
            columns = "{2} a &= b & c &= d"
            body = {"alignat": columns, "alignat*": columns}.get(name, " a &= b \\\\ c &= d")
            if name.startswith(("equation", "multline", "gather", "displaymath", "math")):
                body = " a = b"
            return f"\\begin{{{name}}}{body} \\end{{{name}}}", "env"
        if ENVIRONMENT.get(name):
            return ENVIRONMENT[name], "display"
        if name.startswith("alignedat"):
            return f"\\begin{{{name}}}{{2}} a &= b & c &= d \\end{{{name}}}", "display"
        if name.startswith("gathered"):
            return f"\\begin{{{name}}} a = b \\\\ c = d \\end{{{name}}}", "display"
        return f"\\begin{{{name}}} a & b \\\\ c & d \\end{{{name}}}", "display"
    if name in SPECIAL:
        return SPECIAL[name], "display"
    if not name.startswith("\\"):
        return f"a {name} b", "display"
    return f"{name}{{x}}", "display"


def outcomes(rows: list[tuple[str, str, str]]) -> list[str]:
    """What notes does with each formula: `renders`, or the code of the first error lint reports at it (with
    `--compile`, TeX's own errors too, as NB191)."""
    with tempfile.TemporaryDirectory() as scratch:
        notes = Path(scratch) / "commands.md"
        lines, where = [], []
        for formula, context in ((formula, context) for _, formula, context in rows):
            where.append(len(lines) + 1)
            if not formula:
                lines += ["Empty.", ""]
            elif context == "env":
                lines += [formula, ""]
            else:
                lines += ["$$", formula, "$$", ""]
        notes.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = subprocess.run([sys.executable, "-m", "notes_builder", "lint", str(notes), "--compile", "--format",
                                 "json"], capture_output=True, text=True, cwd=scratch,
                                env={**os.environ, "NOTES_LINT_SERVER": "0"})  # none left behind
        findings = json.loads(result.stdout or "[]")
    first_error: dict[int, str] = {}
    for finding in sorted(findings, key=lambda f: (f["line"], f["column"])):
        if finding["severity"] == "error":
            index = max(i for i, start in enumerate(where) if start <= finding["line"])
            first_error.setdefault(index, finding["code"])
    return [first_error.get(index, "renders") for index in range(len(rows))]


def read_table() -> list[list[str]]:
    return [line.split("\t") for line in TABLE.read_text(encoding="utf-8").splitlines()[1:] if line.strip()]


def coverage(rows: list[list[str]]) -> str:
    counts = Counter("renders" if row[4] == "renders" else "located error" for row in rows)
    codes = Counter(row[4] for row in rows if row[4] != "renders")
    shown = ", ".join(f"{code} {count}" for code, count in codes.most_common())
    return (f"MathJax (base, ams, newcommand, autoloaded) and KaTeX commands: {len(rows)}; render {counts['renders']} "
            f"({100 * counts['renders'] / max(1, len(rows)):.1f} %), located error {counts['located error']}"
            + (f" ({shown})" if shown else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("docs", nargs="?", type=Path, help="MathJax-docs input/tex/macros/index.rst")
    parser.add_argument("--katex", type=Path, help="KaTeX's docs/support_table.md")
    parser.add_argument("--coverage", action="store_true", help="print the figures of the committed table")
    args = parser.parse_args()
    if args.coverage or args.docs is None:
        print(coverage(read_table()))
        return
    rows = []
    for name, packages, environment in read_docs(args.docs):
        if in_scope(packages) and "\t" not in name:
            formula, context = example(name, environment)
            rows.append((("env:" if environment else "") + name, formula, context, packages))
    known = {name for name, *_ in rows}
    for name in read_katex(args.katex) if args.katex else []:
        if name not in known:
            known.add(name)
            formula, context = example(name, False)
            rows.append((name, formula, context, "KaTeX"))
    found = outcomes([(name, formula, context) for name, formula, context, _ in rows])
    lines = ["command\tpackages\tformula\tcontext\toutcome"]
    lines += [f"{name}\t{packages}\t{formula}\t{context}\t{outcome}"
              for (name, formula, context, packages), outcome in zip(rows, found, strict=True)]
    TABLE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(coverage(read_table()))


if __name__ == "__main__":
    main()
