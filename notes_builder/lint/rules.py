"""The lint rules: stable codes, names, severities and explanations (`notes lint --explain CODE`).

Codes never change meaning once published; a retired rule keeps its code reserved. The checks themselves
live in `checker.py`; this module is the registry that output, configuration and `--explain` share.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: str  # "error" | "warning"
    summary: str
    why: str
    before: str
    after: str
    fixable: bool = False
    applicability: str = "safe"  # of its fixes: safe | sometimes | unsafe (checker.RawFix.safe per finding)
    default: bool = True  # False: a style rule, on only when `select` names it (code or name)

    def explain(self) -> str:
        fix = {"safe": "yes (applied by `notes lint --fix`)",
               "sometimes": "yes, safe when the formula has one reading (`notes lint --fix`); unsafe when it has "
                            "another (`--fix --unsafe-fixes` or `--fix --interactive`: check the result)",
               "unsafe": "yes, unsafe: it may change what the formula means (`--fix --unsafe-fixes` or "
                         "`--fix --interactive`)"}.get(self.applicability, "no (the message says what to write)")
        return (f"{self.code} {self.name} ({self.severity})\n\n{self.summary}\n\n{self.why}\n\n"
                f"Before:  {self.before}\nAfter:   {self.after}\n\nAutofix: {fix}\n")


_RULES = [
    Rule("NB100", "parse-error", "error", "The Markdown file could not be read as notes.",
         "The gather stage stopped on this file, so none of its math was checked.",
         "(a file the gather stage rejects)", "(fix the reported problem)"),
    Rule("NB101", "accent-angle-brackets", "error", "An accent's argument is written in angle brackets.",
         "TeX puts the accent over the single token after it: `\\tilde<c>` sets a tilde over '<' followed by "
         "'c>'. Accent arguments go in braces.", "$\\tilde<c>_t$", "$\\tilde{c}_t$", True),
    Rule("NB102", "accent-over-subscript", "warning", "An accent covers a symbol together with its subscript.",
         "`\\tilde{c_t}` stretches the accent over the subscript and places it badly; the accent belongs to "
         "the symbol, the index follows it.", "$\\tilde{c_t}$", "$\\tilde{c}_t$", True),
    Rule("NB103", "accent-unbraced", "warning", "An accent's argument is not in braces (a style rule, off unless "
         "selected).", "`\\hat\\mu_n` renders exactly like `\\hat{\\mu}_n`; braces only make the argument "
         "explicit (`\\hat xy` accents only x). Turn it on with `lint: {select: [NB103]}` or `--select NB103`.",
         "$\\hat x$", "$\\hat{x}$", True, default=False),
    Rule("NB111", "script-needs-braces", "warning", "A sub- or superscript of several tokens has no braces.",
         "A script without braces takes exactly one token: `h_t-1` sets h_t - 1, `x^10` sets x^1 0, "
         "`e^-x` sets e^- x, `W_xh` sets W_x h.", "$h_t-1$, $x^10$, $\\sum_i=1^n$", "$h_{t-1}$, $x^{10}$, "
         "$\\sum_{i=1}^n$", True, "sometimes"),
    Rule("NB112", "double-script", "error", "A symbol has two subscripts or two superscripts.",
         "TeX stops with 'Double subscript' / 'Double superscript'; nest the second script in braces.",
         "$x_t_1$", "$x_{t_1}$", True),
    Rule("NB113", "empty-script", "warning", "A sub- or superscript is an empty group.",
         "`x_{}` typesets nothing but shifts spacing; it is usually a forgotten index.", "$x_{}$", "$x$", True),
    Rule("NB121", "function-without-backslash", "warning", "A function name is written as plain letters.",
         "Math italic treats `tanh` as the product t*a*n*h; operators need `\\tanh`, and names LaTeX does "
         "not define need `\\operatorname{...}`.", "$tanh(x)$, $softmax(z)$",
         "$\\tanh(x)$, $\\operatorname{softmax}(z)$", True),
    Rule("NB122", "greek-without-backslash", "warning", "A Greek letter is spelled out without a backslash.",
         "`alpha` sets five italic letters; `\\alpha` sets the Greek letter. Inside a subscript group "
         "(`W_{xi}`) the letters are often two indices, so the fix is unsafe there.", "$sigma(x)$",
         "$\\sigma(x)$", True, "sometimes"),
    Rule("NB131", "sized-delimiter-mismatch", "warning", "A sized delimiter is closed by a different size.",
         "`\\big(` ... `)` or `\\big(` ... `\\Big)` gives unequal parentheses.", "$\\big( a + b )$",
         "$\\big( a + b \\big)$", True),
    Rule("NB132", "left-right-unpaired", "error", "\\left without \\right (or the reverse).",
         "TeX stops with 'Missing \\right. inserted' or 'Extra \\right'; use `\\right.` for an invisible "
         "partner.", "$\\left( \\frac{a}{b}$", "$\\left( \\frac{a}{b} \\right)$"),
    Rule("NB133", "unbalanced-braces", "error", "A brace has no partner.",
         "An unbalanced '{' or '}' breaks the formula and usually everything after it; write `\\{` `\\}` "
         "for literal braces.", "$\\frac{a}{b$", "$\\frac{a}{b}$"),
    Rule("NB134", "unbalanced-parentheses", "warning", "Parentheses or brackets do not balance.",
         "More opening than closing ( [ or the reverse is almost always a typo (half-open intervals such as "
         "[0, 1) balance and are accepted).", "$f(g(x)$", "$f(g(x))$"),
    Rule("NB135", "unbalanced-dollar", "error", "A `$` or `$$` is not closed, or a `$` appears inside math.",
         "An unclosed `$` (or `$$`) swallows the rest of the paragraph into math; close it with the same "
         "delimiter, and write `\\$` for a dollar sign.",
         "costs $5 and $x$", "costs \\$5 and $x$"),
    Rule("NB136", "environment-mismatch", "error", "\\begin{...} and \\end{...} do not match.",
         "TeX stops with '\\begin{x} ended by \\end{y}'.", "\\begin{aligned} a \\end{align}",
         "\\begin{aligned} a \\end{aligned}"),
    Rule("NB137", "display-environment-in-math", "error", "A display environment is nested inside math.",
         "`align`, `equation`, `gather`... start display math themselves; inside other math (`$…$`, or after "
         "other symbols in `$$`) they fail. A `$$` that holds only one such environment is fine: it is read as "
         "that environment, as MathJax reads it. Use `aligned`/`gathered` inside a formula.",
         "$$x = \\begin{align} a &= b \\end{align}$$", "$$x = \\begin{aligned} a &= b \\end{aligned}$$"),
    Rule("NB138", "alignment-outside-environment", "error", "`&` or `\\\\` outside an alignment.",
         "TeX stops with 'Misplaced alignment tab character &' (and `\\\\` does not break lines outside an "
         "alignment); wrap the lines in `aligned`.", "$$a &= b \\\\ c &= d$$",
         "$$\\begin{aligned} a &= b \\\\ c &= d \\end{aligned}$$"),
    Rule("NB139", "display-line-break", "warning", "`\\\\` at the top level of display math.",
         "MathJax breaks the line there; LaTeX silently joins the lines of `$$ … $$` or `equation`. notes sets "
         "such lines as `gathered` (`aligned` when they have `&`) and drops a `\\\\` that ends the formula; "
         "saying so in the source makes the notes mean the same everywhere.",
         "$$a = b \\\\ c = d$$", "$$\\begin{gathered}a = b \\\\ c = d\\end{gathered}$$", True),
    Rule("NB141", "unknown-macro", "error", "A macro that LaTeX, amsmath, amssymb and the notes do not define.",
         "TeX stops with 'Undefined control sequence'. Define it under `macros:` in notes.yaml, or use the "
         "suggested standard macro. A macro from a package loaded with `template.packages` is unknown to "
         "lint: declare it under `lint.extra_macros` in notes.yaml as name: argument count "
         "(`extra_macros: {SI: 2}`).", "$x \\in \\R$", "$x \\in \\mathbb{R}$"),
    Rule("NB142", "macro-missing-argument", "error", "A macro is called with too few arguments.",
         "Macros defined under `macros:` in notes.yaml (or `lint.extra_macros`) with #1..#9 need that many "
         "arguments (checked with pylatexenc's LatexWalker); so do LaTeX's own (`\\frac`, `\\sqrt`, "
         "`\\binom`, `\\mathbb`, accents...). A single token is a whole argument (`\\frac12` is "
         "fine); the arguments are missing when the formula, a group, or an alignment cell ends first, "
         "and TeX stops with 'Missing } inserted' or a runaway argument.",
         "$\\frac{a}$, macros: {norm: '\\lVert #1 \\rVert'}  $\\norm$", "$\\frac{a}{b}$, $\\norm{x}$"),
    Rule("NB143", "unknown-environment", "error", "An environment that LaTeX and amsmath do not define.",
         "TeX stops with 'Environment … undefined'. MathJax knows a few of its own (CD, xalignat, prooftree); "
         "write the formula with aligned, gathered, cases, array or a matrix environment.",
         "$$\\begin{xalignat} a & b \\end{xalignat}$$", "$$\\begin{aligned} a & b \\end{aligned}$$"),
    Rule("NB151", "unicode-in-math", "warning", "A Unicode character in math that no LaTeX command stands for.",
         "Math fonts have no glyph for it (a curly quote, an arrow LaTeX lacks): write the LaTeX command, or put "
         "words in `\\text{...}`. Characters with a command (σ, ≤, ×, x²) are set as that command and are "
         "reported only by NB152.", "$x ≺ y$", "$x \\prec y$"),
    Rule("NB152", "unicode-in-math-mapped", "warning", "A Unicode character in math that has a LaTeX command "
         "(a style rule, off unless selected).",
         "The renderer sets `σ`, `≤`, `×`, `x²` as `\\sigma`, `\\le`, `\\times`, `x^{2}`, as MathJax shows them; "
         "writing the command keeps the source portable to other LaTeX tools. Turn it on with "
         "`lint: {select: [NB152]}` or `--select NB152`.", "$σ(x) ≤ 1$", "$\\sigma(x) \\le 1$", True,
         default=False),
    Rule("NB161", "text-command-in-math", "warning", "A text-mode command is used in math.",
         "Commands like `\\LaTeX` or `\\par` are not valid in math mode; put them in `\\text{...}` or out "
         "of the formula.", "$\\LaTeX$", "$\\text{\\LaTeX}$", True),
    Rule("NB162", "star-as-product", "warning", "`*` is used as a multiplication sign.",
         "`*` sets an asterisk (convolution in most notations). Write `\\cdot` (or nothing) for a product, "
         "`\\odot` for an elementwise product, `\\ast` for convolution.", "$a * b$", "$a \\cdot b$"),
    Rule("NB171", "forbidden-primitive", "error", "A TeX primitive that reads/writes files or defines macros.",
         "Notes are data: math must not run \\input, \\write, \\def, \\catcode... unless notes.yaml sets "
         "`allow.tex_primitives: true`; nor `^^5c` (TeX's ^^ notation spells any command) or `\\begin{input}`. "
         "lint.ignore, select and extra_macros cannot hide it. Define macros under `macros:` in notes.yaml instead.",
         "$\\def\\x{1}\\x$", "macros: {x: '1'}  then  $\\x$"),
    Rule("NB172", "placeholder-in-math", "error", "A `{{ ... }}` placeholder is written inside math.",
         "Placeholders are replaced in prose and tables only. Inside math the braces and the name would be "
         "typeset as math letters (`metrics.hidden_size` becomes a product with a subscript), so the build "
         "stops. Other doubled braces, `x^{{2}}` or `a^{{ T }}`, are LaTeX grouping and stay allowed.",
         "$n = {{ metrics.hidden_size }}$", "$n =$ {{ metrics.hidden_size }}"),
    Rule("NB181", "inconsistent-notation", "warning", "A symbol of the symbols table is written another way.",
         "The table declares `\\mathbf{W}_f`; `W_f` in an equation looks like a different object to a reader. "
         "Without a table nothing is reported: a bold `x_t` beside a plain `x_t` is usually a vector and its "
         "entry.", "symbols: [\\mathbf{W}_f]  ...  $W_f$", "$\\mathbf{W}_f$"),
    Rule("NB182", "symbol-not-in-table", "warning", "A symbol used in equations is missing from the symbols "
         "table.", "When the notes have a symbols table, every symbol (a letter with an index) the equations "
         "use should be listed there.", "symbols: [h_t]  ...  $c_t$", "symbols: [h_t, c_t]"),
    Rule("NB191", "compile-error", "error", "The formula does not compile (from `--compile`).",
         "Every formula was compiled in one pdflatex run with the document's preamble; TeX's message is "
         "shown at the formula. Formulas with an error lint already reports that would derail TeX "
         "(unbalanced braces, \\left without \\right...) are not compiled.",
         "$\\hspace{1}$", "$\\hspace{1em}$"),
]

RULES: dict[str, Rule] = {rule.code: rule for rule in _RULES}


def selected(code: str, select: list[str], ignore: list[str]) -> bool:
    """select/ignore entries are codes or code prefixes ("NB1", "NB13") or rule names."""

    def matches(entry: str) -> bool:
        entry = entry.strip()
        return code.startswith(entry.upper()) or RULES[code].name == entry

    if select and not any(matches(entry) for entry in select):
        return False
    if not RULES[code].default and not any(entry.strip().upper() == code or entry.strip() == RULES[code].name
                                            for entry in select):
        return False
    return not any(matches(entry) for entry in ignore)
