"""The known-macro database: lint checks `\\name` against it, config keeps notes.yaml macros off its names, render
reads the arguments of LaTeX's commands; and the symbol tables of lint's rules.

`known_macros.txt` is pylatexenc's latexwalker and latex2text default contexts plus amsmath/amssymb
names, filtered to the macros that are actually defined after the notes preamble's packages (amsmath,
amssymb, bm, xcolor, hyperref...): each candidate was tested with `\\ifdefined` in one pdflatex run, so a
name pylatexenc merely accepts but LaTeX does not define (`\\Alpha`, `\\R`, `\\coloneqq`) is unknown here.
The template's own macros, notes.yaml `macros` and `lint.extra_macros` are added per document.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_DATA = Path(__file__).with_name("known_macros.txt")


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())

# Defined by the notes template (templates/preamble.tex.j2) on top of the packages.
TEMPLATE_MACROS = {"eqref", "ref", "bm", "text", "operatorname", "mathbb", "mathbf", "nbcaption", "hyperlink",
                   "textcolor", "color", "sout", "uline", "emph", "begin", "end", "nbmissing",
                   # MathJax's own, which the preamble provides
                   "gt", "lt", "omicron", "bra", "ket", "braket", "Bra", "Ket", "Braket", "set", "Set", "class",
                   "cssId", "style"}
# TeX's generalized fractions (`{n \choose k}`): primitives and plain macros, defined in every LaTeX document
# but missing from pylatexenc's tables. amsmath prefers \frac/\binom but they compile.
TEX_FRACTIONS = _names("over atop above overwithdelims atopwithdelims abovewithdelims choose brace brack")


# LaTeX 2.09's font switches: deprecated, but the article class defines them and MathJax accepts them.
OLD_FONT_SWITCHES = _names("rm bf it cal sf tt sl sc em")
# What MathJax offers that the template loads a package for (mathrsfs, cancel), and kernel text commands the
# renderer boxes in \text when they appear in math (render.TEXT_IN_MATH).
PACKAGE_MACROS = _names("mathscr cancel bcancel xcancel cancelto textcircled")
# Size commands MathJax applies in math; LaTeX ignores them there, so the renderer drops them (render.mathjax_forms).
SIZE_COMMANDS = _names("tiny scriptsize footnotesize small normalsize large Large LARGE huge Huge")


@lru_cache(maxsize=1)
def base_macros() -> frozenset[str]:
    names = {line.strip() for line in _DATA.read_text(encoding="utf-8").splitlines() if line.strip()}
    return frozenset(names | TEMPLATE_MACROS | TEX_FRACTIONS | OLD_FONT_SWITCHES | PACKAGE_MACROS | SIZE_COMMANDS)


# Better suggestions than edit distance for common non-LaTeX spellings.
SUGGESTIONS = {
    "R": "\\mathbb{R}", "N": "\\mathbb{N}", "Z": "\\mathbb{Z}", "Q": "\\mathbb{Q}", "C": "\\mathbb{C}",
    "E": "\\mathbb{E}", "reals": "\\mathbb{R}", "infin": "\\infty", "inf": "\\infty", "eps": "\\epsilon",
    "sigmoid": "\\operatorname{sigmoid}", "softmax": "\\operatorname{softmax}", "relu": "\\operatorname{ReLU}",
    "ReLU": "\\operatorname{ReLU}", "argmax": "\\operatorname*{arg\\,max}", "argmin": "\\operatorname*{arg\\,min}",
    "tr": "\\operatorname{tr}", "Tr": "\\operatorname{Tr}", "diag": "\\operatorname{diag}",
    "Var": "\\operatorname{Var}", "Cov": "\\operatorname{Cov}", "grad": "\\nabla", "abs": "\\lvert x \\rvert",
    "norm": "\\lVert x \\rVert", "Alpha": "A", "Beta": "B", "Epsilon": "E", "Zeta": "Z", "Eta": "H",
    "Iota": "I", "Kappa": "K", "Mu": "M", "Nu": "N", "Omicron": "O", "Rho": "P", "Tau": "T", "Chi": "X",
    "coloneqq": "\\mathrel{:}=", "T": "^\\top", "dd": "\\mathrm{d}", "half": "\\frac{1}{2}",
    "bold": "\\mathbf{...}", "vect": "\\vec", "deriv": "\\frac{d}{dx}", "implies": "\\implies",
}


@lru_cache(maxsize=512)
def suggest(name: str) -> str | None:
    if name in SUGGESTIONS:
        return SUGGESTIONS[name]
    import difflib  # deliberate, for start-up time: only an unknown command needs it

    # No need to sort: get_close_matches ranks (score, word) pairs, so ties go to the same word in any order.
    close = difflib.get_close_matches(name, base_macros(), n=1, cutoff=0.75)
    return f"\\{close[0]}" if close else None


# Accents taking one argument; NARROW ones belong over a single symbol.
NARROW_ACCENTS = _names("hat tilde bar vec dot ddot dddot check breve acute grave mathring")
WIDE_ACCENTS = _names("widehat widetilde overline underline overrightarrow overleftarrow")
ACCENTS = NARROW_ACCENTS | WIDE_ACCENTS

# Macros whose brace argument is text, a label or a name: math rules do not look inside.
TEXT_ARGUMENT = _names("""text textrm textit textbf texttt textsf textup textnormal textsc emph mbox hbox
mathrm mathit mathsf mathtt operatorname label ref eqref tag begin end color textcolor hyperlink
intertext shortintertext hspace vspace mspace""")

# Commands that are not valid (or do nothing useful) in math mode.
TEXT_ONLY = _names("""LaTeX LaTeXe TeX par section subsection subsubsection paragraph subparagraph chapter
item noindent footnote today maketitle bigskip medskip smallskip newpage clearpage textbackslash""")

TEXT_SYMBOLS = _names("LaTeX LaTeXe TeX today textbackslash")  # fixable: they print text, wrap in \\text

# Macros that take arguments: an accent's unbraced argument is not simply one of these.
ARGUMENT_MACROS = ACCENTS | TEXT_ARGUMENT | _names(
    "frac dfrac tfrac binom sqrt mathbf mathbb mathcal mathfrak bm boldsymbol left right big Big bigg Bigg "
    "overset underset stackrel")

DISPLAY_ENVIRONMENTS = _names("""equation equation* align align* gather gather* multline multline* flalign
flalign* alignat alignat* eqnarray eqnarray* displaymath""")
ALIGNMENT_ENVIRONMENTS = _names("""align align* aligned alignat alignat* alignedat flalign flalign* split
cases cases* dcases matrix pmatrix bmatrix Bmatrix vmatrix Vmatrix smallmatrix array tabular eqnarray
eqnarray*""")
LINE_ENVIRONMENTS = ALIGNMENT_ENVIRONMENTS | _names("gather gather* gathered multline multline* subarray")

# Environments the notes preamble defines for math (LaTeX, amsmath): any other `\\begin{…}` in a formula stops TeX.
KNOWN_ENVIRONMENTS = DISPLAY_ENVIRONMENTS | _names("""aligned alignedat gathered split array subarray smallmatrix
matrix pmatrix bmatrix Bmatrix vmatrix Vmatrix cases tabular""")

# Binary operators and relations: after a sign in a script (`m^+\\times m^-`) they are not part of it.
BINARY_OPERATORS = _names("""times cdot pm mp div cup cap wedge vee circ ast star bullet oplus otimes odot le ge leq
geq neq ne approx equiv sim simeq in notin subset subseteq supset supseteq to rightarrow leftarrow mid parallel
leqslant geqslant ll gg prec succ propto""")

BIG_OPERATORS = _names("""sum prod coprod int iint iiint oint bigcup bigcap bigsqcup bigvee bigwedge bigodot
bigotimes bigoplus biguplus lim limsup liminf max min sup inf argmax argmin""")

GREEK = _names("""alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu
xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi
Sigma Upsilon Phi Psi Omega""")

# Operators LaTeX defines (`\log`) versus names that need \operatorname.
BUILTIN_FUNCTIONS = _names("""sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh coth log ln lg
exp max min sup inf lim liminf limsup arg det dim gcd hom ker deg Pr""")
OPERATOR_NAMES = _names("""softmax sigmoid relu ReLU argmax argmin tr Tr diag rank sign sgn Var Cov KL erf
logit softplus GELU gelu concat""")


# Arguments of LaTeX/amsmath commands, for NB142: '{' a mandatory argument, '[' an optional [..] argument,
# '*' an optional star. TeX takes one token as an undelimited argument (`\frac12` is fine), so only a call
# whose arguments run out is an error. notes.yaml `macros` and `lint.extra_macros` override these.
_SPECS = {
    "{": """hat tilde bar vec dot ddot dddot check breve acute grave mathring widehat widetilde overline
        underline overbrace underbrace overrightarrow overleftarrow overleftrightarrow underrightarrow
        underleftarrow mathbb mathbf mathcal mathfrak mathrm mathit mathsf mathtt mathnormal boldsymbol bm pmb
        text textrm textit textbf texttt textsf textup textnormal emph mbox boxed phantom hphantom vphantom
        substack pmod pod label ref eqref bra ket braket Bra Ket Braket set Set mathop mathrel mathbin mathord mathopen
        mathclose mathpunct
        mathinner""",
    "[{": "sqrt xrightarrow xleftarrow smash color",
    "[{{": "cfrac textcolor",
    "{{": "frac dfrac tfrac binom dbinom tbinom overset underset stackrel sideset class cssId style",
    "*{": "operatorname tag hspace",
}
BUILTIN_ARGUMENTS: dict[str, str] = {name: spec for spec, names in _SPECS.items() for name in names.split()}
