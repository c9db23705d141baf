"""Every public function refuses bad input with a clear error, or stays finite: a table of examples.

For every public function and class of every lecturekit module (every name in the
module's ``__all__``, or every public callable it defines if it has none), and every
public method of those classes, :data:`CASES` holds one valid example call. From
each example the test generates malformed variants of every argument, one argument
at a time, the others left as in the example:

* arrays: wrong ndim (an axis more, an axis less), mismatched shapes (each axis that
  must agree with another argument one longer, and one shorter), empty, NaN, +-inf,
  huge (scaled to 1e300) and tiny (1e-300) values, a list, an int, bool or complex
  array, a ragged list, a string, None, a callable;
* numbers: NaN, +-inf, +-1e300, 1e-300, -0.1, 0, 1 and 1.5 (the out-of-range
  probabilities and rates), -1 and 0 for integers, a float for an integer, a bool, a
  complex number, a 1-element array, a string, None, a callable, a numpy scalar;
* flags: the strings 'True'/'False', None, 0, 1 and a numpy bool;
* choices: an unknown name, the name in another case, None, a number, a list;
* generators, callables, shapes, objects: the wrong kind of thing, and values of
  the right kind that are out of range.

Each variant has one of three expectations:

``ACCEPT``
    A legitimate input today (a list for an array, an int array, a numpy scalar, a
    tuple for a list): the call must return, with a finite result of the example's
    shapes, and for the exact conversions the example's very result.
``EITHER``
    A value that is well-formed but may be out of range or extreme (1e300, 0, -1,
    1.5, a bool array, wrong rank, an empty array): the call raises a clear error,
    or returns a finite result of the right shape. Right means the example's shapes
    for a variant that changes values only; for one that changes shapes, the
    case's ``shape`` rule (a variant that changes a shape and is accepted without a
    rule fails, so that nothing is accepted that could not be checked).
``REJECT``
    Malformed (NaN, a string, None, a callable, complex, a mismatched shape, a
    non-bool flag, an unknown choice): the call must raise.

A clear error is a ``ValueError`` or ``TypeError`` raised by a ``raise`` statement in
lecturekit (not from inside numpy or Python), whose message names the argument that
was varied (a ``FileNotFoundError`` too, for a path that names no file). Warnings are
errors here: none may escape. The explicit allow-lists, all in :data:`CASES`, are
each case's ``accept`` (variants legitimate for that argument, e.g. any rank for an
elementwise function), ``free`` (axes that may change size, such as the batch),
``optional`` (arguments for which None is legitimate) and ``nonfinite_ok`` (the
documented infinities: far out on the optimisation surfaces, the multiplier of
||theta||^2 <= 0). :data:`KNOWN_FAILURES` may list variants known to misbehave (empty now); each
is expected to fail, so that its fix shows up as a line to delete.

:mod:`lecturekit.explore` is not in the table: the explorers validate their inputs
through their controls (sliders, choices, toggles), which ``tests/test_explore.py``
tests. The test fails when a public name, or a public method of a public class, has
no example, so a new function cannot skip it. :func:`variant_counts` gives the
number of malformed calls per module. The reproducers of issue 15, one test each,
close the file.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import itertools
import linecache
import math
import numbers
import os
import re
import types
import warnings
from collections import Counter
from pathlib import Path
from typing import Callable
from unittest import mock

import numpy as np
import pytest

import lecturekit

PACKAGE = Path(lecturekit.__file__).resolve().parent
ACCEPT, EITHER, REJECT = "accept", "either", "reject"
HUGE, TINY = 1e300, 1e-300
# Variants whose result must be the example's, bit for bit: the same numbers in another container.
EXACT = {"list", "tuple", "np.float64", "np.int64", "np.bool_", "np.str_", "integral-int",
         "np.int64-entries"}


# ---------------------------------------------------------------- the case record


@dataclasses.dataclass
class Case:
    """One example call, ``call(**args())``, and what may vary about it.

    ``args`` builds fresh arguments on every call (optimisers and BatchNorm change
    state in place). Arguments named in ``fixed`` (``self``) are never varied.
    ``kinds`` overrides the kind inferred from an example value (``array``,
    ``labels``, ``arrays``, ``real``, ``rate`` (a number or a schedule), ``int``,
    ``ints``, ``flag``, ``choice``, ``rng``, ``fn``, ``object``, ``path``, ``label``,
    ``none`` (not varied)). ``free`` maps an array argument to the axes whose size
    may change (no mismatch variants on them); ``accept`` an argument to variant
    labels that are legitimate for it although they are malformed elsewhere
    (``ndim+1``, ``ndim-1``, ``empty`` for an elementwise function); ``reject`` to
    labels that are malformed for it although legitimate elsewhere (an int array
    for a parameter updated in place); ``optional`` lists the arguments for which
    None is legitimate. ``shape(kwargs)`` gives the result's array shapes, in
    order, for accepted variants that change shapes. ``extra`` adds hand-written
    variants ``(arg, label, make_value, expectation)``; ``inplace`` names arguments
    the call updates, whose values are checked like the result; ``errors`` the
    exception types that count as clear (FileNotFoundError for a missing file);
    ``verdicts`` the exception types that are the call's answer rather than an
    error (assert_gradcheck's AssertionError for a gradient that does not match);
    ``nonfinite_ok`` allows NaN or infinity in the result, for every variant (True:
    show() prints NaN as it is; the notes' examples mark a missing number with NaN)
    or for the variants it lists as ``(arg, label)`` (the multiplier of the
    constraint ||theta||^2 <= 0 is lambda = inf, as documented).
    """

    name: str
    call: Callable
    args: Callable[[], dict]
    fixed: tuple = ()
    kinds: dict = dataclasses.field(default_factory=dict)
    free: dict = dataclasses.field(default_factory=dict)
    accept: dict = dataclasses.field(default_factory=dict)
    reject: dict = dataclasses.field(default_factory=dict)
    optional: tuple = ()
    shape: Callable | None = None
    extra: list = dataclasses.field(default_factory=list)
    inplace: tuple = ()
    errors: tuple = (ValueError, TypeError)
    verdicts: tuple = ()
    nonfinite_ok: bool | tuple = False

    @property
    def module(self):
        return self.name.split(".")[0]

    @property
    def public_name(self):
        return self.name.split("#")[0]


# ---------------------------------------------------------------- variants
# Each variant is (label, value, expectation, shapes): shapes is "same" when only values
# change (the result must have the example's shapes), "ndim" when an int that sizes the
# result changed (the same structure and ranks), "rule" when an array's shape changed
# (the case's shape rule says what the result's shapes must be).


def _returns_none(*args, **kwargs):
    return None


def _infer_kind(value):
    if isinstance(value, (bool, np.bool_)):
        return "flag"
    if isinstance(value, np.random.Generator):
        return "rng"
    if isinstance(value, str):
        return "choice"
    if isinstance(value, numbers.Integral):
        return "int"
    if isinstance(value, numbers.Real):
        return "real"
    if isinstance(value, np.ndarray):
        return "labels" if np.issubdtype(value.dtype, np.integer) else "array"
    if isinstance(value, (tuple, list)) and value and all(isinstance(v, np.ndarray) for v in value):
        return "arrays"
    if isinstance(value, (tuple, list)) and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value):
        return "ints"
    if value is None:
        return "none"
    if callable(value):
        return "fn"
    return "object"


def _grow(a, axis):
    """``a`` one longer along ``axis`` (its last slice repeated)."""
    return np.concatenate([a, np.take(a, [-1], axis=axis)], axis=axis)


def _scaled(a, target):
    """``a`` scaled so that its largest magnitude is ``target`` (all ``target`` if ``a`` is 0)."""
    top = float(np.max(np.abs(a))) if a.size else 0.0
    return np.full(a.shape, target) if top == 0 else a / top * target


def _array_variants(a, free, labels):
    out = [
        ("list", a.tolist(), ACCEPT, "same"),
        ("string", "abc", REJECT, "same"),
        ("None", None, REJECT, "same"),
        ("callable", _returns_none, REJECT, "same"),
        ("complex", a.astype(complex) + 1j, REJECT, "same"),
        ("ndim+1", a[None], EITHER, "rule"),
        ("ndim-1", a[0] if a.ndim else a, EITHER, "rule"),
        ("empty", np.zeros((0,) + a.shape[1:], dtype=a.dtype) if a.ndim else np.zeros(0),
         EITHER, "rule"),
    ]
    if a.size >= 2:
        flat = a.reshape(-1).tolist()
        out.append(("ragged", [flat[:1], flat[:2]], REJECT, "same"))
    if labels:
        out += [
            ("float", a.astype(np.float64) + 0.5, REJECT, "same"),
            ("negative", -np.ones_like(a), EITHER, "same"),
            ("huge-int", np.full_like(a, 10**9), EITHER, "same"),
            ("bool", a.astype(bool), EITHER, "same"),
        ]
    else:
        nan, inf = a.astype(np.float64), a.astype(np.float64)
        if a.size:
            nan.reshape(-1)[-1] = np.nan
            inf.reshape(-1)[0] = np.inf
        out += [
            ("nan", nan, REJECT, "same"),
            ("inf", inf, REJECT, "same"),
            ("-inf", -inf, REJECT, "same"),
            ("huge", _scaled(a, HUGE), EITHER, "same"),
            ("-huge", _scaled(a, -HUGE), EITHER, "same"),
            ("tiny", _scaled(a, TINY), EITHER, "same"),
            ("bool", a.astype(bool), EITHER, "same"),
        ]
        top = float(np.max(np.abs(a))) if a.size else 0.0
        if top < 2.0**62:
            out.append(("int", a.astype(np.int64), ACCEPT, "same"))
        if top < 1e38:
            out.append(("float32", a.astype(np.float32), EITHER, "same"))
    for axis in range(a.ndim):
        if axis in free:
            continue
        out.append((f"axis{axis}+1", _grow(a, axis), REJECT, "rule"))
        if a.shape[axis] >= 2:
            out.append((f"axis{axis}-1", np.take(a, range(a.shape[axis] - 1), axis=axis),
                        REJECT, "rule"))
    return out


def _real_variants(v, kind):
    out = [
        ("np.float64", np.float64(v), ACCEPT, "same"),
        ("nan", math.nan, REJECT, "same"),
        ("inf", math.inf, REJECT, "same"),
        ("-inf", -math.inf, REJECT, "same"),
        ("huge", HUGE, EITHER, "same"),
        ("-huge", -HUGE, EITHER, "same"),
        ("tiny", TINY, EITHER, "same"),
        ("-0.1", -0.1, EITHER, "same"),
        ("0", 0.0, EITHER, "same"),
        ("1", 1.0, EITHER, "same"),
        ("1.5", 1.5, EITHER, "same"),
        ("bool", True, REJECT, "same"),
        ("complex", 1j, REJECT, "same"),
        ("array", np.array([v]), REJECT, "same"),
        ("string", "0.5", REJECT, "same"),
        ("None", None, REJECT, "same"),
        ("callable", _returns_none, REJECT, "same"),
    ]
    if kind == "rate":  # a number or a schedule of the step: schedules that give garbage
        out.append(("callable-nan", lambda t: math.nan, REJECT, "same"))
        out.append(("callable-string", lambda t: "abc", REJECT, "same"))
        out.append(("callable-arity", lambda: 0.1, REJECT, "same"))
    if float(v).is_integer():
        out.append(("integral-int", int(v), ACCEPT, "same"))
    return out


def _int_variants(v):
    return [
        ("np.int64", np.int64(v), ACCEPT, "same"),
        ("-1", -1, EITHER, "ndim"),
        ("0", 0, EITHER, "ndim"),
        ("float", float(v) + 0.5, REJECT, "same"),
        ("float-integral", float(v), REJECT, "same"),
        ("bool", True, REJECT, "same"),
        ("nan", math.nan, REJECT, "same"),
        ("huge", HUGE, REJECT, "same"),
        ("complex", 1j, REJECT, "same"),
        ("string", str(v), REJECT, "same"),
        ("None", None, REJECT, "same"),
        ("callable", _returns_none, REJECT, "same"),
        ("array", np.array([v]), REJECT, "same"),
    ]


def _flag_variants(v):
    return [
        ("np.bool_", np.bool_(v), ACCEPT, "same"),
        ("'False'", "False", REJECT, "same"),
        ("'True'", "True", REJECT, "same"),
        ("None", None, REJECT, "same"),
        ("0", 0, REJECT, "same"),
        ("1", 1, REJECT, "same"),
        ("1.0", 1.0, REJECT, "same"),
        ("array", np.array([v]), REJECT, "same"),
        ("callable", _returns_none, REJECT, "same"),
    ]


def _choice_variants(v):
    out = [
        ("np.str_", np.str_(v), ACCEPT, "same"),
        ("unknown", "bogus", REJECT, "same"),
        ("empty", "", REJECT, "same"),
        ("None", None, REJECT, "same"),
        ("int", 1, REJECT, "same"),
        ("list", [v], REJECT, "same"),
        ("array", np.array([v, v]), REJECT, "same"),
        ("callable", _returns_none, REJECT, "same"),
    ]
    for label, other in (("upper", v.upper()), ("lower", v.lower())):
        if other != v:
            out.append((label, other, REJECT, "same"))
    return out


def _rng_variants(v):
    from lecturekit.rng import default_rng

    return [
        ("other-seed", default_rng(1), EITHER, "same"),
        ("None", None, REJECT, "same"),
        ("int", 0, REJECT, "same"),
        ("RandomState", np.random.RandomState(0), REJECT, "same"),
        ("string", "rng", REJECT, "same"),
        ("callable", _returns_none, REJECT, "same"),
    ]


def _ints_variants(v):
    kind = type(v)
    out = [
        ("list" if kind is tuple else "tuple", list(v) if kind is tuple else tuple(v), ACCEPT,
         "same"),
        ("np.int64-entries", kind(np.int64(e) for e in v), ACCEPT, "same"),
        ("string", "abc", REJECT, "same"),
        ("None", None, REJECT, "same"),
        ("callable", _returns_none, REJECT, "same"),
        ("float", 1.5, REJECT, "same"),
        ("nested", kind([tuple(v)]), REJECT, "same"),
        ("empty", kind(), EITHER, "ndim"),
    ]
    if v:
        for label, e, exp in (("entry-1", -1, EITHER), ("entry0", 0, EITHER),
                              ("entry-float", 2.5, REJECT), ("entry-bool", True, REJECT),
                              ("entry-string", "a", REJECT), ("entry-None", None, REJECT),
                              ("entry-nan", math.nan, REJECT)):
            out.append((label, kind([e, *v[1:]]), exp, "ndim"))
        out.append(("shorter", kind(v[:-1]), EITHER, "ndim"))
        out.append(("longer", kind([*v, v[-1]]), EITHER, "ndim"))
    return out


def _arrays_variants(v, free):
    """Variants of a list of arrays: of the list itself, and of its first item."""
    kind = type(v)
    out = [
        ("tuple" if kind is list else "list", tuple(v) if kind is list else list(v), ACCEPT,
         "same"),
        ("string", "abc", REJECT, "same"),
        ("None", None, REJECT, "same"),
        ("callable", _returns_none, REJECT, "same"),
        ("shorter", kind(v[:-1]), EITHER, "rule"),
        ("longer", kind([*v, v[-1]]), EITHER, "rule"),
    ]
    for label, item, exp, shapes in _array_variants(v[0], free, labels=False):
        if label != "list":
            out.append((f"[0]:{label}", kind([item, *v[1:]]), exp, shapes))
    return out


def _object_variants(v):
    return [
        ("None", None, REJECT, "same"),
        ("string", "abc", REJECT, "same"),
        ("float", 1.0, REJECT, "same"),
        ("object", object(), REJECT, "same"),
        ("list", [1, 2], REJECT, "same"),
    ]


def _fn_variants(v):
    return [
        ("None", None, REJECT, "same"),
        ("string", "abc", REJECT, "same"),
        ("float", 1.0, REJECT, "same"),
        ("returns-None", _returns_none, REJECT, "same"),
        ("returns-string", lambda *a, **k: "abc", REJECT, "same"),
        ("returns-nan", lambda *a, **k: math.nan, REJECT, "same"),
    ]


def _path_variants(v):
    return [
        ("missing", "/nonexistent/lecturekit-file", REJECT, "same"),
        ("directory", str(PACKAGE), REJECT, "same"),
        ("int", 1, REJECT, "same"),
        ("list", [str(v)], REJECT, "same"),
        ("callable", _returns_none, REJECT, "same"),
    ]


def _label_variants(v):
    return [
        ("None", None, REJECT, "same"),
        ("int", 1, REJECT, "same"),
        ("callable", _returns_none, REJECT, "same"),
    ]


VARIANTS = {
    "array": lambda v, free: _array_variants(np.asarray(v), free, labels=False),
    "labels": lambda v, free: _array_variants(np.asarray(v), free, labels=True),
    "arrays": lambda v, free: _arrays_variants(v, free),
    "real": lambda v, free: _real_variants(v, "real"),
    "rate": lambda v, free: _real_variants(v, "rate"),
    "int": lambda v, free: _int_variants(v),
    "flag": lambda v, free: _flag_variants(v),
    "choice": lambda v, free: _choice_variants(v),
    "rng": lambda v, free: _rng_variants(v),
    "ints": lambda v, free: _ints_variants(v),
    "fn": lambda v, free: _fn_variants(v),
    "object": lambda v, free: _object_variants(v),
    "path": lambda v, free: _path_variants(v),
    "label": lambda v, free: _label_variants(v),
    "none": lambda v, free: [],
}


def variants(case, name, value):
    """``(label, value, expectation, shapes, mention)`` for every variant of argument ``name``."""
    kind = case.kinds.get(name) or _infer_kind(value)
    out = VARIANTS[kind](value, case.free.get(name, ()))
    result = []
    for label, new, exp, shapes in out:
        if label == "None" and name in case.optional:  # the default: it may size the result
            exp, shapes = EITHER, "ndim"
        if label in case.accept.get(name, ()):
            exp = ACCEPT if exp == REJECT else exp
            shapes = "rule" if case.shape else shapes
        if label in case.reject.get(name, ()):
            exp = REJECT
        result.append((label, new, exp, shapes, name))
    for item in case.extra:
        arg, label, make, exp = item[:4]
        if arg == name:
            mention = item[4] if len(item) > 4 else name
            result.append((label, make(), exp, "rule" if case.shape else "ndim", mention))
    return result


def variant_list(case):
    example = case.args()
    return [(name, *v) for name, value in example.items() if name not in case.fixed
            for v in variants(case, name, value)]


# ---------------------------------------------------------------- running a variant


def _leaves(value, path="out", depth=0):
    """(path, leaf) pairs of a result: arrays, numbers, strings, None, and objects' fields.

    A generator's first items, a schedule's curve over 200 steps and a returned kernel's
    values on [-3, 3] count as part of the result: they must be finite too.
    """
    if depth > 4:
        return
    if isinstance(value, np.ndarray):
        yield path, value
    elif isinstance(value, (numbers.Number, str, bytes, type(None), np.generic)):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, f"{path}[{k!r}]", depth + 1)
    elif isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            yield from _leaves(v, f"{path}[{i}]", depth + 1)
    elif isinstance(value, types.GeneratorType):
        for i, v in enumerate(itertools.islice(value, 4)):
            yield from _leaves(v, f"{path}<{i}>", depth + 1)
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            yield from _leaves(getattr(value, f.name), f"{path}.{f.name}", depth + 1)
    elif type(value).__module__.startswith("lecturekit"):
        if type(value).__name__ == "Schedule":
            yield from _leaves(value(np.arange(200.0)), f"{path}(t)", depth + 1)
        for k, v in vars(value).items():
            if not callable(v):
                yield from _leaves(v, f"{path}.{k}", depth + 1)
    elif callable(value):  # a kernel returned by activation_kernels
        yield from _leaves(value(np.linspace(-3.0, 3.0, 7)), f"{path}(z)", depth + 1)
    else:
        yield path, type(value).__name__


def _shape(leaf):
    """An array's shape, () for a number, the type's name for anything else (None for None)."""
    if isinstance(leaf, str):
        return "str"
    if isinstance(leaf, np.ndarray):
        return leaf.shape
    if isinstance(leaf, (numbers.Number, np.generic)):
        return ()
    return None if leaf is None else type(leaf).__name__


def _same_shapes(a, b, key=lambda s: s):
    """The shapes agree path by path; None (an optional attribute left unset) matches anything."""
    return [p for p, _ in a] == [p for p, _ in b] and all(
        x is None or y is None or key(x) == key(y) for (_, x), (_, y) in zip(a, b, strict=True))


def _nonfinite(leaves):
    for path, leaf in leaves:
        if isinstance(leaf, np.ndarray) and leaf.dtype.kind in "fc":
            if not np.all(np.isfinite(leaf)):
                return path
        elif isinstance(leaf, (float, complex, np.floating, np.complexfloating)):
            if not np.isfinite(leaf):
                return path
    return None


def _equal(a, b):
    if [p for p, _ in a] != [p for p, _ in b]:
        return False
    for (_, la), (_, lb) in zip(a, b, strict=True):
        if isinstance(la, np.ndarray) or isinstance(lb, np.ndarray):
            if not (np.shape(la) == np.shape(lb) and np.array_equal(la, lb, equal_nan=True)):
                return False
        elif isinstance(la, (numbers.Number, np.generic)) and not (la == lb or (la != la and lb != lb)):
            return False
    return True


def _raise_site(exc):
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    filename = Path(tb.tb_frame.f_code.co_filename).resolve()
    return filename, linecache.getline(str(filename), tb.tb_lineno).strip()


def run(case, kwargs):
    """``("raised", exc)``, ``("other", exc)`` or ``("returned", leaves)``; warnings are errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            result = case.call(**kwargs)
            leaves = list(_leaves(result))
            for name in case.inplace:
                leaves += list(_leaves(kwargs[name], name))
        except case.verdicts as exc:
            return "verdict", exc
        except case.errors as exc:
            return "raised", exc
        except Exception as exc:  # any other type, a warning turned error included
            return "other", exc
    return "returned", leaves


def _rank(shape):
    return len(shape) if isinstance(shape, tuple) else shape


def check_variant(case, base, name, label, value, expectation, shapes_mode, mention):
    """None if the variant behaved, else a one-line description of what went wrong."""
    kwargs = case.args()
    kwargs[name] = value
    outcome, detail = run(case, kwargs)
    where = f"{name}={label}"
    if outcome == "verdict":
        return None
    if outcome == "other":
        filename, line = _raise_site(detail)
        return f"{where}: {type(detail).__name__} {str(detail)[:160]!r} at {filename.name}: {line}"
    if outcome == "raised":
        if expectation == ACCEPT:
            return f"{where}: a legitimate input was refused: {type(detail).__name__}: {detail}"
        filename, line = _raise_site(detail)
        if PACKAGE not in filename.parents or not line.startswith("raise"):
            return (f"{where}: {type(detail).__name__} {str(detail)[:160]!r} raised in "
                    f"{filename.name}: {line}")
        if not re.search(rf"(?<![\w.]){re.escape(mention)}(?!\w)", str(detail)):
            return f"{where}: the message does not name {mention}: {str(detail)[:220]!r}"
        return None
    leaves = detail
    if expectation == REJECT:
        return f"{where}: a malformed input was accepted"
    allowed = case.nonfinite_ok is True or (name, label) in (case.nonfinite_ok or ())
    bad = None if allowed else _nonfinite(leaves)
    if bad:
        return f"{where}: a non-finite result at {bad}"
    shapes = [(p, _shape(leaf)) for p, leaf in leaves]
    if shapes_mode == "rule" or (shapes_mode == "ndim" and case.shape is not None):
        if case.shape is None:
            return f"{where}: an input of another shape was accepted, and the case has no shape rule"
        want = [tuple(s) for s in case.shape(kwargs)]
        got = [s for _, s in shapes if isinstance(s, tuple)]
        if got[:len(want)] != want:
            return f"{where}: result shapes {got}, the rule says {want}"
        return None
    if shapes_mode == "ndim":
        if not _same_shapes(shapes, base["shapes"], _rank):
            return f"{where}: result structure {shapes}, the example's {base['shapes']}"
        return None
    if not _same_shapes(shapes, base["shapes"]):
        return f"{where}: result shapes {shapes}, the example's {base['shapes']}"
    if label in EXACT and not _equal(leaves, base["leaves"]):
        return f"{where}: the same numbers in another container gave another result"
    return None


def run_case(case, known=None):
    """Every variant of ``case``: (number of calls, failures, known failures that passed).

    ``known`` maps ``(case, arg, label)`` to a reason: such a variant is expected to fail.
    """
    known = known or {}
    outcome, detail = run(case, case.args())
    if outcome != "returned":
        raise AssertionError(f"{case.name}: the example itself fails") from detail
    bad = None if case.nonfinite_ok is True else _nonfinite(detail)
    assert bad is None, f"{case.name}: the example's result is not finite at {bad}"
    base = {"leaves": detail, "shapes": [(p, _shape(leaf)) for p, leaf in detail]}
    calls = variant_list(case)
    failures, fixed = [], []
    for v in calls:
        problem = check_variant(case, base, *v)
        if (case.name, v[0], v[1]) in known:
            if not problem:
                fixed.append(f"{v[0]}={v[1]}: listed in KNOWN_FAILURES, but it behaves now")
        elif problem:
            failures.append(problem)
    return len(calls), failures, fixed


# ---------------------------------------------------------------- the table

from lecturekit import (  # noqa: E402
    activations,
    catalog,
    check,
    conv,
    conv_matrix,
    conv_steps,
    datasets,
    display,
    dropout,
    experiments,
    filters,
    gradcheck,
    init,
    losses,
    models,
    norm,
    notes,
    objectives,
    optim,
    paths,
    pool,
    propagation,
    regularization,
    resnet,
    rng,
    rnn,
    schedules,
    train,
    transforms,
)


def R(seed=0):
    return rng.default_rng(seed)


def A(*shape, seed=0, scale=1.0, shift=0.0):
    return np.random.default_rng(seed).normal(size=shape) * scale + shift


def P(*shape, seed=0):
    """Positive entries (standard deviations, variances, scales)."""
    return np.abs(A(*shape, seed=seed)) + 0.5


def method(name):
    return lambda self, **kw: getattr(self, name)(**kw)


def same_as(*args):
    """Shape rule: the result's arrays have the shapes of these arguments."""
    return lambda k: [np.shape(k[a]) for a in args]


CASES = []


def case(name, call, args, **kw):
    CASES.append(Case(name, call, args, **kw))


# The results that are plain records of numbers, with no computation of their own.
RECORDS = {
    "datasets.Digits": "a NamedTuple of the split, made by load_digits",
    "objectives.MinibatchGradientStats": "a NamedTuple made by minibatch_gradient_stats",
    "resnet.GradientNorms": "a NamedTuple made by gradient_norms_by_depth",
    "train.History": "a dataclass of lists, filled by train",
    "propagation.SignalStats": "a record made by signal_propagation",
    "optim.Optimizer": "the abstract base class: constructing it raises TypeError "
                       "(test_optimizer_base_class_is_abstract); its methods are in the table "
                       "through every subclass",
    "check.CheckFailed": "the exception a check raises for a wrong answer (an AssertionError "
                         "with the diagnosis), made by the checks; tests/test_check.py tests it",
    "conv_steps.ConvSteps": "a frozen dataclass of the numbers conv_steps computes, made by "
                            "conv_steps; its method filled is in the table",
    "conv_steps.MultiChannelSteps": "a frozen dataclass made by multichannel_conv_steps",
    "conv_steps.ReceptiveFieldPattern": "a frozen dataclass made by receptive_field_gradient",
}

# ---- activations

ELEMENTWISE = dict(free={"x": (0, 1)}, accept={"x": ("ndim+1", "ndim-1", "empty")},
                   shape=same_as("x"))
for fname in ("sigmoid", "tanh", "relu"):
    case(f"activations.{fname}", getattr(activations, fname), lambda: {"x": A(3, 4)},
         **ELEMENTWISE)
    case(f"activations.{fname}_backward", getattr(activations, f"{fname}_backward"),
         lambda: {"dout": A(3, 4), "x": A(3, 4, seed=1)})
case("activations.leaky_relu", activations.leaky_relu,
     lambda: {"x": A(3, 4), "negative_slope": 0.1}, **ELEMENTWISE)
case("activations.leaky_relu_backward", activations.leaky_relu_backward,
     lambda: {"dout": A(3, 4), "x": A(3, 4, seed=1), "negative_slope": 0.1})
case("activations.softmax", activations.softmax, lambda: {"x": A(3, 4), "axis": -1},
     **ELEMENTWISE, extra=[("axis", "out-of-range", lambda: 2, REJECT),
                           ("axis", "below-range", lambda: -3, REJECT)])
case("activations.softmax#huge", activations.softmax,
     lambda: {"x": np.array([[1.7e308, -1.7e308], [1e300, 0.0]]), "axis": 1},
     free={"x": (0, 1)}, accept={"x": ("ndim+1", "empty")}, shape=same_as("x"))
case("activations.softmax_backward", activations.softmax_backward,
     lambda: {"dout": A(3, 4), "x": A(3, 4, seed=1), "axis": 0},
     extra=[("axis", "out-of-range", lambda: 2, REJECT)])
case("activations.activation_kernels", activations.activation_kernels,
     lambda: {"name": "leaky_relu", "negative_slope": 0.1})

# ---- catalog

CATALOG = catalog.load_catalog()
case("catalog.load_catalog", catalog.load_catalog, lambda: {"path": str(paths.data_path("catalog.toml"))},
     kinds={"path": "path"}, optional=("path",), errors=(ValueError, TypeError, FileNotFoundError),
     extra=[("path", "not-toml", lambda: str(paths.data_path("digits/digits.csv.gz")), REJECT)])
case("catalog.catalog_markdown", catalog.catalog_markdown,
     lambda: {"entries": [dict(e) for e in CATALOG[:3]], "lecture": CATALOG[0]["lecture"]},
     kinds={"entries": "object"}, optional=("entries", "lecture"),
     extra=[("entries", "[{}]", lambda: [{}], REJECT),
            ("entries", "no-latex", lambda: [{k: v for k, v in CATALOG[0].items() if k != "latex"}],
             REJECT),
            ("entries", "latex-int", lambda: [{**CATALOG[0], "latex": 1}], REJECT),
            ("entries", "[1]", lambda: [1], REJECT),
            ("entries", "empty", lambda: [], EITHER)],
     shape=lambda k: [])

# ---- check: each check called with a correct answer (written as the docstrings' examples); a
# wrong answer, one that raises or returns garbage, is the check's verdict (CheckFailed), and
# anything but a function is a TypeError naming fn


def _check_solutions():
    import math as _math

    from lecturekit.conv import correlate2d as _corr2d
    from lecturekit.conv_matrix import conv_matrix as _conv_matrix
    from lecturekit.norm import batch_norm_backward as _bn_backward
    from lecturekit.pool import max_pool2d_backward as _max_pool_backward
    from lecturekit.resnet import residual_block_backward as _residual_backward
    from lecturekit.rnn import lstm_step as _lstm_step
    from lecturekit.rnn import rnn_step_backward as _rnn_step_backward

    def bn_channels(x, gamma, beta, eps=1e-5):
        mu, var = x.mean((0, 2, 3), keepdims=True), x.var((0, 2, 3), keepdims=True)
        return gamma[:, None, None] * (x - mu) / np.sqrt(var + eps) + beta[:, None, None]

    def momentum_step(w, mu, g, lr, gamma):
        mu = gamma * mu - lr * g
        return w + mu, mu

    def adam_step(w, m, v, g, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v

    def dropout_keep(x, p, rng, training=True):
        if not training:
            return p * x, None
        r = (rng.random(x.shape) < p).astype(float)
        return r * x, r

    def bptt_two_steps(dh2, x1, x2, h0, w):
        b = np.zeros(w.shape[0])
        h1 = np.tanh(np.concatenate([x1, h0], 1) @ w.T)
        _, dh1, dw2, _ = _rnn_step_backward(dh2, x2, h1, w, b)
        return dw2 + _rnn_step_backward(dh1, x1, h0, w, b)[2]

    return {
        "l2_penalty_grad": lambda theta, lam: lam * theta,
        "dropout_classic": lambda a, y, p, training: a * y if training else (1 - p) * a,
        "dropout_inverted": lambda a, y, p, training: a * y / (1 - p) if training else a,
        "xavier_variance": lambda shape: 2 / ((shape[0] + shape[1]) * _math.prod(shape[2:])),
        "he_normal": lambda shape, rng: rng.normal(
            0.0, np.sqrt(2 / (shape[1] * _math.prod(shape[2:]))), size=shape),
        "batch_norm_forward": lambda x, gamma, beta, eps=1e-5:
            gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + eps) + beta,
        "batch_norm_channels": bn_channels,
        "batch_norm_backward": lambda dout, x, gamma, eps=1e-5: _bn_backward(dout, x, gamma, eps=eps),
        "batch_norm_channels_backward": lambda dout, x, gamma, eps=1e-5:
            _bn_backward(dout, x, gamma, eps=eps),
        "conv_matrix_3x3": lambda k: _conv_matrix((3, 3), k),
        "max_pool_backward": lambda dout, x: _max_pool_backward(dout[None, None], x[None, None], 2)[0, 0],
        "momentum_step": momentum_step,
        "adam_step": adam_step,
        "conv1d": lambda x, w: np.convolve(x, w),
        "correlate2d": lambda I, K: _corr2d(I, K, "valid"),  # noqa: E741
        "conv_output_size": lambda W, F, P, S: (W - F + 2 * P) // S + 1,
        "dropout_keep": dropout_keep,
        "rnn_step": lambda x, h, w: np.tanh(np.concatenate([x, h], 1) @ w.T),
        "bptt_two_steps": bptt_two_steps,
        "lstm_step": _lstm_step,
        "residual_block_backward": lambda *args: _residual_backward(*args)[0],
    }


CHECK_SOLUTIONS = _check_solutions()
for exercise in (n for names in check.EXERCISES.values() for n in names):
    case(f"check.{exercise}", getattr(check, exercise),
         lambda exercise=exercise: {"fn": CHECK_SOLUTIONS[exercise]}, kinds={"fn": "fn"},
         verdicts=(check.CheckFailed,))

# ---- conv

case("conv.conv_output_size", conv.conv_output_size,
     lambda: {"n": 7, "kernel": 3, "stride": 2, "padding": 1, "dilation": 1, "exact": False},
     extra=[("kernel", "too-large", lambda: 20, REJECT)])
case("conv.conv_transpose_output_size", conv.conv_transpose_output_size,
     lambda: {"n": 4, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1, "dilation": 1},
     extra=[("output_padding", "too-large", lambda: 2, REJECT),
            ("padding", "too-large", lambda: 9, REJECT)])
case("conv.receptive_field", conv.receptive_field,
     lambda: {"kernel_sizes": [3, 3], "strides": [2, 1], "dilations": [1, 2]},
     optional=("strides", "dilations"))
for fname in ("conv1d", "correlate1d"):
    case(f"conv.{fname}", getattr(conv, fname), lambda: {"x": A(5), "w": A(3, seed=1), "mode": "full"},
         free={"x": (0,), "w": (0,)})
    case(f"conv.{fname}#valid", getattr(conv, fname),
         lambda: {"x": A(5), "w": A(3, seed=1), "mode": "valid"}, free={"x": (0,), "w": (0,)},
         extra=[("w", "longer-than-x", lambda: A(7), REJECT)])
for fname in ("convolve2d", "correlate2d"):
    case(f"conv.{fname}", getattr(conv, fname), lambda: {"I": A(4, 5), "K": A(2, 3, seed=1), "mode": "same"},
         free={"I": (0, 1), "K": (0, 1)})
CONV = lambda: {"x": A(2, 3, 5, 5), "w": A(4, 3, 3, 3, seed=1), "b": A(4, seed=2), "stride": 1,  # noqa
                "padding": 1, "dilation": 1}
case("conv.conv2d", conv.conv2d, CONV, free={"x": (0, 2, 3), "w": (2, 3)}, optional=("b",),
     kinds={"padding": "int"}, extra=[("padding", "same", lambda: "same", EITHER),
                                      ("padding", "unknown", lambda: "full", REJECT),
                                      ("stride", "pair", lambda: (1, 2), EITHER),
                                      ("stride", "triple", lambda: (1, 2, 1), REJECT),
                                      ("dilation", "too-large", lambda: 4, REJECT)])
case("conv.conv2d_reference", conv.conv2d_reference,
     lambda: {"x": A(1, 2, 4, 4), "w": A(2, 2, 3, 3, seed=1), "b": A(2), "stride": 1, "padding": 1,
              "dilation": 1},
     free={"x": (0, 2, 3), "w": (2, 3)}, optional=("b",))
case("conv.conv2d_backward", conv.conv2d_backward,
     lambda: {"dout": A(2, 4, 5, 5), "x": A(2, 3, 5, 5, seed=1), "w": A(4, 3, 3, 3, seed=2),
              "stride": 1, "padding": 1, "dilation": 1})
case("conv.conv_transpose2d", conv.conv_transpose2d,
     lambda: {"x": A(2, 3, 3, 3), "w": A(3, 2, 3, 3, seed=1), "b": A(2, seed=2), "stride": 2,
              "padding": 1, "output_padding": 1, "dilation": 1},
     free={"x": (0, 2, 3), "w": (2, 3)}, optional=("b",))
case("conv.conv_transpose2d_backward", conv.conv_transpose2d_backward,
     lambda: {"dout": A(2, 2, 6, 6), "x": A(2, 3, 3, 3, seed=1), "w": A(3, 2, 3, 3, seed=2),
              "stride": 2, "padding": 1, "output_padding": 1, "dilation": 1})
for fname in ("lecture4_example_1d", "lecture3_example_image"):
    case(f"conv.{fname}", getattr(conv, fname), dict)
case("conv.lecture4_example_2d", conv.lecture4_example_2d, dict, nonfinite_ok=True)

# ---- conv_matrix

case("conv_matrix.conv_matrix_pattern", conv_matrix.conv_matrix_pattern,
     lambda: {"input_shape": (3, 3), "kernel_shape": (2, 2), "stride": 1, "padding": 0, "dilation": 1})
case("conv_matrix.conv_matrix", conv_matrix.conv_matrix,
     lambda: {"input_shape": (3, 3), "kernel": A(2, 2), "stride": 1, "padding": 1, "dilation": 1},
     free={"kernel": (0, 1)})
case("conv_matrix.conv_matrix_kernel_grad", conv_matrix.conv_matrix_kernel_grad,
     lambda: {"dK": A(4, 9), "input_shape": (3, 3), "kernel_shape": (2, 2), "stride": 1,
              "padding": 0, "dilation": 1})
case("conv_matrix.lecture3_example_conv_matrix", conv_matrix.lecture3_example_conv_matrix, dict)

# ---- conv_steps

case("conv_steps.conv_steps", conv_steps.conv_steps,
     lambda: {"x": A(5), "w": A(3, seed=1), "flip": True, "stride": 2, "padding": 1},
     free={"x": (0,), "w": (0,)},
     extra=[("w", "longer-than-padded-x", lambda: A(8, seed=1), REJECT),
            ("w", "2-D", lambda: A(3, 3, seed=1), REJECT)])
case("conv_steps.conv_steps#2d", conv_steps.conv_steps,
     lambda: {"x": A(4, 5), "w": A(2, 3, seed=1), "flip": False, "stride": 1, "padding": 1},
     free={"x": (0, 1), "w": (0, 1)},
     extra=[("w", "taller-than-padded-x", lambda: A(7, 3, seed=1), REJECT),
            ("stride", "2", lambda: 2, EITHER)])
case("conv_steps.ConvSteps.filled", method("filled"),
     lambda: {"self": conv_steps.conv_steps(A(5), A(3, seed=1)), "step": 1}, fixed=("self",),
     nonfinite_ok=True,  # NaN marks the outputs not yet computed, as documented
     extra=[("step", "past-the-end", lambda: 3, REJECT), ("step", "last", lambda: 2, EITHER)])
case("conv_steps.multichannel_conv_steps", conv_steps.multichannel_conv_steps,
     lambda: {"x": A(2, 4, 4), "w": A(3, 2, 2, 2, seed=1), "b": A(3, seed=2), "stride": 1,
              "padding": 1},
     free={"x": (1, 2), "w": (2, 3)}, optional=("b",),
     extra=[("w", "larger-than-padded-x", lambda: A(3, 2, 7, 7, seed=1), REJECT)])


def _receptive_field_sides(k):
    """The shapes of receptive_field_gradient's grads: n_{l-1} = S_l (n_l - 1) + d_l (F_l - 1) + 1."""
    ks = list(k["kernel_sizes"])
    ss = [1] * len(ks) if k.get("strides") is None else list(k["strides"])
    ds = [1] * len(ks) if k.get("dilations") is None else list(k["dilations"])
    sizes = [k["outputs"]]
    for f, s, d in zip(ks[::-1], ss[::-1], ds[::-1], strict=True):
        sizes.insert(0, s * (sizes[0] - 1) + d * (f - 1) + 1)
    return [(n, n) for n in sizes]


case("conv_steps.receptive_field_gradient", conv_steps.receptive_field_gradient,
     lambda: {"kernel_sizes": [3, 3], "strides": [2, 1], "dilations": [1, 2], "outputs": 2,
              "position": (1, 1)},
     optional=("strides", "dilations"), shape=_receptive_field_sides,
     extra=[("position", "outside", lambda: (2, 0), REJECT),
            ("position", "string-pair", lambda: "ab", REJECT)])

# ---- datasets

DIGITS = str(paths.data_path(datasets.DIGITS_FILE))
FILE_ERRORS = (ValueError, TypeError, FileNotFoundError)
case("datasets.sha256", datasets.sha256, lambda: {"path": DIGITS}, kinds={"path": "path"},
     errors=FILE_ERRORS)
case("datasets.check_sha256", datasets.check_sha256,
     lambda: {"path": DIGITS, "expected": datasets.DIGITS_SHA256}, kinds={"path": "path"},
     errors=FILE_ERRORS)
case("datasets.load_digits", datasets.load_digits,
     lambda: {"test_fraction": 0.2, "split_seed": 3, "path": DIGITS}, kinds={"path": "path"},
     optional=("path",), errors=FILE_ERRORS)

# ---- display

case("display.show", display.show, lambda: {"a": A(3), "decimals": 3}, nonfinite_ok=True,
     free={"a": (0,)}, accept={"a": ("ndim+1", "ndim-1", "empty", "nan", "inf", "-inf")},
     shape=lambda k: [()] if np.ndim(k["a"]) == 0 else [])

# ---- dropout

case("dropout.dropout", dropout.dropout,
     lambda: {"a": A(3, 4), "drop_prob": 0.5, "mode": "inverted", "training": True, "rng": R()},
     kinds={"drop_prob": "real"}, free={"a": (0, 1)}, accept={"a": ("ndim+1", "ndim-1", "empty")},
     shape=same_as("a", "a"))
case("dropout.dropout#keep_prob", dropout.dropout,
     lambda: {"a": A(3, 4), "keep_prob": 0.8, "mode": "classic", "training": False, "rng": R()},
     free={"a": (0, 1)}, optional=("rng",), accept={"a": ("ndim+1", "ndim-1", "empty")},
     shape=same_as("a"))
DROP_MASK = (np.random.default_rng(5).random((3, 4)) < 0.5).astype(float)
case("dropout.dropout_backward", dropout.dropout_backward,
     lambda: {"dout": A(3, 4), "mask": DROP_MASK.copy(), "drop_prob": 0.5, "mode": "classic",
              "training": True},
     extra=[("mask", "not-0-1", lambda: np.full((3, 4), 0.5), REJECT)])
case("dropout.dropout_backward#test", dropout.dropout_backward,
     lambda: {"dout": A(3, 4), "mask": None, "keep_prob": 0.5, "mode": "classic", "training": False},
     free={"dout": (0, 1)}, accept={"dout": ("ndim+1", "ndim-1", "empty")}, shape=same_as("dout"))

# ---- experiments: the smallest runs (20 images, 1 epoch, 4 hidden units), cached per setting,
# so that the variants that are accepted each cost a few milliseconds

SMALL_RUN = {"n_train": 20, "epochs": 1, "hidden": 4, "batch_size": 10, "seed": 1}
SETTING = lambda: {"model": "mlp", "depth": 1, "batch_norm": False, "keep_prob": 1.0,  # noqa: E731
                   "input_keep_prob": 1.0, "weight_decay": 0.0, "init": "kaiming_normal",
                   "optimizer": "sgd", "lr": 0.1, "schedule": "constant", **SMALL_RUN}
# A step or a penalty of 1e300 diverges at once: the curves are NaN after the divergence and
# diverged is True, as digits_run documents.
DIVERGES = (("lr", "huge"), ("weight_decay", "huge"))
case("experiments.digits", experiments.digits, dict)
case("experiments.run_cache_size", experiments.run_cache_size, dict)
case("experiments.make_optimizer", experiments.make_optimizer,
     lambda: {"name": "momentum", "lr": 0.1, "schedule": "step", "steps_per_epoch": 10, "epochs": 2,
              "weight_decay": 0.01}, shape=lambda k: [])
case("experiments.make_optimizer#cosine", experiments.make_optimizer,
     lambda: {"name": "adam", "lr": 0.01, "schedule": "cosine", "steps_per_epoch": 3, "epochs": 2},
     fixed=("name", "lr", "weight_decay"), shape=lambda k: [])
case("experiments.digits_run", experiments.digits_run, lambda: {**SETTING(), "cached": True},
     nonfinite_ok=DIVERGES,
     extra=[("n_train", "above-the-training-set", lambda: 10**6, REJECT),
            ("n_train", "leaves-one-for-bn", lambda: 21, EITHER),
            ("model", "lenet", lambda: "lenet", EITHER),
            ("optimizer", "adam", lambda: "adam", EITHER),
            ("schedule", "cosine", lambda: "cosine", EITHER)])
case("experiments.digits_run#bn", experiments.digits_run,
     lambda: {**SMALL_RUN, "batch_norm": True}, fixed=("epochs", "hidden", "seed"),
     extra=[("n_train", "a-last-batch-of-one", lambda: 21, REJECT),
            ("batch_size", "a-last-batch-of-one", lambda: 19, REJECT),
            ("n_train", "a-last-batch-of-two", lambda: 22, EITHER)])
case("experiments.digits_run#progress", experiments.digits_run,
     lambda: {**SMALL_RUN, "progress": _returns_none, "cached": False}, fixed=tuple(SMALL_RUN),
     optional=("progress",), accept={"progress": ("returns-None", "returns-string", "returns-nan")},
     kinds={"progress": "fn"})


def _runs_shapes(k, runs=1):
    """The shapes of digits_runs' result (``runs`` of them in a row): S seeds, E epochs."""
    seeds, epochs = len(k["seeds"]), k["epochs"]
    one = [()] * seeds + [(seeds,), (seeds,)] + [(seeds, epochs + 1), (epochs + 1,)] * 4 + [(epochs + 1,)]
    return one * runs


NO_SEED = {k: v for k, v in SMALL_RUN.items() if k != "seed"}  # digits_runs takes seeds
case("experiments.digits_runs", experiments.digits_runs, lambda: {"seeds": (0, 1), **NO_SEED},
     shape=_runs_shapes, nonfinite_ok=DIVERGES, extra=[("seeds", "range", lambda: range(2), EITHER),
                                   ("seeds", "array", lambda: np.array([0, 1]), EITHER),
                                   ("seeds", "2-D-array", lambda: np.zeros((1, 2), int), REJECT)])
case("experiments.is_cached", experiments.is_cached, SETTING,
     extra=[("n_train", "above-the-training-set", lambda: 10**6, REJECT)])
case("experiments.store_run", experiments.store_run,
     lambda: {"result": experiments.digits_run(**SMALL_RUN)}, kinds={"result": "object"},
     extra=[("result", "no-curves", lambda: {"setting": dict(SMALL_RUN)}, REJECT),
            ("result", "unknown-setting", lambda: {**experiments.digits_run(**SMALL_RUN),
                                                   "setting": {"bogus": 1}}, REJECT),
            ("result", "invalid-setting", lambda: {**experiments.digits_run(**SMALL_RUN),
                                                   "setting": {**SMALL_RUN, "n_train": 0}}, REJECT),
            ("result", "setting-not-a-dict", lambda: {**experiments.digits_run(**SMALL_RUN),
                                                      "setting": [1]}, REJECT)])


class _Queue:
    """What train_in_process needs of a multiprocessing queue: put; the messages kept in order."""

    def __init__(self):
        self.messages = []

    def put(self, message):
        self.messages.append(message)


def _train_in_process(settings, queue):
    """train_in_process in this process, at its priority (os.nice cannot be undone); its messages."""
    with mock.patch.object(os, "nice", lambda increment: 0):
        experiments.train_in_process(settings, queue)
    return queue.messages


case("experiments.train_in_process", _train_in_process,
     lambda: {"settings": [dict(SMALL_RUN)], "queue": _Queue()},
     kinds={"settings": "object", "queue": "object"}, shape=lambda k: [],
     extra=[("settings", "invalid-setting", lambda: [{**SMALL_RUN, "n_train": 1}], REJECT),
            ("settings", "unknown-setting", lambda: [{"bogus": 1}], REJECT),
            ("settings", "a-dict", lambda: dict(SMALL_RUN), REJECT),
            ("settings", "empty", lambda: [], EITHER),
            ("queue", "no-put", lambda: types.SimpleNamespace(put=1), REJECT)])
SMALL_EXPERIMENT = {"seeds": (0,), "n_train": 20, "epochs": 1}
case("experiments.regularisation_gap", experiments.regularisation_gap,
     lambda: {**SMALL_EXPERIMENT, "weight_decay": 0.01, "keep_prob": 0.5, "lr": 0.1},
     shape=lambda k: _runs_shapes(k, runs=3), nonfinite_ok=DIVERGES)
case("experiments.keep_probabilities", experiments.keep_probabilities,
     lambda: {**SMALL_EXPERIMENT, "pairs": ((1.0, 1.0), (0.8, 0.5)), "lr": 0.1, "hidden": 4},
     kinds={"pairs": "object"}, nonfinite_ok=DIVERGES, shape=lambda k: [],
     extra=[("pairs", "out-of-range", lambda: ((1.0, 1.5),), REJECT),
            ("pairs", "zero", lambda: ((0.0, 0.5),), REJECT),
            ("pairs", "not-pairs", lambda: ((1.0,),), REJECT),
            ("pairs", "string", lambda: (("a", "b"),), REJECT),
            ("pairs", "nan", lambda: ((math.nan, 0.5),), REJECT),
            ("pairs", "empty", lambda: (), REJECT),
            ("pairs", "one", lambda: [(0.5, 0.5)], EITHER)])
# The runs are keyed by the rates, so lrs is varied as a whole (kind object) and by hand. A rate
# of 1e300 diverges at once: its final loss is inf, as bn_learning_rates documents.
case("experiments.bn_learning_rates", experiments.bn_learning_rates,
     lambda: {**SMALL_EXPERIMENT, "lrs": (0.1, 1.0), "depth": 1, "hidden": 4},
     kinds={"lrs": "object"}, accept={"lrs": ("list",)}, nonfinite_ok=(("lrs", "1e300"),),
     shape=lambda k: [(len(k["lrs"]),)] + _runs_shapes(k, runs=2 * len(k["lrs"]))
     + [(len(k["seeds"]), len(k["lrs"]))] * 2,
     extra=[("lrs", "array", lambda: np.array([0.1, 1.0]), EITHER),
            ("lrs", "one", lambda: [0.3], EITHER),
            ("lrs", "1e300", lambda: (0.1, 1e300), EITHER),
            ("lrs", "tiny", lambda: (1e-300, 1.0), EITHER),
            ("lrs", "zero", lambda: (0.0, 1.0), REJECT),
            ("lrs", "negative", lambda: (-0.1, 1.0), REJECT),
            ("lrs", "nan", lambda: (math.nan, 1.0), REJECT),
            ("lrs", "inf", lambda: (0.1, math.inf), REJECT),
            ("lrs", "repeated", lambda: (1.0, 1.0), REJECT),
            ("lrs", "strings", lambda: ("0.1", "1"), REJECT),
            ("lrs", "2-D", lambda: ((0.1, 1.0),), REJECT),
            ("lrs", "empty", lambda: (), REJECT),
            ("lrs", "ragged", lambda: (0.1, (1.0, 2.0)), REJECT),
            ("lrs", "complex", lambda: (0.1, 1j), REJECT)])
case("experiments.init_depth", experiments.init_depth,
     lambda: {**SMALL_EXPERIMENT, "inits": ("kaiming_normal", "zeros"), "depth": 2, "hidden": 4,
              "lr": 0.01},
     kinds={"inits": "object"}, nonfinite_ok=DIVERGES, shape=lambda k: [],
     extra=[("inits", "unknown", lambda: ("bogus",), REJECT),
            ("inits", "empty", lambda: (), REJECT),
            ("inits", "one-name", lambda: "zeros", REJECT),
            ("inits", "list", lambda: ["xavier_normal"], EITHER)])
LSQ = lambda: {"x": A(5, scale=3.0), "y": A(5, seed=1), "steps": 20, "rng": R(), "w0": 0.5}  # noqa
case("experiments.sgd_least_squares", experiments.sgd_least_squares,
     lambda: {"schedule": 0.1, **LSQ()}, kinds={"schedule": "rate"}, free={"x": (0,), "y": (0,)},
     extra=[("schedule", "diverging", lambda: 1e100, REJECT),
            ("x", "longer", lambda: A(6), REJECT)])
case("experiments.sgd_least_squares#schedule", experiments.sgd_least_squares,
     lambda: {"schedule": schedules.inverse_time_decay(0.1, k=0.1), **LSQ()},
     fixed=tuple(LSQ()), kinds={"schedule": "object"}, accept={"schedule": ("float",)},
     extra=[("schedule", "factory", lambda: schedules.cosine_decay, REJECT),
            ("schedule", "formula", lambda: (lambda t: 0.1 + 0 * t), REJECT)])

# ---- filters

for fname in ("sobel_x", "sobel_y", "prewitt_x", "prewitt_y", "sharpen"):
    case(f"filters.{fname}", getattr(filters, fname), dict)
case("filters.laplacian", filters.laplacian, lambda: {"neighbours": 8})
case("filters.box", filters.box, lambda: {"n": 3})
case("filters.gaussian", filters.gaussian, lambda: {"n": 5, "sigma": 1.0},
     extra=[("sigma", "1e-200", lambda: 1e-200, EITHER), ("sigma", "subnormal", lambda: 5e-324, EITHER)])
case("filters.gaussian#even", filters.gaussian, lambda: {"n": 4, "sigma": 0.7},
     extra=[("sigma", "0.01", lambda: 0.01, EITHER), ("sigma", "1e-200", lambda: 1e-200, EITHER)])
case("filters.identity", filters.identity, lambda: {"n": 3},
     extra=[("n", "even", lambda: 4, REJECT)])
case("filters.gradient_magnitude", filters.gradient_magnitude,
     lambda: {"image": A(6, 7), "kind": "prewitt", "mode": "same"}, free={"image": (0, 1)})
case("filters.sample_image", filters.sample_image, lambda: {"step": 8},
     extra=[("step", "1000", lambda: 1000, REJECT)])

# ---- gradcheck

SINES = lambda x: float(np.sum(np.sin(x)))  # noqa: E731  (finite for any finite x)
case("gradcheck.numerical_gradient", gradcheck.numerical_gradient,
     lambda: {"f": SINES, "arrays": [A(3)], "h": 1e-6, "names": ["x"]},
     kinds={"names": "object"}, optional=("names",), free={"arrays": (0,)},
     accept={"arrays": ("[0]:ndim+1", "[0]:ndim-1", "[0]:empty")},
     shape=lambda k: [np.shape(a) for a in k["arrays"]] if isinstance(k["arrays"], (list, tuple)) else [],
     reject={"arrays": ("shorter", "longer")})
case("gradcheck.rel_error", gradcheck.rel_error, lambda: {"a": A(3, 2), "b": A(3, 2, seed=1)})
GC = lambda: {"f": SINES, "arrays": [A(3)], "grads": [np.cos(A(3))], "h": 1e-6,  # noqa: E731
              "names": ["x"]}
case("gradcheck.gradcheck", gradcheck.gradcheck, GC, kinds={"names": "object"}, optional=("names",))
case("gradcheck.assert_gradcheck", gradcheck.assert_gradcheck,
     lambda: {**GC(), "tol": 1e-6}, kinds={"names": "object"}, optional=("names",),
     verdicts=(AssertionError,))

# ---- init

SHAPE = (4, 3, 3, 3)
AS_SHAPE = dict(shape=lambda k: [tuple(k["shape"])])  # the weight has the shape asked for
case("init.calculate_fans", init.calculate_fans, lambda: {"shape": SHAPE}, shape=lambda k: [])
case("init.calculate_gain", init.calculate_gain, lambda: {"nonlinearity": "leaky_relu", "param": 0.2},
     optional=("param",))
case("init.zeros", init.zeros, lambda: {"shape": (3, 4)}, **AS_SHAPE)
case("init.constant", init.constant, lambda: {"shape": (3, 4), "value": 0.5}, **AS_SHAPE)
case("init.normal", init.normal, lambda: {"shape": (3, 4), "std": 0.5, "rng": R(), "mean": 0.1}, **AS_SHAPE)
case("init.uniform", init.uniform, lambda: {"shape": (3, 4), "a": -0.5, "b": 1.0, "rng": R()}, **AS_SHAPE)
for fname in ("lecun_normal", "lecun_uniform"):
    case(f"init.{fname}", getattr(init, fname), lambda: {"shape": SHAPE, "rng": R()}, **AS_SHAPE)
for fname in ("xavier_normal", "xavier_uniform"):
    case(f"init.{fname}", getattr(init, fname), lambda: {"shape": SHAPE, "gain": 1.5, "rng": R()},
         **AS_SHAPE)
for fname in ("kaiming_normal", "kaiming_uniform"):
    case(f"init.{fname}", getattr(init, fname),
         lambda: {"shape": SHAPE, "a": 0.1, "mode": "fan_out", "nonlinearity": "leaky_relu", "rng": R()},
         **AS_SHAPE)
for init_name, extra_args in (("kaiming_normal", {"negative_slope": 0.2, "activation": "leaky_relu"}),
                              ("xavier_uniform", {"gain": 1.5}), ("normal", {"std": 0.3})):
    case(f"init.weight_variance#{init_name}", init.weight_variance,
         lambda init_name=init_name, extra_args=extra_args: {"init": init_name, "shape": (3, 4), **extra_args,
                                                             "mode": "fan_avg"}, shape=lambda k: [])
    case(f"init.initialize#{init_name}", init.initialize,
         lambda init_name=init_name, extra_args=extra_args: {"init": init_name, "shape": (3, 4), "rng": R(),
                                                             **extra_args}, **AS_SHAPE)
case("init.initialize#constant", init.initialize,
     lambda: {"init": "constant", "shape": (3, 4), "rng": R(), "value": 0.3}, **AS_SHAPE)

# ---- losses

case("losses.mse_loss", losses.mse_loss, lambda: {"y_pred": A(3, 4), "y": A(3, 4, seed=1)})
case("losses.mse_loss_backward", losses.mse_loss_backward,
     lambda: {"dout": 1.0, "y_pred": A(3, 4), "y": A(3, 4, seed=1)})
LABELS = np.array([0, 2, 1, 0])
case("losses.softmax_cross_entropy", losses.softmax_cross_entropy,
     lambda: {"logits": A(4, 3), "labels": LABELS.copy()}, free={"logits": (1,)},
     extra=[("labels", "out-of-range", lambda: np.array([0, 3, 1, 0]), REJECT)])
case("losses.softmax_cross_entropy#huge", losses.softmax_cross_entropy,
     lambda: {"logits": np.array([[1.7e308, -1.7e308]]), "labels": np.array([0])},
     free={"logits": (1,)})
case("losses.softmax_cross_entropy_backward", losses.softmax_cross_entropy_backward,
     lambda: {"dout": 1.0, "logits": A(4, 3), "labels": LABELS.copy()}, free={"logits": (1,)})

# ---- models

case("models.dense", models.dense, lambda: {"x": A(2, 3), "w": A(4, 3, seed=1), "b": A(4, seed=2)},
     free={"x": (0,)}, accept={"x": ("empty",)},
     shape=lambda k: [(np.shape(k["x"])[0], 4)])
case("models.dense_backward", models.dense_backward,
     lambda: {"dout": A(2, 4), "x": A(2, 3, seed=1), "w": A(4, 3, seed=2), "b": A(4, seed=3)})
case("models.count_parameters", models.count_parameters,
     lambda: {"model": {"w": A(3, 4), "b": (3,)}},
     extra=[("model", "bad-shapes", lambda: {"w": (3, -4), "b": "abc"}, REJECT),
            ("model", "float-shape", lambda: {"w": (3, 4.5)}, REJECT),
            ("model", "ragged", lambda: {"w": [[1.0, 2.0], [3.0]]}, REJECT),
            ("model", "None-value", lambda: {"w": None}, REJECT),
            ("model", "empty", lambda: {}, EITHER),
            ("model", "a-model", lambda: models.MLP((4, 3, 2), rng=R()), EITHER)],
     shape=lambda k: [])
case("models.mlp_parameter_shapes", models.mlp_parameter_shapes, lambda: {"sizes": (4, 3, 2)},
     shape=lambda k: [])
case("models.vgg_parameter_count", models.vgg_parameter_count,
     lambda: {"depth": 11, "classes": 10, "image_size": 32, "batch_norm": True},
     extra=[("depth", "12", lambda: 12, REJECT)], shape=lambda k: [])
MLP_ARGS = lambda: {"sizes": (4, 5, 3), "rng": R(), "activation": "tanh"}  # noqa: E731
case("models.MLP", models.MLP, MLP_ARGS, shape=lambda k: [])


def _mlp():
    return models.MLP((4, 5, 3), rng=R(), activation="tanh")


def _forward(model, x):
    return model.forward(x)


case("models.MLP.forward", method("forward"), lambda: {"self": _mlp(), "x": A(2, 4)}, fixed=("self",),
     free={"x": (0,)}, extra=[("x", "images", lambda: A(2, 1, 2, 2), EITHER)],
     shape=lambda k: [(np.shape(k["x"])[0], 3)])
case("models.MLP.backward", method("backward"),
     lambda: {"self": (m := _mlp()), "dlogits": A(2, 3), "cache": m.forward(A(2, 4, seed=1))[1]},
     fixed=("self",), kinds={"cache": "object"},
     extra=[("cache", "other-batch", lambda: _mlp().forward(A(5, 4))[1], REJECT),
            ("cache", "truncated", lambda: _mlp().forward(A(2, 4))[1][:1], REJECT),
            ("cache", "other-model", lambda: models.MLP((4, 6, 3), rng=R()).forward(A(2, 4))[1],
             REJECT)])
case("models.MLP.predict", method("predict"), lambda: {"self": _mlp(), "x": A(2, 4)}, fixed=("self",),
     free={"x": (0,)})
case("models.MLP.count_parameters", method("count_parameters"), lambda: {"self": _mlp()},
     fixed=("self",))
LENET = lambda: {"rng": R(), "in_channels": 1, "image_size": 8, "channels": (3, 4), "hidden": 5,  # noqa
                 "classes": 3, "kernel_size": 3, "pool": "avg"}
case("models.LeNet", models.LeNet, LENET, shape=lambda k: [])


def _lenet():
    return models.LeNet(**LENET())


case("models.LeNet.forward", method("forward"), lambda: {"self": _lenet(), "x": A(2, 1, 8, 8)},
     fixed=("self",), free={"x": (0,)})
case("models.LeNet.backward", method("backward"),
     lambda: {"self": (m := _lenet()), "dlogits": A(2, 3), "cache": m.forward(A(2, 1, 8, 8, seed=1))[1]},
     fixed=("self",), kinds={"cache": "object"},
     extra=[("cache", "other-batch", lambda: _lenet().forward(A(3, 1, 8, 8))[1], REJECT),
            ("cache", "truncated", lambda: _lenet().forward(A(2, 1, 8, 8))[1][:3], REJECT)])
case("models.LeNet.predict", method("predict"), lambda: {"self": _lenet(), "x": A(2, 1, 8, 8)},
     fixed=("self",), free={"x": (0,)})
case("models.LeNet.count_parameters", method("count_parameters"), lambda: {"self": _lenet()},
     fixed=("self",))

# ---- norm

case("norm.norm_axes", norm.norm_axes, lambda: {"kind": "instance", "layout": "NHWC"})
case("norm.normalize", norm.normalize, lambda: {"x": A(3, 4), "axes": 0, "eps": 1e-5},
     free={"x": (0, 1)}, accept={"x": ("ndim+1", "ndim-1")}, shape=same_as("x"),
     extra=[("axes", "tuple", lambda: (0, 1), EITHER), ("axes", "repeated", lambda: (0, 0), REJECT),
            ("axes", "out-of-range", lambda: 5, REJECT), ("axes", "empty", lambda: (), REJECT)])
case("norm.normalize#huge", norm.normalize,
     lambda: {"x": np.array([[1e200], [-1e200]]), "axes": 0, "eps": 1e-5}, free={"x": (0, 1)},
     accept={"x": ("ndim+1", "ndim-1")}, shape=same_as("x"))
case("norm.normalize_backward", norm.normalize_backward,
     lambda: {"dout": A(3, 4), "x": A(3, 4, seed=1), "axes": (0,), "eps": 1e-5})
case("norm.batch_stats", norm.batch_stats, lambda: {"x": A(4, 3), "layout": "ND"}, free={"x": (0, 1)},
     optional=("layout",))
BN = lambda: {"x": A(4, 3), "gamma": P(3, seed=1), "beta": A(3, seed=2), "eps": 1e-5, "layout": "ND"}  # noqa
case("norm.batch_norm", norm.batch_norm, BN, free={"x": (0,)}, optional=("layout",))
case("norm.batch_norm#huge", norm.batch_norm,
     lambda: {"x": np.array([[1e200], [-1e200]]), "gamma": np.ones(1), "beta": np.zeros(1)},
     free={"x": (0,)})
case("norm.batch_norm#images", norm.batch_norm,
     lambda: {"x": A(2, 3, 2, 2), "gamma": P(3), "beta": A(3), "eps": 1e-5, "layout": "NCHW"},
     free={"x": (0, 2, 3)}, optional=("layout",))
RUNNING = lambda: {"running_mean": A(3, seed=3), "running_var": P(3, seed=4)}  # noqa: E731
case("norm.batch_norm#eval", norm.batch_norm, lambda: {**BN(), **RUNNING()}, free={"x": (0,)},
     optional=("layout",), accept={"x": ("empty",)}, shape=same_as("x"),
     extra=[("running_var", "negative", lambda: -P(3), REJECT)])
case("norm.batch_norm_backward", norm.batch_norm_backward,
     lambda: {"dout": A(4, 3), **{k: v for k, v in BN().items() if k != "beta"}},
     optional=("layout",))
case("norm.batch_norm_backward#eval", norm.batch_norm_backward,
     lambda: {"dout": A(4, 3), **{k: v for k, v in BN().items() if k != "beta"}, **RUNNING()},
     optional=("layout",), extra=[("running_var", "negative", lambda: -P(3), REJECT)])
case("norm.batch_norm_backward_graph", norm.batch_norm_backward_graph,
     lambda: {"dout": A(4, 3), **{k: v for k, v in BN().items() if k != "beta"}},
     optional=("layout",))
case("norm.BatchNorm", norm.BatchNorm,
     lambda: {"num_features": 3, "eps": 1e-5, "momentum": 0.1, "layout": "ND"}, optional=("layout",))


def _bn(trained=False):
    bn = norm.BatchNorm(3, layout="ND")
    if trained:
        bn.forward(A(4, 3, seed=9))
    return bn


case("norm.BatchNorm.train", method("train"), lambda: {"self": _bn(), "mode": False}, fixed=("self",))
case("norm.BatchNorm.eval", method("eval"), lambda: {"self": _bn()}, fixed=("self",))
case("norm.BatchNorm.forward", method("forward"), lambda: {"self": _bn(), "x": A(4, 3)}, fixed=("self",),
     free={"x": (0,)})
case("norm.BatchNorm.forward#eval", method("forward"), lambda: {"self": _bn(True).eval(), "x": A(4, 3)},
     fixed=("self",), free={"x": (0,)}, accept={"x": ("empty",)}, shape=same_as("x"))
case("norm.BatchNorm.backward", method("backward"), lambda: {"self": _bn(True), "dout": A(4, 3)},
     fixed=("self",))
LN = lambda: {"x": A(2, 3, 4), "gamma": P(3, 4, seed=1), "beta": A(3, 4, seed=2), "eps": 1e-5}  # noqa
case("norm.layer_norm", norm.layer_norm, LN, free={"x": (0,)}, accept={"x": ("empty",)},
     shape=same_as("x"))
case("norm.layer_norm#axes", norm.layer_norm, lambda: {**LN(), "gamma": P(4), "beta": A(4), "axes": (-1,)},
     free={"x": (0, 1)}, accept={"x": ("empty",)}, shape=same_as("x"),
     extra=[("axes", "batch", lambda: (0,), REJECT)])
case("norm.layer_norm#huge", norm.layer_norm,
     lambda: {"x": np.array([[1e200, -1e200]]), "gamma": np.ones(2), "beta": np.zeros(2)},
     free={"x": (0,)}, accept={"x": ("empty",)}, shape=same_as("x"))
case("norm.layer_norm_backward", norm.layer_norm_backward,
     lambda: {"dout": A(2, 3, 4), **{k: v for k, v in LN().items() if k != "beta"}})
IN = lambda: {"x": A(2, 3, 4, 4), "gamma": P(3, seed=1), "beta": A(3, seed=2), "eps": 1e-5,  # noqa
              "layout": "NCHW"}
case("norm.instance_norm", norm.instance_norm, IN, free={"x": (0, 2, 3)}, optional=("layout",),
     accept={"x": ("empty",)}, shape=same_as("x"))
case("norm.instance_norm_backward", norm.instance_norm_backward,
     lambda: {"dout": A(2, 3, 4, 4), **{k: v for k, v in IN().items() if k != "beta"}},
     optional=("layout",))

# ---- notes (lecturekit.notes belongs to another issue: listed here so that it cannot skip the table)

case("notes.notes_dir", notes.notes_dir, dict)
case("notes.lecture_path", notes.lecture_path, lambda: {"name": "004_16411a88f2dc5004.txt"},
     errors=FILE_ERRORS)
case("notes.main", notes.main, lambda: {"argv": None})  # argv is not read: nothing to vary

# ---- objectives

DATA1 = lambda: {"x": A(5), "y": A(5, seed=1)}  # noqa: E731
case("objectives.least_squares", objectives.least_squares, lambda: {"w": 0.5, **DATA1()},
     kinds={"w": "real"}, accept={"w": ("array", "bool")}, shape=lambda k: [np.shape(k["w"])] * 2)
case("objectives.least_squares#grid", objectives.least_squares, lambda: {"w": A(3, seed=7), **DATA1()},
     free={"w": (0,)}, accept={"w": ("ndim+1", "ndim-1", "empty")}, shape=lambda k: [np.shape(k["w"])] * 2)
case("objectives.least_squares_per_sample_grads", objectives.least_squares_per_sample_grads,
     lambda: {"w": 0.5, **DATA1()})
case("objectives.least_squares_smoothness", objectives.least_squares_smoothness, lambda: {"x": A(5)},
     free={"x": (0,)})
case("objectives.least_squares_minimizer", objectives.least_squares_minimizer,
     lambda: {"x": A(5, scale=3.0), "y": A(5, seed=1)})
case("objectives.make_least_squares", objectives.make_least_squares,
     lambda: {"n": 5, "rng": R(), "w_true": 2.0, "noise": 0.5})
# Far out a surface's value is inf, as documented: run_side_by_side stops a diverging run there.
FAR_OUT = (("w", "huge"), ("w", "-huge"), ("a", "huge"), ("a", "-huge"), ("b", "huge"))
SURFACE = dict(free={"w": (0,)}, accept={"w": ("ndim+1",)}, nonfinite_ok=FAR_OUT,
               shape=lambda k: [np.shape(k["w"])[:-1], np.shape(k["w"])])
case("objectives.quadratic", objectives.quadratic, lambda: {"w": A(2), "a": 1.0, "b": 10.0}, **SURFACE)
case("objectives.rosenbrock", objectives.rosenbrock, lambda: {"w": A(2), "a": 1.0, "b": 100.0}, **SURFACE)
case("objectives.himmelblau", objectives.himmelblau, lambda: {"w": A(2)}, **SURFACE)
OFFSETS = lambda: A(4, 2, seed=3) - A(4, 2, seed=3).mean(axis=0)  # noqa: E731
case("objectives.NoisyFiniteSum", objectives.NoisyFiniteSum,
     lambda: {"func": objectives.quadratic, "offsets": OFFSETS()}, free={"offsets": (0, 1)},
     kinds={"func": "object"}, shape=lambda k: [])  # func is called only later: grad() checks it


def _nfs(func=objectives.quadratic):
    return objectives.NoisyFiniteSum(func, OFFSETS())


case("objectives.NoisyFiniteSum.minibatch_noise", method("minibatch_noise"),
     lambda: {"self": _nfs(), "idx": np.array([0, 2])}, fixed=("self",), free={"idx": (0,)},
     extra=[("idx", "too-large", lambda: np.array([0, 4]), REJECT)])
case("objectives.NoisyFiniteSum.grad", method("grad"),
     lambda: {"self": _nfs(), "w": A(2), "idx": np.array([1, 3])}, optional=("idx",),
     free={"idx": (0,)}, accept={"w": ("ndim+1",)}, shape=same_as("w"),
     extra=[("self", "func-returns-None", lambda: _nfs(_returns_none), REJECT, "func"),
            ("self", "func-returns-nan", lambda: _nfs(lambda w: (math.nan, w * math.nan)), EITHER, "func"),
            ("self", "func-wrong-shape", lambda: _nfs(lambda w: (0.0, np.zeros(3))), REJECT, "func")],
     kinds={"self": "none"}, nonfinite_ok=(("self", "func-returns-nan"), *FAR_OUT))
case("objectives.noisy_finite_sum", objectives.noisy_finite_sum,
     lambda: {"func": objectives.rosenbrock, "n_samples": 4, "noise": 1.0, "rng": R(), "dim": 2},
     kinds={"func": "object"}, accept={"func": ()})
PSG = lambda: {"per_sample_grads": A(6), "batch_size": 3, "replace": False}  # noqa: E731
case("objectives.minibatch_gradient_variance", objectives.minibatch_gradient_variance, PSG,
     free={"per_sample_grads": (0,)}, extra=[("batch_size", "above-N", lambda: 7, REJECT)])
case("objectives.minibatch_gradient_variance#2d", objectives.minibatch_gradient_variance,
     lambda: {**PSG(), "per_sample_grads": A(6, 2), "replace": True}, free={"per_sample_grads": (0, 1)},
     accept={"per_sample_grads": ("ndim-1",)}, shape=lambda k: [np.shape(k["per_sample_grads"])[1:]])
case("objectives.minibatch_gradient_stats", objectives.minibatch_gradient_stats,
     lambda: {**PSG(), "rng": R(), "n_draws": 20}, free={"per_sample_grads": (0,)},
     extra=[("n_draws", "1", lambda: 1, REJECT)])
case("objectives.reparameterize", objectives.reparameterize,
     lambda: {"mu": A(3), "sigma": P(3), "rng": R()},
     accept={"mu": ("ndim+1", "ndim-1"), "sigma": ("ndim+1", "ndim-1")},
     shape=lambda k: [np.broadcast_shapes(np.shape(k["mu"]), np.shape(k["sigma"]))] * 2)
case("objectives.reparameterize_backward", objectives.reparameterize_backward,
     lambda: {"dout": A(3), "mu": A(3, seed=1), "sigma": P(3, seed=2), "eps": A(3, seed=3)},
     extra=[("mu", "broadcast", lambda: A(1), EITHER), ("sigma", "scalar", lambda: 2.0, EITHER)],
     shape=lambda k: [np.shape(k["mu"]), np.shape(k["sigma"])])

# ---- optim

OPTIMIZERS = {
    "GD": lambda: {"lr": 0.1, "weight_decay": 0.01},
    "SGD": lambda: {"lr": 0.1, "weight_decay": 0.0},
    "Momentum": lambda: {"lr": 0.1, "gamma": 0.9, "weight_decay": 0.01},
    "Nesterov": lambda: {"lr": 0.1, "gamma": 0.5, "weight_decay": 0.0},
    "MomentumPyTorch": lambda: {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01},
    "Adam": lambda: {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01},
    "AdamW": lambda: {"lr": 0.1, "beta1": 0.8, "beta2": 0.99, "eps": 1e-8, "weight_decay": 0.01},
}
STEP = dict(fixed=("self",), inplace=("params",), free={"params": (0, 1), "grads": ()},
            reject={"params": ("[0]:int", "[0]:bool", "[0]:ndim+1", "[0]:ndim-1", "[0]:empty")})


def _stepped(cls):
    """Make the optimiser and take one step: a schedule is called, and so checked, at a step."""
    def call(**kwargs):
        opt = cls(**kwargs)
        opt.step([np.zeros(2)], [np.ones(2)])
        return opt
    return call


for oname, make in OPTIMIZERS.items():
    cls = getattr(optim, oname)
    case(f"optim.{oname}", _stepped(cls), make, kinds={"lr": "rate", "gamma": "rate"},
         shape=lambda k: [])
    case(f"optim.{oname}.step" if oname != "GD" else "optim.Optimizer.step", method("step"),
         lambda cls=cls, make=make: {"self": cls(**make()), "params": [A(3), A(2, 2, seed=1)],
                                     "grads": [A(3, seed=2), A(2, 2, seed=3)]}, **STEP)
case("optim.Momentum#schedule", _stepped(optim.Momentum),
     lambda: {"lr": schedules.cosine_decay(0.1, steps=5), "gamma": schedules.linear_ramp(0.5, 0.9, steps=3)},
     kinds={"lr": "object", "gamma": "object"}, accept={"lr": ("float",)},
     extra=[("lr", "factory", lambda: schedules.cosine_decay, REJECT),
            ("lr", "returns-negative", lambda: (lambda t: -1.0), REJECT),
            ("gamma", "returns-1.5", lambda: (lambda t: 1.5), REJECT)],
     shape=lambda k: [])
case("optim.Optimizer.current_lr", method("current_lr"),
     lambda: {"self": optim.SGD(lr=schedules.step_decay(0.1, every=2))}, fixed=("self",))
case("optim.Optimizer.reset", method("reset"), lambda: {"self": optim.Adam(0.1)}, fixed=("self",))
case("optim.minibatch_indices", optim.minibatch_indices,
     lambda: {"n": 5, "batch_size": 2, "rng": R(), "epochs": 2, "drop_last": True},
     optional=("epochs",), extra=[("batch_size", "above-n", lambda: 6, REJECT)],
     shape=lambda k: [])
GRAD = lambda w: 2 * np.asarray(w)  # noqa: E731
case("optim.trajectory", optim.trajectory,
     lambda: {"optimizer": optim.Momentum(0.1), "grad": GRAD, "w0": A(2), "steps": 3},
     free={"w0": (0,)}, accept={"w0": ("ndim+1", "ndim-1", "empty")},
     shape=lambda k: [(k["steps"] + 1,) + np.shape(k["w0"])],
     extra=[("grad", "wrong-shape", lambda: (lambda w: np.zeros(3)), REJECT)])
case("optim.run_side_by_side", optim.run_side_by_side,
     lambda: {"optimizers": [optim.GD(0.1), optim.Adam(0.1)], "grad": GRAD, "w0": A(2), "steps": 3,
              "box": (-5.0, 5.0), "noise": None},
     kinds={"optimizers": "object", "box": "object"}, optional=("box",), free={"w0": (0,)},
     extra=[("optimizers", "empty", lambda: [], REJECT),
            ("optimizers", "not-an-optimizer", lambda: [optim.GD(0.1), "abc"], REJECT),
            ("box", "lo>hi", lambda: (5.0, -5.0), REJECT),
            ("box", "w0-outside", lambda: (3.0, 5.0), REJECT),
            ("box", "nan", lambda: (math.nan, 5.0), REJECT),
            ("noise", "not-iterators", lambda: [1.0, None], REJECT),
            ("noise", "wrong-length", lambda: [None], REJECT),
            ("noise", "nan-noise", lambda: [itertools.repeat(np.array([math.nan, 0.0])), None], EITHER),
            ("grad", "wrong-shape", lambda: (lambda w: np.zeros(3)), REJECT)],
     shape=lambda k: [(k["steps"] + 1, 2, len(k["w0"]))])

# the mechanisms: momentum's rate map, its weights, Adam's moments
BROADCAST_LR_GAMMA = lambda k: [np.broadcast_shapes(np.shape(k["lr"]), np.shape(k["gamma"]))]  # noqa
case("optim.heavy_ball_rate", optim.heavy_ball_rate,
     lambda: {"lr": 0.1, "gamma": 0.5, "eigenvalues": P(4)}, free={"eigenvalues": (0,)},
     accept={"lr": ("array",), "gamma": ("array",)}, shape=BROADCAST_LR_GAMMA,
     extra=[("eigenvalues", "negative", lambda: -P(4), REJECT),
            ("lr", "overflowing", lambda: 1e300, EITHER)])
case("optim.heavy_ball_rate#grid", optim.heavy_ball_rate,
     lambda: {"lr": P(3, 1) * 0.1, "gamma": np.array([0.0, 0.5, 0.9]), "eigenvalues": P(4)},
     free={"lr": (0,), "gamma": (0,), "eigenvalues": (0,)},
     accept={"lr": ("ndim+1", "ndim-1", "empty"), "gamma": ("ndim+1", "ndim-1", "empty")},
     shape=BROADCAST_LR_GAMMA,
     extra=[("lr", "beyond-float64", lambda: np.full((3, 1), 1e300), EITHER),
            ("eigenvalues", "beyond-float64", lambda: np.full(4, 1e300), EITHER)])
case("optim.heavy_ball_rate#beyond-float64", optim.heavy_ball_rate,
     lambda: {"lr": 1e200, "gamma": 0.5, "eigenvalues": np.array([1.0, 1e10])},
     kinds={"lr": "none", "gamma": "none", "eigenvalues": "none"},
     extra=[("eigenvalues", "1e200", lambda: np.array([1.0, 1e200]), REJECT)])
case("optim.critical_momentum", optim.critical_momentum, lambda: {"lr": 0.25, "h": 1.0},
     accept={"lr": ("array",)}, shape=lambda k: [np.shape(k["lr"])],
     extra=[("lr", "above-4/h", lambda: 4.5, REJECT)])
case("optim.critical_momentum#grid", optim.critical_momentum, lambda: {"lr": P(2, 3), "h": 0.5},
     free={"lr": (0, 1)}, accept={"lr": ("ndim+1", "ndim-1", "empty")}, shape=same_as("lr"))
case("optim.heavy_ball_optimum", optim.heavy_ball_optimum, lambda: {"h_min": 1.0, "h_max": 9.0},
     extra=[("h_min", "subnormal", lambda: 5e-324, EITHER),
            ("h_max", "largest", lambda: 1.7e308, EITHER)])
case("optim.momentum_weights", optim.momentum_weights, lambda: {"gamma": 0.9, "k": 4})
case("optim.adam_moments", optim.adam_moments,
     lambda: {"grads": A(5, 3), "beta1": 0.9, "beta2": 0.999}, free={"grads": (0, 1)},
     accept={"grads": ("ndim+1", "ndim-1")}, shape=lambda k: [np.shape(k["grads"])] * 4,
     extra=[("grads", "1e200", lambda: np.full((2, 3), 1e200), EITHER),
            ("grads", "1e150", lambda: np.full((2, 3), 1e150), EITHER)])

# ---- paths

case("paths.data_dir", paths.data_dir, dict)
case("paths.data_path", paths.data_path, lambda: {"name": "catalog.toml"},
     errors=(ValueError, TypeError, FileNotFoundError))

# ---- pool

for fname in ("max_pool2d", "avg_pool2d", "max_pool2d_reference", "avg_pool2d_reference"):
    case(f"pool.{fname}", getattr(pool, fname),
         lambda: {"x": A(2, 3, 4, 4), "kernel_size": 2, "stride": 1, "padding": 1},
         free={"x": (0, 1, 2, 3)}, optional=("stride",),
         extra=[("kernel_size", "too-large", lambda: 9, REJECT),
                ("padding", "above-half", lambda: 2, REJECT)])
for fname in ("max_pool2d_backward", "avg_pool2d_backward"):
    case(f"pool.{fname}", getattr(pool, fname),
         lambda: {"dout": A(2, 3, 5, 5), "x": A(2, 3, 4, 4, seed=1), "kernel_size": 2, "stride": 1,
                  "padding": 1})

# ---- regularization

case("regularization.l2_penalty", regularization.l2_penalty, lambda: {"theta": A(3, 2), "lam": 0.1},
     free={"theta": (0, 1)}, accept={"theta": ("ndim+1", "ndim-1", "empty")}, shape=lambda k: [()])
case("regularization.l2_penalty#list", regularization.l2_penalty,
     lambda: {"theta": [A(3), A(2, 2, seed=1)], "lam": 0.1}, free={"theta": (0, 1)},
     accept={"theta": ("[0]:ndim+1", "[0]:ndim-1", "[0]:empty")}, shape=lambda k: [()])
case("regularization.l2_penalty_backward", regularization.l2_penalty_backward,
     lambda: {"dout": 1.0, "theta": [A(3), A(2, 2, seed=1)], "lam": 0.1}, free={"theta": (0, 1)},
     accept={"theta": ("[0]:ndim+1", "[0]:ndim-1", "[0]:empty")},
     shape=lambda k: [np.shape(t) for t in k["theta"]])
case("regularization.project_l2_ball", regularization.project_l2_ball,
     lambda: {"theta": A(3, 2), "eta": 0.5}, free={"theta": (0, 1)},
     accept={"theta": ("ndim+1", "ndim-1", "empty")}, shape=same_as("theta"))
RIDGE = lambda: {"X": A(5, 2), "y": A(5, seed=1)}  # noqa: E731
case("regularization.ridge_penalized", regularization.ridge_penalized, lambda: {**RIDGE(), "lam": 0.1},
     free={"X": (1,)})
case("regularization.ridge_penalized#lstsq", regularization.ridge_penalized, lambda: {**RIDGE(), "lam": 0.0},
     free={"X": (1,)})
case("regularization.ridge_eta_for_lambda", regularization.ridge_eta_for_lambda,
     lambda: {**RIDGE(), "lam": 0.1}, free={"X": (1,)})
case("regularization.ridge_lambda_for_eta", regularization.ridge_lambda_for_eta,
     lambda: {**RIDGE(), "eta": 0.05}, free={"X": (1,)}, nonfinite_ok=(("eta", "0"),))
case("regularization.ridge_constrained", regularization.ridge_constrained,
     lambda: {**RIDGE(), "eta": 0.05}, free={"X": (1,)})

# ---- resnet

RB = lambda: {"x": A(2, 3), "w1": A(4, 3, seed=1), "b1": A(4, seed=2), "w2": A(3, 4, seed=3),  # noqa
              "b2": A(3, seed=4)}
case("resnet.residual_block", resnet.residual_block, RB, free={"x": (0,)}, accept={"x": ("empty",)},
     shape=same_as("x"))
case("resnet.residual_block_backward", resnet.residual_block_backward,
     lambda: {"dout": A(2, 3, seed=5), **RB()})
CB = lambda: {"x": A(2, 2, 3, 3), "w": A(2, 2, 3, 3, seed=1), "gamma": P(2, seed=2), "beta": A(2, seed=3),  # noqa
              "eps": 1e-5}
case("resnet.conv_bn_relu", resnet.conv_bn_relu, CB, free={"x": (0, 2, 3)})
case("resnet.conv_bn_relu_backward", resnet.conv_bn_relu_backward,
     lambda: {"dout": A(2, 2, 3, 3, seed=5), **CB()})
case("resnet.residual_conv_block", resnet.residual_conv_block, CB, free={"x": (0, 2, 3)})
case("resnet.residual_conv_block_backward", resnet.residual_conv_block_backward,
     lambda: {"dout": A(2, 2, 3, 3, seed=5), **CB()})
case("resnet.gradient_norms_by_depth", resnet.gradient_norms_by_depth,
     lambda: {"depth": 3, "width": 4, "residual": True, "rng": R(), "activation": "relu",
              "init": "kaiming_normal", "batch_size": 2})

# ---- rng

case("rng.default_rng", rng.default_rng, lambda: {"seed": 3})
case("rng.check_rng", rng.check_rng, lambda: {"rng": R(), "name": "rng"}, kinds={"name": "label"})

# ---- rnn

STEP_ARGS = lambda: {"x": A(2, 3), "h_prev": A(2, 4, seed=1), "w": A(4, 7, seed=2), "b": A(4, seed=3)}  # noqa
case("rnn.rnn_step", rnn.rnn_step, lambda: {**STEP_ARGS(), "activation": "sigmoid"})
case("rnn.rnn_step_backward", rnn.rnn_step_backward,
     lambda: {"dh": A(2, 4, seed=4), **STEP_ARGS(), "activation": "relu"})
SEQ = lambda: {"xs": A(5, 2, 3), "h0": A(2, 4, seed=1), "w": A(4, 7, seed=2), "b": A(4, seed=3),  # noqa
               "v": A(2, 4, seed=4), "c": A(2, seed=5)}
case("rnn.rnn_forward", rnn.rnn_forward, lambda: {**SEQ(), "activation": "tanh"}, free={"xs": (0,)})
case("rnn.rnn_backward", rnn.rnn_backward, lambda: {"dys": A(5, 2, 2, seed=6), **SEQ(), "activation": "tanh"})
case("rnn.rnn_init", rnn.rnn_init,
     lambda: {"input_size": 3, "hidden_size": 4, "output_size": 2, "rng": R(), "spectral_radius": 0.9,
              "input_std": 0.5}, optional=("input_std",))
case("rnn.output_layer", rnn.output_layer,
     lambda: {"hs": A(5, 2, 4), "v": A(3, 4, seed=1), "c": A(3, seed=2)},
     free={"hs": (0, 1)}, accept={"hs": ("empty",)}, shape=lambda k: [np.shape(k["hs"])[:2] + (3,)])
case("rnn.recurrent_matrix", rnn.recurrent_matrix,
     lambda: {"hidden_size": 4, "spectral_radius": 0.9, "rng": R()})
case("rnn.hidden_state_jacobian_norms", rnn.hidden_state_jacobian_norms,
     lambda: {**{k: v for k, v in SEQ().items() if k not in "vc"}, "activation": "tanh"}, free={"xs": (0,)})
# Radius 2 at h = 0 (tanh' = 1): the norms are exactly 2^k, beyond float64 after k = 1023.
case("rnn.hidden_state_jacobian_norms#long", rnn.hidden_state_jacobian_norms,
     lambda: {"xs": np.zeros((1000, 1, 1)), "h0": np.zeros((1, 2)),
              "w": np.hstack([np.zeros((2, 1)), 2.0 * np.eye(2)]), "b": np.zeros(2), "activation": "tanh"},
     fixed=("h0", "w", "b", "activation"), kinds={"xs": "none"},  # the generic variants: in the case above
     extra=[("xs", "1023-steps", lambda: np.zeros((1023, 1, 1)), EITHER),
            ("xs", "1024-steps", lambda: np.zeros((1024, 1, 1)), REJECT),
            ("xs", "1100-steps", lambda: np.zeros((1100, 1, 1)), REJECT)],
     shape=lambda k: [(len(k["xs"]) + 1, 1)])
case("rnn.rnn_jacobian_norms", rnn.rnn_jacobian_norms,
     lambda: {"spectral_radius": 0.9, "steps": 5, "rng": R(), "input_scale": 1.0, "activation": "tanh",
              "hidden_size": 4, "input_size": 3, "batch_size": 2})
CELL = lambda: {"c_prev": A(2, 3), "f": P(2, 3, seed=1) / 3, "i": P(2, 3, seed=2) / 3, "delta_c": A(2, 3, seed=3)}  # noqa
case("rnn.cell_state_update", rnn.cell_state_update, CELL)
LSTM_STEP = lambda: {"x": A(2, 3), "h_prev": A(2, 4, seed=1), "c_prev": A(2, 4, seed=2), "w": A(16, 7, seed=3),  # noqa
                     "b": A(16, seed=4)}
case("rnn.lstm_step", rnn.lstm_step, LSTM_STEP)
case("rnn.lstm_step_backward", rnn.lstm_step_backward,
     lambda: {"dh": A(2, 4, seed=5), "dc": A(2, 4, seed=6), **LSTM_STEP()})
LSTM_SEQ = lambda: {"xs": A(5, 2, 3), "h0": A(2, 4, seed=1), "c0": A(2, 4, seed=2), "w": A(16, 7, seed=3),  # noqa
                    "b": A(16, seed=4)}
case("rnn.lstm_forward", rnn.lstm_forward, LSTM_SEQ, free={"xs": (0,)})
case("rnn.lstm_backward", rnn.lstm_backward, lambda: {"dhs": A(5, 2, 4, seed=5), **LSTM_SEQ()})
case("rnn.lstm_init", rnn.lstm_init,
     lambda: {"input_size": 3, "hidden_size": 4, "rng": R(), "forget_bias": 1.0})
case("rnn.lstm_weights_from_pytorch", rnn.lstm_weights_from_pytorch,
     lambda: {"weight_ih": A(16, 3), "weight_hh": A(16, 4, seed=1), "bias_ih": A(16, seed=2),
              "bias_hh": A(16, seed=3)}, free={"weight_ih": (1,)})
case("rnn.memory_retention", rnn.memory_retention,
     lambda: {"forget_bias": 1.0, "steps": 5, "rng": R(), "hidden_size": 4, "input_size": 3,
              "batch_size": 2, "weight_std": 0.5})

# ---- schedules

case("schedules.Schedule", schedules.Schedule,
     lambda: {"name": "custom", "formula": lambda t: 0.1 + 0 * t, "params": {"lr": 0.1}},
     kinds={"name": "label", "params": "object"}, shape=lambda k: [])
case("schedules.Schedule.__call__", lambda self, **kw: self(**kw),
     lambda: {"self": schedules.cosine_decay(0.1, steps=10), "t": np.arange(5.0)}, fixed=("self",),
     free={"t": (0,)}, accept={"t": ("ndim+1", "ndim-1", "empty")}, shape=same_as("t"),
     extra=[("t", "negative", lambda: np.array([-1.0, 2.0]), REJECT)])
case("schedules.constant", schedules.constant, lambda: {"lr": 0.1}, shape=lambda k: [])
case("schedules.step_decay", schedules.step_decay, lambda: {"lr": 0.1, "factor": 0.5, "every": 10},
     shape=lambda k: [])
case("schedules.exponential_decay", schedules.exponential_decay, lambda: {"lr": 0.1, "k": 0.01},
     shape=lambda k: [])
case("schedules.inverse_time_decay", schedules.inverse_time_decay, lambda: {"lr": 0.1, "k": 0.1},
     shape=lambda k: [])
case("schedules.cosine_decay", schedules.cosine_decay, lambda: {"lr": 0.1, "steps": 10, "floor": 0.01},
     shape=lambda k: [])
case("schedules.linear_warmup", schedules.linear_warmup,
     lambda: {"schedule": schedules.constant(0.1), "warmup_steps": 3}, kinds={"schedule": "fn"},
     shape=lambda k: [])
case("schedules.linear_ramp", schedules.linear_ramp, lambda: {"start": 0.5, "end": 0.9, "steps": 4},
     shape=lambda k: [])

# ---- train

TRAIN_X = A(6, 4, seed=11)
TRAIN_Y = np.array([0, 1, 0, 1, 1, 0])
case("train.evaluate", train.evaluate,
     lambda: {"model": _mlp(), "x": TRAIN_X.copy(), "y": TRAIN_Y.copy(), "batch_size": 4},
     extra=[("y", "out-of-range", lambda: np.array([0, 1, 0, 1, 3, 0]), REJECT)])
def _train(**kwargs):
    """train() with its wall times left out: they differ from run to run."""
    return dataclasses.replace(train.train(**kwargs), seconds=[])


case("train.train", _train,
     lambda: {"model": models.MLP((4, 3, 2), rng=R()), "data": (TRAIN_X.copy(), TRAIN_Y.copy()),
              "optimizer": optim.Adam(0.01), "epochs": 1, "batch_size": 3, "rng": R(), "progress": False},
     kinds={"progress": "flag"}, accept={"progress": ("callable",)},
     extra=[("data", "4-tuple", lambda: (TRAIN_X, TRAIN_Y, TRAIN_X[:2], TRAIN_Y[:2]), EITHER)],
     shape=lambda k: [])

# ---- transforms

case("transforms.warp", transforms.warp, lambda: {"img": A(5, 6), "angle": 30.0, "scale": 1.2},
     free={"img": (0, 1)}, accept={"img": ("empty",)}, shape=same_as("img"))

# ---- propagation (owned by another issue; kept in the table so that it cannot regress)

case("propagation.signal_propagation", propagation.signal_propagation,
     lambda: {"depth": 3, "width": 4, "init": "xavier_normal", "activation": "tanh", "batch_size": 8,
              "rng": R()})
case("propagation.expected_variances", propagation.expected_variances,
     lambda: {"width": 4, "weight_var": np.array([0.25, 0.25]), "activation": "tanh"},
     free={"weight_var": (0,)})

# Variants known to misbehave, (case, argument, variant) -> why; none now. The test expects
# each to fail, so that a fix shows up here as a line to delete, not silently.
KNOWN_FAILURES = {}


# ---------------------------------------------------------------- the tests

MODULES = sorted(name for name in lecturekit._SUBMODULES if name != "explore")


def _public_names(module):
    if hasattr(module, "__all__"):
        names = list(module.__all__)
    else:
        names = [n for n, o in vars(module).items()
                 if not n.startswith("_") and getattr(o, "__module__", None) == module.__name__]
    return [n for n in names if callable(getattr(module, n))]


def _public_methods(cls, module):
    """``(defining class name, method name)`` of every public method ``cls`` has from ``module``."""
    for base in inspect.getmro(cls):
        if base.__module__ == module.__name__:
            for n, o in vars(base).items():
                if not n.startswith("_") and inspect.isfunction(o):
                    yield base.__name__, n


def test_every_public_name_has_an_example():
    have = {c.public_name for c in CASES}
    missing = []
    for m in MODULES:
        module = importlib.import_module(f"lecturekit.{m}")
        for n in _public_names(module):
            obj = getattr(module, n)
            if f"{m}.{n}" not in RECORDS and f"{m}.{n}" not in have:
                missing.append(f"{m}.{n}")
            if inspect.isclass(obj) and f"{m}.{n}" not in RECORDS or n == "Optimizer":
                for owner, meth in _public_methods(obj, module):
                    if f"{m}.{n}.{meth}" not in have and f"{m}.{owner}.{meth}" not in have:
                        missing.append(f"{m}.{n}.{meth}")
    assert not missing, f"public names without a robustness example in CASES: {missing}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malformed_inputs_are_refused_clearly_or_give_finite_results(case):
    _, failures, fixed = run_case(case, KNOWN_FAILURES)
    assert not failures + fixed, (f"{case.name}: {len(failures + fixed)} variants misbehaved:\n"
                                  + "\n".join(failures + fixed))


def variant_counts():
    """The number of malformed calls per module."""
    counts = Counter()
    for c in CASES:
        counts[c.module] += len(variant_list(c))
    return counts


def test_the_table_makes_at_least_5000_malformed_calls():
    counts = variant_counts()
    assert sum(counts.values()) >= 5000, dict(counts)


# ---------------------------------------------------------------- the issue's reproducers, one test each


@pytest.fixture(autouse=False)
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.usefixtures("no_warnings")
@pytest.mark.parametrize("big", [1e200, 1e308])
def test_the_norms_of_huge_values_are_plus_minus_one(big):
    x = np.array([[big], [-big]])
    np.testing.assert_array_equal(norm.batch_norm(x, [1.0], [0.0]).ravel(), [1.0, -1.0])
    np.testing.assert_array_equal(norm.layer_norm(x.T, [1.0, 1.0], [0.0, 0.0]).ravel(), [1.0, -1.0])
    np.testing.assert_array_equal(norm.normalize(x, axes=0).ravel(), [1.0, -1.0])
    # the gradients too: dout = x_hat gives dx = 0 (the normalised output cannot grow along itself)
    for dx in (norm.batch_norm_backward([[1.0], [-1.0]], x, [1.0])[0],
               norm.batch_norm_backward_graph([[1.0], [-1.0]], x, [1.0])[0]):
        assert np.all(np.isfinite(dx)) and np.all(np.abs(dx) < 1e-150)
    # a channel of ordinary values beside the huge one keeps its ordinary result, to two ulps
    # (alone, its batch takes the sums of x and x², norm.ONE_PASS; beside it, x - mu)
    mixed = np.array([[big, 1.0], [-big, 3.0]])
    np.testing.assert_array_max_ulp(norm.batch_norm(mixed, [1.0, 1.0], [0.0, 0.0])[:, 1],
                                    norm.batch_norm(mixed[:, 1:], [1.0], [0.0])[:, 0], maxulp=2)
    with pytest.raises(ValueError, match="the batch variance of x overflows float64"):
        norm.batch_stats(x)  # sigma^2 = big^2 itself is beyond float64


@pytest.mark.usefixtures("no_warnings")
def test_adam_moves_a_huge_gradient_by_about_lr():
    w = np.zeros(2)
    opt = optim.Adam(lr=0.1)
    opt.step([w], [np.array([1e300, 1.0])])
    np.testing.assert_allclose(w, [-0.1, -0.1], rtol=1e-6)
    opt.step([w], [np.array([1e300, 1.0])])
    np.testing.assert_allclose(w, [-0.2, -0.2], rtol=1e-6)
    # the ordinary coordinate stepped exactly as it does without the huge one
    w1, opt1 = np.zeros(1), optim.Adam(lr=0.1)
    for _ in range(2):
        opt1.step([w1], [np.array([1.0])])
    assert w[1] == w1[0]


@pytest.mark.parametrize("call, name", [
    (lambda: dropout.dropout(np.ones(3), drop_prob=0.5, training="False", rng=R()), "training"),
    (lambda: dropout.dropout(np.ones(3), drop_prob=0.5, mode="classic", training=None), "training"),
    (lambda: dropout.dropout_backward(np.ones(3), None, drop_prob=0.5, training="no"), "training"),
    (lambda: norm.BatchNorm(3).train("False"), "mode"),
    (lambda: optim.minibatch_indices(5, 2, rng=R(), drop_last="yes"), "drop_last"),
    (lambda: models.vgg_parameter_count(16, batch_norm="True"), "batch_norm"),
    (lambda: conv.conv_output_size(6, 3, stride=2, exact=1), "exact"),
    (lambda: objectives.minibatch_gradient_variance(np.ones(4), 2, replace=0), "replace"),
    (lambda: resnet.gradient_norms_by_depth(2, 3, residual="False", rng=R()), "residual"),
])
def test_flags_must_be_true_or_false(call, name):
    with pytest.raises(TypeError, match=rf"^{name} must be True or False"):
        call()
    # numpy's bools are bools
    assert norm.BatchNorm(3).train(np.False_).training is False


@pytest.mark.usefixtures("no_warnings")
def test_empty_data_is_refused_naming_the_argument():
    model = models.MLP((4, 3, 2), rng=R())
    with pytest.raises(ValueError, match=r"^x must hold at least one sample"):
        train.evaluate(model, np.zeros((0, 4)), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match=r"^x must hold at least one sample, got shape \(0, 4\)"):
        model.forward(np.zeros((0, 4)))
    with pytest.raises(ValueError, match=r"^x must have at least one value per channel"):
        norm.batch_stats(np.zeros((0, 3)))
    with pytest.raises(ValueError, match=r"^per_sample_grads must hold at least one"):
        objectives.minibatch_gradient_stats(np.zeros(0), 1, rng=R())


def test_reparameterize_backward_refuses_gradients_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"^mu and sigma must broadcast to the shape of eps, \(3,\)"):
        objectives.reparameterize_backward(np.ones(3), np.ones(4), np.ones(3), np.ones(3))
    # broadcasting is still summed back: a scalar mu gets the sum of dout
    dmu, dsigma = objectives.reparameterize_backward(np.ones(3), 0.0, np.ones(3), np.full(3, 2.0))
    assert dmu == 3.0 and dsigma.tolist() == [2.0, 2.0, 2.0]


def test_a_schedule_factory_is_not_a_learning_rate():
    with pytest.raises(TypeError, match=r"^lr must be a number or a schedule, got the factory "
                                        r"schedules.cosine_decay itself"):
        optim.SGD(lr=schedules.cosine_decay)
    opt = optim.SGD(lr=lambda t: None)  # a callable is called, and checked, at each step
    with pytest.raises(ValueError, match=r"^the schedule lr must give a number >= 0 at step 0"):
        opt.step([np.zeros(1)], [np.ones(1)])


@pytest.mark.usefixtures("no_warnings")
def test_large_finite_floats_give_a_value_or_a_clear_error_not_overflow_error():
    assert 0 < init.calculate_gain("leaky_relu", 1e300) < 1e-299
    for draw in (init.kaiming_normal, init.kaiming_uniform):
        assert np.all(np.isfinite(draw((3, 4), a=1e200, rng=R())))
    for draw in (init.xavier_normal, init.xavier_uniform):
        with pytest.raises(ValueError, match=r"weight variance overflows float64 .*gain = 1e\+300"):
            draw((3, 4), gain=1e300, rng=R())
    with pytest.raises(ValueError, match=r"weight variance overflows float64 .*std = 1e\+300"):
        init.weight_variance("normal", (3, 4), std=1e300)
    np.testing.assert_allclose(filters.gaussian(3, sigma=1e300), np.full((3, 3), 1 / 9))
    np.testing.assert_array_equal(filters.gaussian(5, sigma=1e-200), filters.identity(5))
    np.testing.assert_array_equal(filters.gaussian(4, sigma=1e-200)[1:3, 1:3], np.full((2, 2), 0.25))


def test_the_same_input_is_checked_the_same_way_everywhere():
    with pytest.raises(ValueError, match=r"^running_var must be >= 0"):
        norm.batch_norm_backward([[1.0], [2.0]], [[1.0], [3.0]], [1.0], running_mean=[0.0],
                                 running_var=[-1.0])
    f, x = (lambda x: float(np.sum(x**2))), np.array([1.0, 2.0])
    with pytest.raises(ValueError, match=r"^tol must be finite, got inf"):
        gradcheck.assert_gradcheck(f, [x], [3 * x], tol=math.inf)
    with pytest.raises(ValueError, match=r"^tol must be finite, got nan"):
        gradcheck.assert_gradcheck(f, [x], [2 * x], tol=math.nan)
    with pytest.raises(ValueError, match=r"^model\['w'\] must be an array or a shape"):
        models.count_parameters({"w": (3, -4), "b": "abc"})


@pytest.mark.usefixtures("no_warnings")
def test_softmax_of_logits_spanning_more_than_the_float_range_warns_nothing():
    z = np.array([[1.7e308, -1.7e308]])
    assert activations.softmax(z).tolist() == [[1.0, 0.0]]
    assert losses.softmax_cross_entropy(z, [0]) == 0.0
    assert losses.softmax_cross_entropy_backward(1.0, z, [0]).tolist() == [[0.0, 0.0]]
    with pytest.raises(ValueError, match="the cross-entropy overflows float64"):
        losses.softmax_cross_entropy(z, [1])  # its true value, 3.4e308, is beyond float64


def test_jacobian_norms_beyond_float64_raise_without_lapack_noise(capfd):
    w = np.hstack([np.zeros((2, 1)), 2.0 * np.eye(2)])  # radius 2 at h = 0: norms 2^k
    norms = rnn.hidden_state_jacobian_norms(np.zeros((1023, 1, 1)), np.zeros((1, 2)), w, np.zeros(2))
    assert norms[-1, 0] == 2.0**1023
    with pytest.raises(ValueError, match=r"overflows float64 .* at the distance k = 1024 of xs's "
                                         r"T = 1100 steps"):
        rnn.hidden_state_jacobian_norms(np.zeros((1100, 1, 1)), np.zeros((1, 2)), w, np.zeros(2))
    out, err = capfd.readouterr()
    assert "DLASCL" not in out + err


def test_optimizer_base_class_is_abstract():
    with pytest.raises(TypeError, match=r"^Optimizer is the abstract base class"):
        optim.Optimizer(0.1)

    class Incomplete(optim.Optimizer):
        pass

    with pytest.raises(NotImplementedError, match=r"Incomplete must define _update"):
        Incomplete(0.1).step([np.zeros(1)], [np.ones(1)])


def test_internal_errors_became_clear_ones():
    model = models.MLP((4, 3, 2), rng=R())
    logits, _ = model.forward(np.ones((2, 4)))
    with pytest.raises(TypeError, match=r"^cache must be the list MLP.forward returned"):
        model.backward(logits, None)
    with pytest.raises(ValueError, match=r"^entries: catalog entry 0 \(no id\) lacks the field"):
        catalog.catalog_markdown([{}])
    with pytest.raises(ValueError, match=r"^step must be at most 512"):
        filters.sample_image(step=1000)


def test_the_batch_of_one_error_names_x():
    with pytest.raises(ValueError, match=r"got x of shape \(1, 3\)"):
        norm.batch_norm(np.ones((1, 3)), np.ones(3), np.zeros(3))


# ---------------------------------------------------------------- the new functions' fixes, one test each


@pytest.mark.usefixtures("no_warnings")
def test_heavy_ball_rate_of_large_steps_is_finite_without_overflow_warnings():
    # b = 1 + gamma - lr h = -1e300: b^2 overflowed before; rho = |b|/2 (1 + sqrt(1 - 4 gamma/b^2))
    rho = float(optim.heavy_ball_rate(1e300, 0.5, [1.0]))
    assert rho == pytest.approx(1e300, rel=1e-12)
    assert float(optim.heavy_ball_rate(0.1, 1e300, [1.0])) == pytest.approx(1e300, rel=1e-12)
    # ordinary values as before: complex roots sqrt(gamma), real ones (|b| + sqrt(b^2 - 4 gamma))/2
    assert float(optim.heavy_ball_rate(1.0, 0.25, [1.0])) == pytest.approx(0.5, abs=1e-15)
    b = 1 + 0.09 - 0.1 * 20
    assert float(optim.heavy_ball_rate(0.1, 0.09, [20.0])) == pytest.approx(
        (abs(b) + math.sqrt(b * b - 4 * 0.09)) / 2, rel=1e-14)
    with pytest.raises(ValueError, match=r"^the rate overflows float64 .*lr \* eigenvalues"):
        optim.heavy_ball_rate(1e200, 0.5, [1e200])
    with pytest.raises(ValueError, match=r"^lr and gamma must broadcast together, got shapes "
                                         r"\(2,\) and \(3,\)"):
        optim.heavy_ball_rate([0.1, 0.2], [0.0, 0.5, 0.9], [1.0])
    with pytest.raises(TypeError, match=r"^lr must be a real number or an array of them, got True"):
        optim.heavy_ball_rate(True, 0.5, [1.0])
    with pytest.raises(TypeError, match=r"^lr must be a real number or an array of them"):
        optim.critical_momentum(np.True_, 1.0)


@pytest.mark.usefixtures("no_warnings")
def test_adam_moments_of_gradients_beyond_float64_squared_raise_naming_grads():
    m, m_hat, v, v_hat = optim.adam_moments(np.full((2, 1), 1e150))  # g^2 = 1e300: still finite
    assert np.all(np.isfinite(v_hat)) and v_hat[0, 0] == pytest.approx(1e300)
    with pytest.raises(ValueError, match=r"^the moment V_t overflows float64 .*grads is too large"):
        optim.adam_moments(np.full((2, 1), 1e200))


@pytest.mark.usefixtures("no_warnings")
def test_heavy_ball_optimum_of_a_subnormal_curvature_does_not_overflow():
    lr, gamma, rate = optim.heavy_ball_optimum(5e-324, 9.0)  # h_max / h_min overflowed before
    assert all(np.isfinite([lr, gamma, rate])) and rate == pytest.approx(1.0)
    assert optim.heavy_ball_optimum(1.0, 9.0) == (0.25, 0.25, 0.5)


def test_the_conv_steps_errors_name_the_kernel_and_the_filters():
    with pytest.raises(ValueError, match=r"kernel \(4 along axis 0\) must fit the padded input x "
                                         r".*got w with kernel shape \(4,\)"):
        conv_steps.conv_steps([1.0, 2.0], [1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match=r"^b must have shape \(2,\), one per filter of w"):
        conv_steps.multichannel_conv_steps(np.ones((3, 4, 4)), np.ones((2, 3, 3, 3)), [1.0])
