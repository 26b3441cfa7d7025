r"""Formulas that must lint clean: ML, probability, statistics, physics, linear algebra, analysis.

One formula per line; lines starting with `#` are comments. A line prefixed with `display:` is checked as
display math ($$...$$); `env:NAME:` as an amsmath environment body.
"""

VALID = r"""
# --- machine learning / deep learning
f_t = \sigma(W_f x_t + U_f h_{t-1} + b_f)
i_t = \sigma(W_i x_t + U_i h_{t-1} + b_i)
o_t = \sigma(W_o x_t + U_o h_{t-1} + b_o)
\tilde{c}_t = \tanh(W_c x_t + U_c h_{t-1} + b_c)
c_t = f_t \odot c_{t-1} + i_t \odot \tilde{c}_t
h_t = o_t \odot \tanh(c_t)
\hat{y} = \operatorname{softmax}(W h_T + b)
\mathcal{L} = -\sum_{k=1}^{K} y_k \log \hat{y}_k
\theta \leftarrow \theta - \eta \nabla_\theta \mathcal{L}
m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t
v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2
\hat{m}_t = \frac{m_t}{1 - \beta_1^t}
\theta_t = \theta_{t-1} - \alpha \frac{\hat{m}_t}{\sqrt{\hat{v}_t} + \epsilon}
\operatorname{ReLU}(x) = \max(0, x)
\sigma(z) = \frac{1}{1 + e^{-z}}
\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}
\operatorname{softmax}(z)_i = \frac{\exp(z_i)}{\sum_{j=1}^{K} \exp(z_j)}
# doubled braces are LaTeX grouping, not a placeholder (NB172 must not fire)
x^{{2}} + \frac{{a}}{b}
\operatorname{Attention}(Q, K, V) = \operatorname{softmax}\left(\frac{Q K^\top}{\sqrt{d_k}}\right) V
\mathbf{h}^{(l+1)} = \phi\left(\mathbf{W}^{(l)} \mathbf{h}^{(l)} + \mathbf{b}^{(l)}\right)
\frac{\partial \mathcal{L}}{\partial W} = \delta \, x^\top
\lVert \nabla \mathcal{L} \rVert_2 \le \tau
g \leftarrow g \cdot \min\left(1, \frac{\tau}{\lVert g \rVert}\right)
\mathcal{L}_{\text{reg}} = \mathcal{L} + \lambda \lVert w \rVert_2^2
p(y \mid x) = \prod_{t=1}^{T} p(y_t \mid y_{<t}, x)
\text{precision} = \frac{TP}{TP + FP}
F_1 = 2 \cdot \frac{P \cdot R}{P + R}
\mathrm{BN}(x) = \gamma \frac{x - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}} + \beta
\operatorname{GELU}(x) = x \, \Phi(x)
z = W^\top x + b
\hat{y}_i = \arg\max_k p_{ik}
\operatorname*{arg\,max}_{\theta} \sum_{i=1}^{N} \log p_\theta(x_i)
\mathbb{E}_{x \sim p_{\text{data}}}[\log D(x)] + \mathbb{E}_{z \sim p_z}[\log(1 - D(G(z)))]
D_{\mathrm{KL}}(q \,\|\, p) = \sum_x q(x) \log \frac{q(x)}{p(x)}
\mathcal{L}_{\text{ELBO}} = \mathbb{E}_{q_\phi(z \mid x)}[\log p_\theta(x \mid z)] - D_{\mathrm{KL}}(q_\phi \,\|\, p)
h_t = \tanh(W_{hh} h_{t-1} + W_{xh} x_t)
y_t = W_{hy} h_t
\frac{\partial h_t}{\partial h_{t-1}} = \operatorname{diag}(1 - h_t^2) W_{hh}
\prod_{k=t+1}^{T} \frac{\partial h_k}{\partial h_{k-1}}
\gamma^{T-t} \to 0
r_t = \sigma(W_r x_t + U_r h_{t-1})
z_t = \sigma(W_z x_t + U_z h_{t-1})
\tilde{h}_t = \tanh(W x_t + U (r_t \odot h_{t-1}))
h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde{h}_t
x^{(i)} \in \mathbb{R}^{d}
W \in \mathbb{R}^{n \times d}
\mathrm{acc} = \frac{1}{N} \sum_{i=1}^{N} \mathbb{1}[\hat{y}_i = y_i]
\eta_t = \eta_0 \cdot \frac{1}{2}\left(1 + \cos\frac{\pi t}{T}\right)
Q(s, a) \leftarrow Q(s, a) + \alpha \left[r + \gamma \max_{a'} Q(s', a') - Q(s, a)\right]
V^\pi(s) = \mathbb{E}_\pi\left[\sum_{k=0}^{\infty} \gamma^k r_{t+k+1} \,\middle|\, s_t = s\right]
\nabla_\theta J(\theta) = \mathbb{E}\left[\nabla_\theta \log \pi_\theta(a \mid s) \, A(s, a)\right]
\mathbf{x}' = \mathbf{x} + \epsilon \operatorname{sign}(\nabla_{\mathbf{x}} \mathcal{L})
k(x, x') = \exp\left(-\frac{\lVert x - x' \rVert^2}{2 \ell^2}\right)
\min_{w, b} \frac{1}{2} \lVert w \rVert^2 \quad \text{s.t.} \quad y_i (w^\top x_i + b) \ge 1
\ell(y, \hat{y}) = \max(0, 1 - y \hat{y})
\mathrm{MSE} = \frac{1}{n} \sum_{i=1}^{n} (y_i - \hat{y}_i)^2
\hat{\beta} = (X^\top X)^{-1} X^\top y
\hat{\beta}_{\text{ridge}} = (X^\top X + \lambda I)^{-1} X^\top y
\mathrm{PE}_{(pos, 2i)} = \sin\left(\frac{pos}{10000^{2i/d}}\right)
\mathrm{LayerNorm}(x) = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} \odot \gamma + \beta
s = \frac{q \cdot k}{\sqrt{d}}
p_i = \frac{e^{z_i / T}}{\sum_j e^{z_j / T}}
x_{t+1} = x_t - \eta \, \nabla f(x_t)
w^{(k+1)} = w^{(k)} - \eta \, g^{(k)}
y = \mathbf{1}_{\{x > 0\}}
\lvert \mathcal{D} \rvert = 12{,}000
\theta^* = \operatorname*{arg\,min}_\theta \mathcal{L}(\theta)
x^*, \; y^{*}
a_i b_i + W_h h_{t-1}
x^T A x + w^Tx
# --- probability and statistics
P(A \mid B) = \frac{P(B \mid A) P(A)}{P(B)}
\mathbb{E}[X] = \int_{-\infty}^{\infty} x f(x) \, dx
\operatorname{Var}(X) = \mathbb{E}[X^2] - \mathbb{E}[X]^2
\operatorname{Cov}(X, Y) = \mathbb{E}[(X - \mu_X)(Y - \mu_Y)]
\rho_{XY} = \frac{\operatorname{Cov}(X, Y)}{\sigma_X \sigma_Y}
f(x) = \frac{1}{\sqrt{2\pi\sigma^2}} \exp\left(-\frac{(x - \mu)^2}{2\sigma^2}\right)
X \sim \mathcal{N}(\mu, \sigma^2)
P(X = k) = \binom{n}{k} p^k (1 - p)^{n - k}
P(X = k) = \frac{\lambda^k e^{-\lambda}}{k!}
\bar{X} = \frac{1}{n} \sum_{i=1}^{n} X_i
S^2 = \frac{1}{n - 1} \sum_{i=1}^{n} (X_i - \bar{X})^2
\Pr\left(\lvert \bar{X}_n - \mu \rvert > \epsilon\right) \to 0
\sqrt{n}(\bar{X}_n - \mu) \xrightarrow{d} \mathcal{N}(0, \sigma^2)
H(X) = -\sum_{x} p(x) \log_2 p(x)
I(X; Y) = H(X) - H(X \mid Y)
p(\theta \mid \mathcal{D}) \propto p(\mathcal{D} \mid \theta) \, p(\theta)
\mathcal{L}(\theta) = \prod_{i=1}^{n} f(x_i; \theta)
\hat{\theta}_{\mathrm{MLE}} = \operatorname*{arg\,max}_\theta \log \mathcal{L}(\theta)
F_X(x) = P(X \le x)
M_X(t) = \mathbb{E}\left[e^{tX}\right]
\phi_X(t) = \mathbb{E}\left[e^{itX}\right]
P\left(\bigcup_{i} A_i\right) \le \sum_{i} P(A_i)
\lim_{n \to \infty} P(\lvert X_n - X \rvert > \epsilon) = 0
z = \frac{\bar{x} - \mu_0}{\sigma / \sqrt{n}}
t = \frac{\bar{x} - \mu_0}{s / \sqrt{n}}
\chi^2 = \sum_{i} \frac{(O_i - E_i)^2}{E_i}
\operatorname{Beta}(\alpha, \beta) = \frac{\Gamma(\alpha)\Gamma(\beta)}{\Gamma(\alpha + \beta)}
\Gamma(n) = (n - 1)!
p(x) = \sum_{k=1}^{K} \pi_k \, \mathcal{N}(x \mid \mu_k, \Sigma_k)
\gamma_{nk} = \frac{\pi_k \mathcal{N}(x_n \mid \mu_k, \Sigma_k)}{\sum_{j} \pi_j \mathcal{N}(x_n \mid \mu_j, \Sigma_j)}
\mathbb{P}(T > t) = e^{-\lambda t}
X_{(1)} \le X_{(2)} \le \cdots \le X_{(n)}
[0, 1)
(a, b]
\{x \in \mathbb{R} : x > 0\}
\mathbb{E}[X \mid \mathcal{F}_t] = X_t
# --- physics
E = mc^2
F = ma
\mathbf{F} = q(\mathbf{E} + \mathbf{v} \times \mathbf{B})
\nabla \cdot \mathbf{E} = \frac{\rho}{\varepsilon_0}
\nabla \times \mathbf{B} = \mu_0 \mathbf{J} + \mu_0 \varepsilon_0 \frac{\partial \mathbf{E}}{\partial t}
\nabla \cdot \mathbf{B} = 0
i\hbar \frac{\partial}{\partial t} \Psi = \hat{H} \Psi
\hat{H} = -\frac{\hbar^2}{2m} \nabla^2 + V(\mathbf{r})
\Delta x \, \Delta p \ge \frac{\hbar}{2}
E_n = -\frac{13.6\,\mathrm{eV}}{n^2}
\langle \psi \mid \phi \rangle
\langle A \rangle = \langle \psi \rvert A \lvert \psi \rangle
S = k_B \ln \Omega
dU = T \, dS - p \, dV
PV = nRT
\frac{d^2 x}{dt^2} + \omega_0^2 x = 0
x(t) = A \cos(\omega t + \varphi)
L = T - V
\frac{d}{dt} \frac{\partial L}{\partial \dot{q}} - \frac{\partial L}{\partial q} = 0
H = \sum_i p_i \dot{q}_i - L
\ddot{x} = -\frac{k}{m} x
\mathbf{p} = m \mathbf{v}
\gamma = \frac{1}{\sqrt{1 - v^2 / c^2}}
E^2 = (pc)^2 + (m c^2)^2
\oint_{\partial S} \mathbf{E} \cdot d\mathbf{l} = -\frac{d}{dt} \iint_S \mathbf{B} \cdot d\mathbf{S}
W = \int_a^b \mathbf{F} \cdot d\mathbf{r}
\tau = \mathbf{r} \times \mathbf{F}
\lambda = \frac{h}{p}
Z = \sum_i e^{-\beta E_i}
\langle E \rangle = -\frac{\partial \ln Z}{\partial \beta}
\rho \left(\frac{\partial \mathbf{u}}{\partial t} + \mathbf{u} \cdot \nabla \mathbf{u}\right) = -\nabla p
T_{\mu\nu} = \frac{2}{\sqrt{-g}} \frac{\delta S}{\delta g^{\mu\nu}}
R_{\mu\nu} - \frac{1}{2} R g_{\mu\nu} = 8 \pi G T_{\mu\nu}
\partial_\mu F^{\mu\nu} = J^\nu
# --- linear algebra
A \mathbf{x} = \mathbf{b}
A = U \Sigma V^\top
A = Q \Lambda Q^{-1}
\det(A - \lambda I) = 0
\operatorname{tr}(AB) = \operatorname{tr}(BA)
(AB)^\top = B^\top A^\top
(AB)^{-1} = B^{-1} A^{-1}
\lVert x \rVert_2 = \sqrt{\sum_{i=1}^{n} x_i^2}
\lVert A \rVert_F = \sqrt{\operatorname{tr}(A^\top A)}
\langle u, v \rangle = u^\top v = \sum_i u_i v_i
\operatorname{rank}(A) + \dim \ker A = n
\mathbf{v} = \sum_{i=1}^{n} c_i \mathbf{e}_i
P = A (A^\top A)^{-1} A^\top
x^\top A x > 0 \quad \forall x \ne 0
\kappa(A) = \lVert A \rVert \, \lVert A^{-1} \rVert
A^{+} = V \Sigma^{+} U^\top
\begin{pmatrix} a & b \\ c & d \end{pmatrix}^{-1} = \frac{1}{ad - bc} \begin{pmatrix} d & -b \\ -c & a \end{pmatrix}
\det \begin{bmatrix} a & b \\ c & d \end{bmatrix} = ad - bc
I_n = \operatorname{diag}(1, \ldots, 1)
\mathbf{u} \otimes \mathbf{v}
e^{A} = \sum_{k=0}^{\infty} \frac{A^k}{k!}
\lambda_{\max}(A) = \max_{\lVert x \rVert = 1} x^\top A x
\operatorname{span}\{v_1, \dots, v_k\}
\mathbf{a} \cdot \mathbf{b} = \lVert \mathbf{a} \rVert \lVert \mathbf{b} \rVert \cos\theta
\mathbf{a} \times \mathbf{b} = \begin{vmatrix} \mathbf{i} & \mathbf{j} \\ a_1 & a_2 \end{vmatrix}
\dim V = \dim \operatorname{im} T + \dim \ker T
# --- calculus and analysis
\int_0^1 x^2 \, dx = \frac{1}{3}
\frac{d}{dx} e^{x} = e^{x}
\lim_{x \to 0} \frac{\sin x}{x} = 1
\sum_{n=1}^{\infty} \frac{1}{n^2} = \frac{\pi^2}{6}
e^{i\pi} + 1 = 0
f(x) = \sum_{n=0}^{\infty} \frac{f^{(n)}(a)}{n!} (x - a)^n
\int_a^b f'(x) \, dx = f(b) - f(a)
\frac{\partial^2 u}{\partial t^2} = c^2 \frac{\partial^2 u}{\partial x^2}
\nabla f = \left(\frac{\partial f}{\partial x_1}, \ldots, \frac{\partial f}{\partial x_n}\right)
\hat{f}(\xi) = \int_{-\infty}^{\infty} f(x) \, e^{-2\pi i x \xi} \, dx
\lvert f(x) - f(y) \rvert \le L \lvert x - y \rvert
\forall \epsilon > 0 \; \exists \delta > 0 : \lvert x - a \rvert < \delta \implies \lvert f(x) - f(a) \rvert < \epsilon
\log(ab) = \log a + \log b
\binom{n}{k} = \frac{n!}{k!\,(n - k)!}
(x + y)^n = \sum_{k=0}^{n} \binom{n}{k} x^k y^{n-k}
\sqrt[3]{x}
\lfloor x \rfloor + \lceil y \rceil
\big( a + b \big)
\Big[ \frac{a}{b} \Big]
\bigl( x \bigr)
\left\{ x \mid x > 0 \right\}
\left. \frac{df}{dx} \right|_{x = 0}
x \bmod n
a \equiv b \pmod{n}
\overline{z} = a - bi
\widehat{AB}
\vec{v} = \dot{\vec{r}}
\underbrace{a + \cdots + a}_{n}
\overbrace{1 + 1}^{2}
\{ a, b \}
\sum_{\substack{i < j \\ i \ne k}} x_{ij}
\mathbb{N} \subset \mathbb{Z} \subset \mathbb{Q} \subset \mathbb{R} \subset \mathbb{C}
f \colon X \to Y
\text{if } x > 0 \text{ and } y < 1
x = \begin{cases} 1 & \text{if } a \\ 0 & \text{otherwise} \end{cases}
(f \ast g)(t) = \int f(\tau) g(t - \tau) \, d\tau
100\%
# TeX's generalized fractions
{n \choose k} + {a \over b} + {n \atop k} + {n \brace k} + {n \brack k}
\$5
display:\begin{aligned} a &= b + c \\ d &= e \end{aligned}
display:\begin{align} a &= b \label{eq:a} \\ c &= d \notag \end{align}
display:\begin{equation*} E = mc^2 \end{equation*}
display:E = mc^2 \tag{2.1}
\frac{1}{m^+m^-} \sum_{x^+ \in D^+}
(n_h-1)(k_h-s_h)
\nabla_xf = \partial_xf
\int_{S}^{} \rho(s) ds
\sqrt[{[}]{x} + x^{{ n }}
(f * g)(i) = \sum_j f(j) g(i - j)
display:\prod_{j=1\\j\neq i}^{d} P(x_j)
display:\sum_{i=1}^{n} i = \frac{n(n+1)}{2}
display:\mathcal{L} = -\frac{1}{N} \sum_{n=1}^{N} \sum_{k=1}^{K} y_{nk} \log \hat{y}_{nk}
env:align:\begin{align} f_t &= \sigma(W_f x_t + b_f) \\ i_t &= \sigma(W_i x_t + b_i) \end{align}
env:align*:\begin{align*} a &= b \\ &= c \end{align*}
env:gather:\begin{gather} a = b \\ c = d \end{gather}
env:equation:\begin{equation} E = mc^2 \end{equation}
env:multline:\begin{multline} a + b + c \\ + d + e \end{multline}
"""


def valid_formulas() -> list[tuple[str, str]]:
    """(context, formula) pairs; context is inline, display or env:NAME."""
    out = []
    for line in VALID.strip().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        context = "inline"
        if line.startswith("display:"):
            context, line = "display", line[len("display:"):]
        elif line.startswith("env:"):
            _, name, line = line.split(":", 2)
            context = f"env:{name}"
        out.append((context, line))
    return out
