"""Unicode characters and the LaTeX math they stand for: one table for lint and render.

Lint's NB151 fix replaces such a character in math by its command; the renderer declares the same
commands for pdflatex (\\DeclareUnicodeCharacter), so a character typed in prose or in a code box still
prints. `√` maps to `\\surd`, the symbol alone, because the character does not say what lies under the root.
"""

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
