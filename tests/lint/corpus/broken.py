r"""Broken formulas: (formula, expected code, where it starts, context).

`where` is a substring of the formula: the expected 1-based column is the position of its first
occurrence + 1. Context is inline, display or env:NAME.
"""

BROKEN: list[tuple[str, str, str, str]] = [
    # NB101 accent with angle brackets
    (r"\tilde<c>_t = \tanh(z)", "NB101", r"\tilde", "inline"),
    (r"y = \hat<x> + 1", "NB101", r"\hat", "inline"),
    (r"\bar<x> = \frac{1}{n} \sum_i x_i", "NB101", r"\bar", "inline"),
    (r"a + \vec<v>", "NB101", r"\vec", "inline"),
    # NB102 accent over a subscripted symbol
    (r"\tilde{c_t} = \tanh(W_c x_t)", "NB102", r"\tilde", "inline"),
    (r"\hat{y_i} - y_i", "NB102", r"\hat", "inline"),
    (r"\bar{x_n}", "NB102", r"\bar", "inline"),
    (r"f = \dot{q_{k}}", "NB102", r"\dot", "inline"),
    # NB103 unbraced accent argument
    (r"\hat x = 1", "NB103", r"\hat", "inline"),
    (r"y = \tilde\theta", "NB103", r"\tilde", "inline"),
    (r"\bar X_n", "NB103", r"\bar", "inline"),
    (r"a \vec v", "NB103", r"\vec", "inline"),
    # NB111 scripts without braces
    (r"h_t-1", "NB111", "_t-1", "inline"),
    (r"c_t = f_t \odot c_t-1", "NB111", "_t-1", "inline"),
    (r"W_xh x_t", "NB111", "_xh", "inline"),
    (r"x^10", "NB111", "^10", "inline"),
    (r"e^-x", "NB111", "^-x", "inline"),
    (r"\sum_i=1^n x_i", "NB111", "_i=1", "inline"),
    (r"e_ij = 0", "NB111", "_ij", "inline"),
    (r"a_12 + 1", "NB111", "_12", "inline"),
    (r"x_i+1 = x_i", "NB111", "_i+1", "inline"),
    (r"\prod_k=1^K p_k", "NB111", "_k=1", "inline"),
    (r"2^-n", "NB111", "^-n", "inline"),
    (r"\lim_n\to\infty a_n", "NB111", "_n", "inline"),
    # NB112 double scripts
    (r"x_t_1", "NB112", "_1", "inline"),
    (r"x^2^3", "NB112", "^3", "inline"),
    (r"a = h_{t}_{0}", "NB112", "_{0}", "inline"),
    (r"y_i^2_k", "NB112", "_k", "inline"),
    # NB113 empty groups
    (r"x_{} + 1", "NB113", "_{}", "inline"),
    (r"y^{ } = 2", "NB113", "^{ }", "inline"),
    (r"W_{}x", "NB113", "_{}", "inline"),
    # NB121 function names without backslash
    (r"y = tanh(x)", "NB121", "tanh", "inline"),
    (r"log(p) + 1", "NB121", "log", "inline"),
    (r"exp(-x^2)", "NB121", "exp", "inline"),
    (r"p = softmax(z)", "NB121", "softmax", "inline"),
    (r"y = sigmoid(x)", "NB121", "sigmoid", "inline"),
    (r"max_i x_i", "NB121", "max", "inline"),
    (r"a = sin(\theta)", "NB121", "sin", "inline"),
    (r"f = relu(Wx)", "NB121", "relu", "inline"),
    # NB122 Greek without backslash
    (r"sigma(x)", "NB122", "sigma", "inline"),
    (r"alpha + 1", "NB122", "alpha", "inline"),
    (r"x \sim \mathcal{N}(mu, 1)", "NB122", "mu", "inline"),
    (r"\eta \cdot lambda", "NB122", "lambda", "inline"),
    (r"2 pi r", "NB122", "pi", "inline"),
    # NB131 sized delimiters
    (r"\big( a + b )", "NB131", ")", "inline"),
    (r"\big( a + b \Big)", "NB131", r"\Big)", "inline"),
    (r"\Bigl[ x \bigr]", "NB131", r"\bigr]", "inline"),
    (r"( x \big)", "NB131", "(", "inline"),
    # NB132 \left / \right
    (r"\left( \frac{a}{b}", "NB132", r"\left(", "inline"),
    (r"\frac{a}{b} \right)", "NB132", r"\right)", "inline"),
    (r"\left[ x \right] + \left( y", "NB132", r"\left( y", "inline"),
    # NB133 braces
    (r"\frac{a}{b", "NB133", "{b", "inline"),
    (r"x^{2", "NB133", "{2", "inline"),
    (r"a}", "NB133", "}", "inline"),
    (r"\sqrt{x + \frac{1}{2}", "NB133", "{x", "inline"),
    # NB134 parentheses
    (r"f(g(x)", "NB134", "(", "inline"),
    (r"f(x)) + 1", "NB134", ") +", "inline"),
    (r"[a, b", "NB134", "[", "inline"),
    # NB135 dollars inside math
    (r"a $ b", "NB135", "$", "inline"),
    (r"x = 5$", "NB135", "$", "display"),
    # NB136 environment mismatch
    (r"\begin{aligned} a &= b \end{align}", "NB136", r"\end", "display"),
    (r"\begin{pmatrix} a \end{bmatrix}", "NB136", r"\end", "inline"),
    (r"\begin{cases} a & b", "NB136", r"\begin", "display"),
    (r"x \end{aligned}", "NB136", r"\end", "display"),
    # NB137 display environment inside math
    (r"x = \begin{align} a &= b \end{align}", "NB137", r"\begin", "display"),
    (r"\begin{equation} E = mc^2 \end{equation}", "NB137", r"\begin", "inline"),
    (r"\begin{align} a \\ \begin{gather} b \end{gather} \end{align}", "NB137", r"\begin{gather}", "env:align"),
    # NB138 & and \\ outside alignment
    (r"a &= b", "NB138", "&", "display"),
    (r"a \\ b", "NB138", r"\\", "inline"),
    (r"\frac{a \\ b}{c}", "NB138", r"\\", "display"),
    # NB139 a line break at the top level of display math (MathJax breaks the line; LaTeX would not)
    (r"a = b \\ c = d", "NB139", r"\\", "display"),
    (r"a = b \\", "NB139", r"\\", "display"),
    (r"\begin{equation} a = b \\ c = d \end{equation}", "NB139", r"\\", "env:equation"),
    (r"x & y", "NB138", "&", "inline"),
    # NB143 unknown environments
    (r"\begin{xalignat} a & b \end{xalignat}", "NB143", r"\begin{xalignat}", "display"),
    (r"x = \begin{bmatri} a \end{bmatri}", "NB143", r"\begin{bmatri}", "inline"),
    # NB141 unknown macros
    (r"x \in \R", "NB141", r"\R", "inline"),
    (r"\infin", "NB141", r"\infin", "inline"),
    (r"y = \sigmoid(x)", "NB141", r"\sigmoid", "inline"),
    (r"\Alpha + \beta", "NB141", r"\Alpha", "inline"),
    (r"a \coloneqq b", "NB141", r"\coloneqq", "inline"),
    (r"\lamda x", "NB141", r"\lamda", "inline"),
    # NB151 unicode no command stands for; NB152 (opt-in) unicode the renderer maps to its command
    (r"x ≺ y", "NB151", "≺", "inline"),
    (r"a “b” c", "NB151", "“", "inline"),
    (r"σ(x)", "NB152", "σ", "inline"),
    (r"a ⊙ b", "NB152", "⊙", "inline"),
    (r"x − 1", "NB152", "−", "inline"),
    (r"a ≤ b", "NB152", "≤", "inline"),
    (r"n × d", "NB152", "×", "inline"),
    (r"θx", "NB152", "θ", "inline"),
    (r"x ∈ ℝ", "NB152", "∈", "inline"),
    (r"x^²", "NB152", "²", "inline"),  # no fix: `x^^{2}` would be TeX's ^^ notation
    # NB161 text commands
    (r"\LaTeX", "NB161", r"\LaTeX", "inline"),
    (r"x = \TeX", "NB161", r"\TeX", "inline"),
    (r"a \par b", "NB161", r"\par", "display"),
    # NB162 star as product
    (r"a * b", "NB162", "*", "inline"),
    (r"W * x + b", "NB162", "*", "inline"),
    (r"2*\pi", "NB162", "*", "inline"),
    # NB171 forbidden primitives
    (r"\input{/etc/passwd}", "NB171", r"\input", "inline"),
    (r"\def\x{1} \x", "NB171", r"\def", "inline"),
    (r"\immediate\write18{ls}", "NB171", r"\immediate", "inline"),
    (r"\catcode`\$=11", "NB171", r"\catcode", "inline"),
    (r"\csname foo\endcsname", "NB171", r"\csname", "inline"),
    (r"\let\a\b", "NB171", r"\let", "inline"),
    (r"a^^5cinput{x}", "NB171", "^^", "inline"),  # TeX's ^^ notation spells `\input`
    (r"\^^5cinput{x}", "NB171", "^^", "inline"),
    (r"\begin{input}{/etc/hostname}", "NB171", r"\begin", "inline"),  # \begin{NAME} runs \NAME
    (r"\begin {filecontents*}{x.tex} a \end{filecontents*}", "NB171", r"\begin", "display"),
    (r"\UseName{input}{x}", "NB171", r"\UseName", "inline"),
    (r"\global\chardef\x=1", "NB171", r"\global", "inline"),
    # NB172 placeholder inside math (its name would otherwise draw NB111's wrong fix)
    (r"n = {{ metrics.hidden_size }}", "NB172", r"{{ metrics.hidden_size }}", "inline"),
    (r"\eta = {{metrics.lr | fixed(3)}}", "NB172", r"{{metrics.lr | fixed(3)}}", "display"),
]

