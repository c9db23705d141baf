"""lecturekit._checks: as_array's shortcut for float arrays gives what its general path gives."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lecturekit._checks import as_array

DTYPES = [np.float64, np.float32, np.float16, np.int64, np.int8, np.uint8, np.bool_,
          np.complex128]


def as_array_written_out(x, name, *, ndim=None, dtype=np.float64, finite=True):
    """as_array's documented behaviour, for any input: numbers only, real, converted to
    ``dtype`` (or an integer or bool to float64 when ``dtype`` is None), the rank, finite."""
    arr = np.asarray(x)
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError("numbers")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError("real")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    elif not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    if ndim is not None and arr.ndim not in ((ndim,) if isinstance(ndim, int) else ndim):
        raise ValueError("rank")
    if finite and arr.size and not np.all(np.isfinite(arr)):
        raise ValueError("finite")
    return arr


def _outcome(f, x, **kw):
    try:
        with np.errstate(over="ignore"):  # a float64 beyond float32's range: inf, then refused
            out = f(x, "x", **kw)
    except (TypeError, ValueError) as exc:
        return type(exc)
    return out


@given(x=st.sampled_from(DTYPES).flatmap(lambda d: hnp.arrays(d, hnp.array_shapes(
           min_dims=0, max_dims=3, max_side=3))),
       dtype=st.sampled_from([np.float64, np.float32, None]),
       ndim=st.sampled_from([None, 1, (0, 2)]), finite=st.booleans())
def test_as_array_is_its_written_out_behaviour_for_every_dtype(x, dtype, ndim, finite):
    got = _outcome(as_array, x, dtype=dtype, ndim=ndim, finite=finite)
    want = _outcome(as_array_written_out, x, dtype=dtype, ndim=ndim, finite=finite)
    if isinstance(want, type):
        assert got is want
        return
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    assert (got is x) == (want is x)  # no copy where none was needed, a copy where it was


def test_a_float64_array_comes_back_itself_and_a_bad_one_is_refused_by_name():
    x = np.arange(6.0).reshape(2, 3)
    assert as_array(x, "x") is x and as_array(x, "x", ndim=2) is x
    with pytest.raises(ValueError, match=r"^w must be 1-D, got a 2-D array of shape \(2, 3\)$"):
        as_array(x, "w", ndim=1)
    x[0, 1] = np.inf
    with pytest.raises(ValueError, match="^w must contain only finite values"):
        as_array(x, "w")
    assert as_array(x, "w", finite=False) is x
    # a subclass goes the general way: np.asarray gives the plain array
    masked = np.ma.masked_array([1.0, 2.0], mask=[False, True])
    assert type(as_array(masked, "m")) is np.ndarray
