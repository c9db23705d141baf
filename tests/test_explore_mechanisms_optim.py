"""The optimiser explorer's mechanism panels (κ, rate map, weights γʲ, Adam's bias correction)
and average pooling in the pooling explorer, each against an independent reference."""

from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturekit.explore import OptimizerExplorer, PoolingShiftExplorer
from lecturekit.explore.optim import ADAM_STEPS, N_WEIGHTS, RATE_GAMMA, RATE_LOG_LR
from lecturekit.objectives import quadratic
from lecturekit.optim import Adam, Momentum, trajectory
from lecturekit.pool import avg_pool2d

SMALL = settings(max_examples=15, deadline=None)


@pytest.fixture(scope="module")
def optimizer():
    return OptimizerExplorer()


def _rho_direct(lr, gamma, h):
    """Spectral radius of [[1 + γ - λh, -γ], [1, 0]], maximised over h, by np.linalg.eigvals."""
    return max(np.abs(np.linalg.eigvals([[1 + gamma - lr * x, -gamma], [1.0, 0.0]])).max()
               for x in h)


# ------------------------------------------------------------------------------ κ


@pytest.mark.parametrize("kappa", [1, 5, 50, 100])
def test_kappa_sets_the_quadratics_curvature_gd_follows_the_closed_form(optimizer, kappa):
    lr = 0.01
    r = optimizer.update(surface="quadratic", compare="GD vs momentum", panel="loss",
                         kappa=kappa, lr=lr, steps=40)
    t = np.arange(41)[:, None]
    expected = np.array([-4.5, 2.0]) * (1 - lr * np.array([1.0, kappa])) ** t
    np.testing.assert_allclose(r["paths"]["GD"], expected, rtol=1e-10, atol=1e-12)
    assert optimizer.formula_kappa.get_text() == f"condition number κ = {kappa}"
    # momentum's path is the notes' recurrence on f = (w1^2 + κ w2^2)/2
    ref = trajectory(Momentum(lr=lr, gamma=optimizer.params["gamma"]),
                     lambda w: quadratic(w, a=1.0, b=float(kappa))[1], [-4.5, 2.0], steps=40)
    np.testing.assert_allclose(r["paths"]["momentum"], ref, rtol=1e-12, atol=1e-12)


def test_kappa_acts_only_on_the_quadratic(optimizer):
    assert "kappa" not in optimizer.inactive({**optimizer.params, "surface": "quadratic"})
    assert "kappa" in optimizer.inactive({**optimizer.params, "surface": "rosenbrock"})
    a = optimizer.peek(surface="rosenbrock", kappa=3, lr=0.002)
    b = optimizer.peek(surface="rosenbrock", kappa=90, lr=0.002)
    for m in a["paths"]:
        np.testing.assert_array_equal(a["paths"][m], b["paths"][m])


# ------------------------------------------------------------------------------ rate map


@pytest.mark.parametrize("lr, gamma", [(0.0891251, 0.5), (0.01, 0.9), (0.3, 0.1), (1e-4, 0.0)])
def test_the_rate_map_marker_moves_with_the_sliders(optimizer, lr, gamma):
    r = optimizer.update(surface="quadratic", panel="rate map", kappa=20, lr=lr, gamma=gamma,
                         gamma_ramp=False)
    x, y = optimizer.rate_marker.get_data()
    assert (x[0], y[0]) == pytest.approx((np.log10(lr), gamma))
    assert r["rate"] == pytest.approx(_rho_direct(lr, gamma, [1.0, 20.0]), rel=1e-9)
    assert r["rate_gd"] == pytest.approx(max(abs(1 - lr), abs(1 - 20 * lr)), rel=1e-9)
    assert f"ρ = {r['rate']:.4g}" in optimizer.rate_texts[0].get_text()


def test_the_rate_map_marker_follows_the_ramp(optimizer):
    r = optimizer.update(panel="rate map", gamma_ramp=True, ramp=10, steps=5, lr=0.05)
    assert r["point"][1] == pytest.approx(0.5 + 0.4 * 5 / 10)  # γ_t at the last step shown
    optimizer.update(gamma_ramp=False, steps=50)


def test_kappa_changes_the_rate_map_and_it_is_the_spectral_radius_pixel_by_pixel(optimizer):
    maps = {}
    rng = np.random.default_rng(0)
    for kappa in (2, 20, 80):
        r = optimizer.update(surface="quadratic", panel="rate map", kappa=kappa)
        image = np.asarray(optimizer.rate_image.get_array())
        assert image.shape == (len(RATE_GAMMA), len(RATE_LOG_LR))
        np.testing.assert_array_equal(image, r["rate_map"])
        for i, j in zip(rng.integers(len(RATE_GAMMA), size=25),
                        rng.integers(len(RATE_LOG_LR), size=25), strict=True):
            assert image[i, j] == pytest.approx(
                _rho_direct(10.0 ** RATE_LOG_LR[j], RATE_GAMMA[i], [1.0, kappa]), rel=1e-9)
        maps[kappa] = image
        # the stable edge is λκ = 2(1 + γ); the best point is Polyak's
        edge_x, edge_y = optimizer.rate_edge.get_data()
        np.testing.assert_allclose(10.0 ** edge_x * kappa, 2 * (1 + edge_y), rtol=1e-12)
        sk = np.sqrt(kappa)
        assert r["best"][2] == pytest.approx((sk - 1) / (sk + 1))
        # the critical-damping curves: the discriminant vanishes on them
        for line, h in zip(optimizer.rate_critical, (1.0, kappa), strict=True):
            lx, ly = line.get_data()
            b = 1 + ly - 10.0 ** lx * h
            np.testing.assert_allclose(b * b - 4 * ly, 0.0, atol=1e-9)
    assert not np.array_equal(maps[2], maps[20]) and not np.array_equal(maps[20], maps[80])
    # a larger κ shrinks the stable region (rate < 1)
    assert (maps[2] < 1).sum() > (maps[20] < 1).sum() > (maps[80] < 1).sum()
    optimizer.update(kappa=20, panel="loss")


def test_the_rate_map_on_rosenbrock_uses_the_hessian_at_its_minimum(optimizer):
    r = optimizer.update(surface="rosenbrock", panel="rate map")
    # the Hessian of (1 - w1)^2 + 100 (w2 - w1^2)^2 at (1, 1) is [[802, -400], [-400, 200]]
    expected = np.linalg.eigvalsh(np.array([[802.0, -400.0], [-400.0, 200.0]]))
    np.testing.assert_allclose(r["curvatures"], expected, rtol=1e-5)
    optimizer.update(surface="quadratic", panel="loss")


def test_gamma_acts_on_the_rate_map_and_weights_panels_even_without_momentum(optimizer):
    params = {**optimizer.params, "compare": "GD vs Adam", "gamma_ramp": False}
    assert "gamma" in optimizer.inactive({**params, "panel": "loss"})
    for panel in ("rate map", "weights"):
        assert "gamma" not in optimizer.inactive({**params, "panel": panel})
    params["compare"] = "GD vs momentum"
    assert "beta1" in optimizer.inactive({**params, "panel": "loss"})
    assert "beta1" not in optimizer.inactive({**params, "panel": "Adam"})


# ------------------------------------------------------------------------------ weights


@SMALL
@given(st.floats(0.0, 0.99))
def test_the_weights_panel_shows_gamma_to_the_j(gamma):
    e = _weights_explorer()
    r = e.update(panel="weights", gamma=gamma, gamma_ramp=False)
    heights = np.array([bar.get_height() for bar in e.weight_bars])
    np.testing.assert_allclose(heights, gamma ** np.arange(N_WEIGHTS), rtol=1e-12, atol=1e-300)
    np.testing.assert_array_equal(r["weights"], heights)
    # the same weights, read off the notes' recursion: unit gradients e_s, one per step
    opt, w = Momentum(lr=1.0, gamma=gamma), np.zeros(N_WEIGHTS)
    for s in range(N_WEIGHTS):
        opt.step([w], [np.eye(N_WEIGHTS)[s]])
    np.testing.assert_allclose(heights, -opt.mu[0][::-1], rtol=1e-12, atol=1e-15)


@lru_cache(maxsize=1)
def _weights_explorer():
    """One explorer for the hypothesis test (a function-scoped fixture would be rebuilt)."""
    return OptimizerExplorer()


def test_the_weights_panel_names_the_lectures_worked_example():
    e = _weights_explorer()
    r = e.update(panel="weights", gamma=0.9, gamma_ramp=False)
    np.testing.assert_allclose(r["weights"][:2], [1.0, 0.9])  # mu_2 = -λ(0.9 g_0 + g_1)
    assert "μ₂ = −λ(0.9 g₀ + g₁)" in e.weight_texts[1].get_text()
    assert "1/(1 − γ) = 10" in e.weight_texts[0].get_text()
    assert e.ax_w.get_title().startswith(r"$\mu_{t+1} = -\lambda \sum")


# ------------------------------------------------------------------------------ Adam


@pytest.mark.parametrize("beta1, beta2, steps", [(0.9, 0.999, 50), (0.5, 0.9, 10), (0.0, 0.99, 3)])
def test_the_adam_panel_is_adams_own_state_along_its_run(optimizer, beta1, beta2, steps):
    lr = 0.0891251
    r = optimizer.update(surface="quadratic", compare="GD vs momentum", panel="Adam",
                         kappa=20, lr=lr, beta1=beta1, beta2=beta2, eps=1e-8, steps=steps)
    n = min(ADAM_STEPS, steps)
    # run lecturekit's Adam and read its state after each step
    opt, w = Adam(lr=lr, beta1=beta1, beta2=beta2, eps=1e-8), np.array([-4.5, 2.0])
    g_seen, m, v = [], [], []
    for _ in range(n):
        g = quadratic(w, a=1.0, b=20.0)[1]
        opt.step([w], [g])
        g_seen.append(g[0])
        m.append(opt.m[0][0])
        v.append(opt.v[0][0])
    t = np.arange(1, n + 1)
    raw = r["adam_raw"]
    np.testing.assert_allclose(raw["g"], g_seen, rtol=1e-10)
    np.testing.assert_allclose(raw["m"], m, rtol=1e-10)
    np.testing.assert_allclose(raw["v"], v, rtol=1e-10)
    np.testing.assert_allclose(raw["m_hat"], np.array(m) / (1 - beta1**t), rtol=1e-10)
    np.testing.assert_allclose(raw["v_hat"], np.array(v) / (1 - beta2**t), rtol=1e-10)
    # drawn: normalised by max |g|, t = 1 ... n
    scale = np.abs(g_seen).max()
    x, y = optimizer.adam_m_hat.get_data()
    np.testing.assert_array_equal(x, t)
    np.testing.assert_allclose(y, raw["m_hat"] / scale, rtol=1e-12)
    np.testing.assert_allclose(optimizer.adam_v_hat.get_data()[1], np.sqrt(raw["v_hat"]) / scale)
    # t = 1: the correction makes m̂_1 = g_1 and V̂_1 = g_1^2
    assert raw["m_hat"][0] == pytest.approx(g_seen[0]) and raw["m"][0] == pytest.approx(
        (1 - beta1) * g_seen[0])
    optimizer.update(panel="loss", beta1=0.9, beta2=0.999, steps=50)


def test_switching_panels_shows_one_panel_and_each_keeps_its_own_picture():
    e = OptimizerExplorer()
    pictures = {}
    for panel in ("loss", "rate map", "weights", "Adam", "loss", "rate map"):
        e.update(panel=panel)
        visible = [name for name, (axes, _) in e._panels.items() if axes[0].get_visible()]
        assert visible == [panel]
        pictures.setdefault(panel, e.png)
        assert e.png == pictures[panel], panel  # the cached backgrounds are per panel
    assert len(set(pictures.values())) == 4


# ------------------------------------------------------------------------------ pooling


def _avg_pool_loop(x, k, s):
    """Average pooling of a 2-D array by a literal loop over the windows."""
    out = np.empty(((x.shape[0] - k) // s + 1, (x.shape[1] - k) // s + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            total = 0.0
            for u in range(k):
                for v in range(k):
                    total += x[i * s + u, j * s + v]
            out[i, j] = total / (k * k)
    return out


@SMALL
@given(st.integers(2, 9), st.integers(2, 9), st.integers(1, 3), st.integers(1, 3),
       st.integers(0, 1000))
def test_avg_pool2d_is_a_literal_loop(h, w, k, s, seed):
    k = min(k, h, w)
    x = np.random.default_rng(seed).normal(size=(h, w))
    np.testing.assert_allclose(avg_pool2d(x[None, None], k, stride=s)[0, 0],
                               _avg_pool_loop(x, k, s), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kernel, stride, poolings", [(2, 2, 1), (3, 1, 1), (2, 2, 2), (3, 2, 2)])
def test_pooling_explorer_average_pooling_and_its_shift_experiment(kernel, stride, poolings):
    e = PoolingShiftExplorer()
    r = e.update(pool="average", shift=1, kernel=kernel, stride=stride, poolings=poolings)
    ref = r["before"]
    for _ in range(poolings):
        ref = _avg_pool_loop(ref, kernel, stride)
    np.testing.assert_allclose(r["pooled"], ref, rtol=1e-12, atol=1e-14)
    after = r["after"]
    for _ in range(poolings):
        after = _avg_pool_loop(after, kernel, stride)
    np.testing.assert_allclose(r["pooled_after"], after, rtol=1e-12, atol=1e-14)
    # the relative change, for the shift drawn and against the curve at k = shift
    change = np.linalg.norm(after - ref) / np.linalg.norm(ref)
    assert r["relative_change"] == pytest.approx(change, rel=1e-9)
    assert r["change"]["average"][4] == pytest.approx(change, rel=1e-9)  # SHIFTS[4] = 1
    # both poolings' experiments are computed whichever is drawn, and shift 0 changes nothing
    for name in ("max", "average", "pixels"):
        assert r["change"][name][3] == 0.0 and r["unchanged"][name][3] == 1.0
    m = e.peek(pool="max")
    np.testing.assert_array_equal(m["change"]["average"], r["change"]["average"])
    np.testing.assert_array_equal(m["curve"], r["unchanged"]["max"])
    assert "average pool" in e.title.get_text()

