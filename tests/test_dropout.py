"""lecturekit.dropout: expectations by Monte Carlo, test-time rules, gradients, bad input."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

from lecturekit.dropout import dropout, dropout_backward
from lecturekit.gradcheck import assert_gradcheck
from lecturekit.rng import default_rng

SMALL = settings(max_examples=25, deadline=None)
A = np.array([-2.0, -0.5, 0.3, 1.0, 4.0])
T = 20_000  # Monte Carlo draws per unit


@pytest.mark.parametrize("drop_prob", [0.2, 0.5, 0.8])
def test_train_time_expectations_by_monte_carlo(drop_prob):
    # Each unit's output is a * y * s with y ~ Bernoulli(q), q = 1 - p, s = 1/q (inverted)
    # or 1 (classic). Its mean over T draws has standard error |a| s sqrt(q (1 - q) / T);
    # we allow 5 standard errors (a false alarm has probability < 1e-6 per unit).
    q = 1 - drop_prob
    a = np.tile(A, (T, 1))  # (T, 5): T independent masks per unit
    for mode, scale, expected in [("inverted", 1 / q, A), ("classic", 1.0, q * A)]:
        out, mask = dropout(a, drop_prob=drop_prob, mode=mode, rng=default_rng(1))
        se = np.abs(A) * scale * np.sqrt(q * (1 - q) / T)
        assert np.all(np.abs(out.mean(axis=0) - expected) < 5 * se), mode
        # The mask itself is Bernoulli(keep): its mean is q within 5 binomial SEs.
        assert abs(mask.mean() - q) < 5 * np.sqrt(q * (1 - q) / mask.size)


def test_eval_outputs_match_each_convention_and_the_expected_train_output():
    p = 0.3
    out_classic, mask = dropout(A, drop_prob=p, mode="classic", training=False)
    assert mask is None
    np.testing.assert_allclose(out_classic, (1 - p) * A, rtol=1e-15)
    out_inverted, _ = dropout(A, drop_prob=p, mode="inverted", training=False)
    np.testing.assert_array_equal(out_inverted, A)
    # Erratum in the MLP lecture: classic test output is (1 - p) a, not a / (1 - p).
    train = dropout(np.tile(A, (T, 1)), drop_prob=p, mode="classic", rng=default_rng(2))[0]
    se = np.abs(A) * np.sqrt(p * (1 - p) / T)
    assert np.all(np.abs(train.mean(axis=0) - out_classic) < 5 * se)
    wrong = A / (1 - p)
    assert np.all(np.abs(train.mean(axis=0) - wrong) > 5 * se)


def test_keep_prob_and_drop_prob_are_complements():
    # 05/10/23's p = 0.8 (keep) is the MLP lecture's and PyTorch's p = 0.2 (drop).
    a = np.arange(12.0).reshape(3, 4)
    by_keep = dropout(a, keep_prob=0.8, rng=default_rng(3))
    by_drop = dropout(a, drop_prob=0.2, rng=default_rng(3))
    np.testing.assert_allclose(by_keep[0], by_drop[0], rtol=1e-15)
    np.testing.assert_array_equal(by_keep[1], by_drop[1])
    # keep_prob = 1 (the output layer) and drop_prob = 0 change nothing
    np.testing.assert_array_equal(dropout(a, keep_prob=1.0, rng=default_rng(4))[0], a)
    np.testing.assert_array_equal(dropout(a, drop_prob=0.0, mode="classic",
                                          rng=default_rng(4))[0], a)


def test_dropout_of_inputs_matches_the_05_10_23_unit():
    # z_m = sigma(<r ⊙ x, alpha_m>) with p(r_i = 1) = p: classic dropout (no rescaling)
    # of the inputs, p the KEEP probability.
    rng = np.random.default_rng(7)
    x, alpha = rng.normal(size=(4, 6)), rng.normal(size=(6, 3))
    dropped, r = dropout(x, keep_prob=0.8, mode="classic", rng=default_rng(8))
    assert set(np.unique(r)) <= {0.0, 1.0}
    np.testing.assert_array_equal(dropped, r * x)
    # the unit z_m = sigma(sum_i r_i x_i alpha_im), a literal loop over m and i, fed with
    # the dropped input: no rescaling of the kept x_i (classic), dropped ones contribute 0
    for n in range(4):
        for m in range(3):
            s = sum(r[n, i] * x[n, i] * alpha[i, m] for i in range(6))
            z_nm = 1 / (1 + math.exp(-s))
            assert 1 / (1 + math.exp(-(dropped[n] @ alpha[:, m]))) == pytest.approx(z_nm,
                                                                                   rel=1e-13)
    # p(r_i = 1) = p = 0.8 is the KEEP probability: over 10^5 units the kept fraction is
    # 0.8 within 5 binomial standard errors (sqrt(0.8 * 0.2 / 10^5) = 0.0013), far from 0.2
    _, r = dropout(np.ones(100_000), keep_prob=0.8, mode="classic", rng=default_rng(9))
    assert abs(r.mean() - 0.8) < 5 * math.sqrt(0.8 * 0.2 / r.size)


@SMALL
@given(shape=array_shapes(min_dims=1, max_dims=3, max_side=4), seed=st.integers(0, 2**16),
       drop_prob=st.floats(0.0, 0.9), mode=st.sampled_from(["inverted", "classic"]),
       training=st.booleans())
def test_dropout_backward_gradcheck(shape, seed, drop_prob, mode, training):
    rng = np.random.default_rng(seed)
    a, dout = rng.normal(size=shape), rng.normal(size=shape)
    kw = dict(drop_prob=drop_prob, mode=mode, training=training)

    def f(a):  # the same mask on every call: a fresh generator with the same seed
        return np.sum(dropout(a, rng=default_rng(seed), **kw)[0] * dout)

    mask = dropout(a, rng=default_rng(seed), **kw)[1]
    assert_gradcheck(f, [a], [dropout_backward(dout, mask, **kw)], names=["a"])


@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 2, 2)])
def test_dropout_backward_gradcheck_with_keep_prob(shape):
    rng = np.random.default_rng(5)
    a, dout = rng.normal(size=shape), rng.normal(size=shape)
    out, mask = dropout(a, keep_prob=0.5, rng=default_rng(6))
    assert_gradcheck(lambda a: np.sum(dropout(a, keep_prob=0.5, rng=default_rng(6))[0] * dout),
                     [a], [dropout_backward(dout, mask, keep_prob=0.5)], names=["a"])
    # dropped units receive no gradient
    assert np.all(dropout_backward(dout, mask, keep_prob=0.5)[mask == 0] == 0)


def test_bad_input_raises_naming_the_argument():
    a = np.ones(3)
    rng = default_rng(0)
    with pytest.raises(TypeError,
                       match="give exactly one of drop_prob and keep_prob .* got neither"):
        dropout(a, rng=rng)
    with pytest.raises(TypeError, match="got both: drop_prob=0.5, keep_prob=0.5"):
        dropout(a, drop_prob=0.5, keep_prob=0.5, rng=rng)
    with pytest.raises(ValueError, match=r"drop_prob must be in \[0, 1\), got 1"):
        dropout(a, drop_prob=1.0, rng=rng)
    with pytest.raises(ValueError, match=r"drop_prob must be in \[0, 1\), got -0.1"):
        dropout(a, drop_prob=-0.1, rng=rng)
    with pytest.raises(ValueError, match=r"keep_prob must be in \(0, 1\], got 0"):
        dropout(a, keep_prob=0.0, rng=rng)
    with pytest.raises(TypeError, match="rng is required when training=True"):
        dropout(a, drop_prob=0.5)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        dropout(a, drop_prob=0.5, rng=42)
    with pytest.raises(ValueError,
                       match="mode must be one of 'inverted', 'classic', got 'gaussian'"):
        dropout(a, drop_prob=0.5, mode="gaussian", rng=rng)
    with pytest.raises(ValueError, match=r"mask must have shape \(3,?\), got \(2,\)"):
        dropout_backward(a, np.ones(2), drop_prob=0.5)
    with pytest.raises(TypeError, match="mask is required when training=True"):
        dropout_backward(a, None, drop_prob=0.5)
    with pytest.raises(ValueError, match="mask must contain only 0 and 1"):
        dropout_backward(a, np.full(3, 0.5), drop_prob=0.5)
