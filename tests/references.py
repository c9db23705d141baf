"""Independent references shared by several test modules (written without lecturekit)."""

import math

import numpy as np
from scipy import integrate

RECTIFY = {"tanh": np.tanh, "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
           "relu": lambda a: np.where(a > 0, a, 0.0)}
"""The lectures' "rectify" g, written out independently of lecturekit.activations."""


def dilate(k, d):
    """Kernel with d-1 zeros between entries on the last two axes (an independent dilation)."""
    kh, kw = k.shape[-2:]
    out = np.zeros(k.shape[:-2] + (d[0] * (kh - 1) + 1, d[1] * (kw - 1) + 1))
    out[..., :: d[0], :: d[1]] = k
    return out


def second_moment(g):
    """E[g(z)^2] for z ~ N(0, 1), by numerical integration (scipy.integrate.quad)."""
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    return integrate.quad(lambda z: g(z) ** 2 * pdf(z), -np.inf, np.inf)[0]


RECTIFY_PRIME = {"tanh": lambda a: 1 - np.tanh(a) ** 2,
                 "sigmoid": lambda a: RECTIFY["sigmoid"](a) * (1 - RECTIFY["sigmoid"](a)),
                 "relu": lambda a: (a > 0).astype(float)}
"""g' of each RECTIFY g, written out (ReLU'(0) = 0, PyTorch's convention)."""


def rnn_jacobian_norms_written_out(w, xs, activation):
    """||dh_T/dh_{T-k}||_2, k = 0..T, shape (T + 1, N), for h_t = g(W_xh x_t + W_hh h_{t-1}), h_0 = 0.

    ``w = [W_xh, W_hh]`` of shape (H, D + H), ``xs`` of shape (T, N, D), no bias. By literal
    loops, one sequence at a time: dh_T/dh_{T-k} = J_T ... J_{T-k+1}, J_s = diag(g'(a_s)) W_hh.
    """
    T, N, D = xs.shape
    H = w.shape[0]
    w_xh, w_hh = w[:, :D], w[:, D:]
    g, g_prime = RECTIFY[activation], RECTIFY_PRIME[activation]
    norms = np.empty((T + 1, N))
    for n in range(N):
        h, pre = np.zeros(H), []
        for t in range(T):
            a = w_xh @ xs[t, n] + w_hh @ h
            pre.append(a)
            h = g(a)
        jac = np.eye(H)
        for k in range(T + 1):
            norms[k, n] = np.linalg.norm(jac, 2)
            if k < T:
                jac = jac @ (g_prime(pre[T - 1 - k])[:, None] * w_hh)  # the earlier step on the right
    return norms
