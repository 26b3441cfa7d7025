"""Characters in TeX: the Unicode -> LaTeX math table, CJK ranges, escaping of prose, code and URLs, and names.

Lint's NB151 fix replaces a character of UNICODE_MATH in math by its command; the renderer declares the same
commands for pdflatex (\\DeclareUnicodeCharacter), so a character typed in prose or in a code box still
prints. `√` maps to `\\surd`, the symbol alone, because the character does not say what lies under the root.
"""

from __future__ import annotations

import re
import unicodedata

UNICODE_MATH = {
    "α": "\\alpha", "β": "\\beta", "γ": "\\gamma", "δ": "\\delta", "ε": "\\varepsilon", "ϵ": "\\epsilon",
    "ζ": "\\zeta", "η": "\\eta", "θ": "\\theta", "ϑ": "\\vartheta", "ι": "\\iota", "κ": "\\kappa",
    "λ": "\\lambda", "μ": "\\mu", "µ": "\\mu", "ν": "\\nu", "ξ": "\\xi", "π": "\\pi", "ρ": "\\rho",
    "σ": "\\sigma", "ς": "\\varsigma", "τ": "\\tau", "υ": "\\upsilon", "φ": "\\varphi", "ϕ": "\\phi",
    "χ": "\\chi", "ψ": "\\psi", "ω": "\\omega", "Γ": "\\Gamma", "Δ": "\\Delta", "Θ": "\\Theta",
    "Λ": "\\Lambda", "Ξ": "\\Xi", "Π": "\\Pi", "Σ": "\\Sigma", "Υ": "\\Upsilon", "Φ": "\\Phi", "Ψ": "\\Psi",
    "Ω": "\\Omega", "⊙": "\\odot", "⊗": "\\otimes", "⊕": "\\oplus", "−": "-", "–": "-", "≤": "\\le",
    "≥": "\\ge", "≠": "\\neq", "≈": "\\approx", "×": "\\times", "·": "\\cdot", "⋅": "\\cdot", "∙": "\\cdot",
    "÷": "\\div", "±": "\\pm", "∓": "\\mp", "∞": "\\infty", "∑": "\\sum", "∏": "\\prod", "∫": "\\int",
    "∂": "\\partial", "∇": "\\nabla", "√": "\\surd", "∈": "\\in", "∉": "\\notin", "⊂": "\\subset",
    "⊆": "\\subseteq", "⊃": "\\supset", "⊇": "\\supseteq", "∪": "\\cup", "∩": "\\cap", "∀": "\\forall",
    "∃": "\\exists", "¬": "\\neg", "∧": "\\wedge", "∨": "\\vee", "→": "\\to", "←": "\\leftarrow",
    "↔": "\\leftrightarrow", "⇒": "\\Rightarrow", "⇐": "\\Leftarrow", "⇔": "\\Leftrightarrow",
    "↦": "\\mapsto", "∼": "\\sim", "≡": "\\equiv", "∝": "\\propto", "≪": "\\ll", "≫": "\\gg",
    "∘": "\\circ", "…": "\\ldots", "⋯": "\\cdots", "⟨": "\\langle", "⟩": "\\rangle", "‖": "\\|",
    "∥": "\\parallel", "⊥": "\\perp", "⊤": "\\top", "ℓ": "\\ell", "ℝ": "\\mathbb{R}", "ℕ": "\\mathbb{N}",
    "ℤ": "\\mathbb{Z}", "ℚ": "\\mathbb{Q}", "ℂ": "\\mathbb{C}", "∅": "\\emptyset", "′": "'", "″": "''",
    "²": "^{2}", "³": "^{3}", "¹": "^{1}", "₀": "_{0}", "₁": "_{1}", "₂": "_{2}", "ᵀ": "^\\top",
    "\u00a0": " ", "\u2009": "\\,", "\u2002": "\\ ", "\u2003": "\\quad", "\u200b": "",
    "’": "'", "†": "\\dagger", "∗": "\\ast", "≃": "\\simeq", "≅": "\\cong", "⌊": "\\lfloor", "⌋": "\\rfloor",
    "⌈": "\\lceil", "⌉": "\\rceil", "✓": "\\checkmark", "✗": "\\times", "•": "\\bullet",
}

# Chinese, Japanese and Korean characters and full-width punctuation: the CJK font sets them, math fonts do not.
CJK_RANGES = ((0x2E80, 0x2FDF), (0x3000, 0x303F), (0x3040, 0x30FF), (0x3100, 0x312F), (0x31A0, 0x31BF),
              (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF))


def is_cjk(char: str) -> bool:
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in CJK_RANGES)


_MATH_ACCENTS = {"\u0300": "grave", "\u0301": "acute", "\u0302": "hat", "\u0303": "tilde", "\u0304": "bar",
                 "\u0306": "breve", "\u0307": "dot", "\u0308": "ddot", "\u030c": "check", "\u20d7": "vec"}


def accented(char: str) -> str | None:
    """`ŷ` -> `\\hat{y}`: a text accent is an error in math ("Please use \\mathaccent")."""
    parts = unicodedata.normalize("NFD", char)
    if len(parts) == 2 and parts[0].isascii() and parts[0].isalpha() and parts[1] in _MATH_ACCENTS:
        return f"\\{_MATH_ACCENTS[parts[1]]}{{{parts[0]}}}"
    return None


# --- escaping ---------------------------------------------------------------------------------------------

LATEX_SPECIALS = {
    "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}
# Unicode punctuation in prose: proper LaTeX (quotes, dashes) rather than relying on the input encoding.
PROSE_UNICODE = {
    "\u2018": "`", "\u2019": "'", "\u201c": "``", "\u201d": "''", "\u2013": "--", "\u2014": "---",
    "\u2026": r"\ldots{}", "\u00a0": "~", "\u2009": r"\,", "\u202f": r"\,", "\u00ad": r"\-",
    "\u2002": r"\enspace{}", "\u2003": r"\quad{}", "\u2004": r"\ ", "\u2005": r"\ ", "\u2006": r"\,",
    "\u2007": r"\enspace{}", "\u2008": r"\,", "\u200a": r"\,",
}
_ESCAPE_RE = re.compile("[" + re.escape("".join(LATEX_SPECIALS) + "".join(PROSE_UNICODE)) + "]")
_TT_LIGATURE = re.compile(r"([-,])(?=\1)")  # `--` and `,,`: a dash and „ in T1 typewriter fonts
_CODE_DASHES = {"\u2013": r"\textendash{}", "\u2014": r"\textemdash{}"}


def escape_latex(text: str) -> str:
    """Escape prose for LaTeX: every special character comes out literally in the PDF."""
    def replace(match: re.Match[str]) -> str:
        char = match.group(0)
        return LATEX_SPECIALS.get(char) or PROSE_UNICODE[char]

    escaped = _ESCAPE_RE.sub(replace, str(text))
    # Straight quotes would become curly ligatures in T1: keep them as typed.
    return escaped.replace('"', r"\textquotedbl{}")


def escape_code(text: str) -> str:
    """Inline code: escaped like prose, but quotes stay straight and `--`, `,,` as typed (T1 typewriter
    fonts would set them as an en dash and a low quote, so `--pdf` needs `-{}-pdf`). A typed en or em dash
    stays one: prose writes it as the `--` ligature, which this splitting would undo."""
    pieces = []
    for piece in re.split("([\u2013\u2014])", text):
        if piece in _CODE_DASHES:
            pieces.append(_CODE_DASHES[piece])
            continue
        escaped = escape_latex(piece).replace("'", r"\textquotesingle{}").replace("`", r"\textasciigrave{}")
        pieces.append(_TT_LIGATURE.sub(r"\1{}", escaped))
    return "".join(pieces)


def tex_url(url: str) -> str:
    """A URL for \\url/\\href: TeX's comment and parameter characters escaped, braces and backslashes dropped."""
    return (url.replace("\\", "/").replace("#", r"\#").replace("%", r"\%").replace("&", r"\&").replace("{", "")
            .replace("}", ""))


# --- names ------------------------------------------------------------------------------------------------

def slug(text: str, fallback: str = "section", *, keep: str = "", lowercase: bool = True,
         max_length: int | None = None) -> str:
    """The one way text becomes a name (a label, a file stem, a folder): accents dropped (`é` -> `e`), each run
    of characters other than ASCII letters, digits and `keep` one `-`, no `-` at either end; `fallback` when
    nothing is left (`注意力`). Such a name is safe in TeX, in file systems and in URLs."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    if lowercase:
        ascii_text = ascii_text.lower()
    name = re.sub(f"[^A-Za-z0-9{re.escape(keep)}]+", "-", ascii_text).strip("-")
    if max_length is not None:
        name = name[:max_length].strip("-")
    return name or fallback


def tex_safe_stem(stem: str, fallback: str = "figure") -> str:
    """A file stem as a TeX-safe name (figure file in the build folder, `fig:` label, the PDF's name): ASCII
    letters, digits, `_ . -`; anything else becomes `-` (`my fig#2` -> `my-fig-2`)."""
    return slug(stem, fallback, keep="_.-", lowercase=False)
