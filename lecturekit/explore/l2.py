r"""L2 regularisation, penalty against constraint, on a 2-D ridge problem (MLP lecture, top).

The data term is the mean squared error of a linear model with two weights,
:math:`F(\theta) = \frac1N\sum_i (x_i^T\theta - y_i)^2`. For the penalty λ the
solution of :math:`F(\theta) + \frac\lambda2\|\theta\|^2 \to \min` is
:math:`\theta(\lambda)` (:func:`lecturekit.regularization.ridge_penalized`); the
constraint form :math:`F(\theta) \to \min`, :math:`\|\theta\|^2 \le \eta` with
:math:`\eta = \|\theta(\lambda)\|^2`
(:func:`~lecturekit.regularization.ridge_eta_for_lambda`) has the same solution
(:func:`~lecturekit.regularization.ridge_constrained`), where a level set of
:math:`F` touches the circle. Moving λ slides :math:`\theta(\lambda)` along its
path from the least-squares solution (λ → 0) to the origin (λ → ∞).
"""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Polygon

from ..regularization import ridge_constrained, ridge_eta_for_lambda, ridge_penalized
from ..rng import default_rng
from ._axes import FONT
from ._controls import Slider
from ._explorer import Explorer, register

N = 40
LAMS = np.logspace(-3, 3, 121)  # the path of theta(lambda), drawn once
_T = np.linspace(0, 2 * np.pi, 181)
_CIRCLE = np.stack([np.cos(_T), np.sin(_T)], axis=1)  # (181, 2): the unit circle


def ridge_data():
    """The fixed 2-D problem: correlated features, so the loss's level sets are tilted ellipses."""
    rng = default_rng(3)
    X = rng.standard_normal((N, 2)) @ np.array([[1.0, 0.0], [0.6, 0.6]])  # (N, 2)
    y = X @ np.array([1.5, 1.0]) + 0.5 * rng.standard_normal(N)
    return X, y


@register
class L2Explorer(Explorer):
    """θ(λ) of the penalty form, the ball ‖θ‖² ≤ η(λ), and the constrained solution on it."""

    controls = {"lam": Slider(1e-3, 1e2, 0.125, 0.1, "λ (penalty)", log=True)}
    figsize = (9.3, 4.7)
    box = (-0.6, 2.4, -0.8, 1.7)  # θ1 from, to; θ2 from, to

    def build(self, fig):
        self.X, self.y = ridge_data()
        n = len(self.y)
        # F is quadratic: F(θ) = F(θ_LS) + (θ - θ_LS)^T A (θ - θ_LS) with A = X^T X / N.
        self.A = self.X.T @ self.X / n
        evals, evecs = np.linalg.eigh(self.A)
        self.A_inv_sqrt = evecs @ np.diag(evals**-0.5) @ evecs.T
        self.theta_ls = ridge_penalized(self.X, self.y, 0.0)
        self.path = np.array([ridge_penalized(self.X, self.y, lam) for lam in LAMS])  # (121, 2)
        self.etas = np.array([ridge_eta_for_lambda(self.X, self.y, lam) for lam in LAMS])

        ax = self.ax = fig.add_axes((0.07, 0.1, 0.44, 0.77))
        x0, x1, y0, y1 = self.box
        t1, t2 = np.meshgrid(np.linspace(x0, x1, 120), np.linspace(y0, y1, 100))
        grid = np.stack([t1, t2], axis=-1)  # (100, 120, 2): one θ per pixel
        loss = np.mean((grid @ self.X.T - self.y) ** 2, axis=-1)  # F(θ) on the grid
        self.f_min = float(np.mean((self.X @ self.theta_ls - self.y) ** 2))
        ax.contour(t1, t2, loss, levels=self.f_min + np.array([0.05, 0.2, 0.5, 1, 2, 3.5, 5]),
                   colors="0.65", linewidths=1)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal")
        ax.axhline(0, color="0.8", lw=0.8)
        ax.axvline(0, color="0.8", lw=0.8)
        ax.set_xlabel(r"$\theta_1$", fontsize=FONT + 1)
        ax.set_ylabel(r"$\theta_2$", fontsize=FONT + 1)
        ax.tick_params(labelsize=FONT - 3)
        self.ball = Polygon(np.zeros((1, 2)), closed=True, facecolor="#c6dbef",
                            edgecolor="#08519c", lw=2, alpha=0.6)
        ax.add_patch(self.ball)
        ax.plot(*self.path.T, color="#31a354", lw=2, label=r"path of $\theta(\lambda)$")
        (self.level,) = ax.plot([], [], color="#e6550d", lw=1.8, ls="--",
                                label=r"level set of $F$ through $\theta(\lambda)$")
        ax.plot(*self.theta_ls, "*", color="black", ms=13, label=r"least squares ($\lambda = 0$)")
        (self.pen,) = ax.plot([], [], "o", color="#31a354", ms=10,
                              label=r"penalty: $\theta(\lambda)$")
        (self.con,) = ax.plot([], [], "o", mfc="none", mec="#08519c", mew=2.5, ms=19,
                              label=r"constraint: $\|\theta\|^2 \leq \eta$")
        ax.legend(loc="upper left", bbox_to_anchor=(1.03, 1.02), fontsize=FONT - 2,
                  frameon=False)

        ax = self.ax_eta = fig.add_axes((0.64, 0.1, 0.33, 0.18))
        ax.loglog(LAMS, self.etas, color="#08519c", lw=2)
        ax.set_xlim(LAMS[0], LAMS[-1])
        ax.set_xlabel(r"$\lambda$", fontsize=FONT)
        ax.set_ylabel(r"$\eta = \|\theta(\lambda)\|^2$", fontsize=FONT - 1)
        ax.tick_params(labelsize=FONT - 3)
        ax.grid(alpha=0.3)
        (self.eta_dot,) = ax.plot([], [], "o", color="#08519c", ms=9)
        # Static mathtext (parsing it costs tens of ms); the numbers are plain text.
        fig.text(0.07, 0.93, r"penalty: $F(\theta) + \frac{\lambda}{2}\|\theta\|^2 \to \min$"
                 r"     $\Longleftrightarrow$     constraint: $F(\theta) \to \min$,  "
                 r"$\|\theta\|^2 \leq \eta$", fontsize=FONT + 1)
        # Labels once, values beside them: only the values are re-rendered when λ moves.
        mono = dict(fontsize=FONT - 1, family="monospace", va="bottom", linespacing=1.35)
        fig.text(0.555, 0.345, "λ\nη = ‖θ(λ)‖²\npenalty:    θ(λ)\nconstraint: θ\nF(θ(λ))",
                 **mono)
        self.numbers = fig.text(0.555 + 0.18, 0.345, "", **mono)

    def compute(self, *, lam):
        theta = ridge_penalized(self.X, self.y, lam)
        eta = ridge_eta_for_lambda(self.X, self.y, lam)
        theta_c = ridge_constrained(self.X, self.y, eta)
        # The level set {F = F(θ(λ))}: θ_LS + A^{-1/2} (radius × unit circle), radius from θ(λ).
        d = theta - self.theta_ls
        radius = np.sqrt(d @ self.A @ d)
        level = self.theta_ls + radius * _CIRCLE @ self.A_inv_sqrt  # (181, 2)
        return {"lam": lam, "theta": theta, "eta": eta, "theta_c": theta_c,
                "ball": np.sqrt(eta) * _CIRCLE, "level": level,
                "gap": float(np.max(np.abs(theta - theta_c))),
                "loss": float(np.mean((self.X @ theta - self.y) ** 2))}

    def draw(self, r):
        self.ball.set_xy(r["ball"])
        self.level.set_data(*r["level"].T)
        self.pen.set_data([r["theta"][0]], [r["theta"][1]])
        self.con.set_data([r["theta_c"][0]], [r["theta_c"][1]])
        self.eta_dot.set_data([r["lam"]], [r["eta"]])
        t, c = r["theta"], r["theta_c"]
        self.numbers.set_text(f"= {r['lam']:.3g}\n= {r['eta']:.3g}\n"
                              f"= ({t[0]:6.3f}, {t[1]:6.3f})\n= ({c[0]:6.3f}, {c[1]:6.3f})\n"
                              f"= {r['loss']:.3f}  (min {self.f_min:.3f})")
