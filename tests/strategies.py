"""Hypothesis strategies and shared explorers, for several test modules."""

from hypothesis import strategies as st


@st.composite
def conv_geometry(draw, max_size=7):
    """A kernel size, stride, padding and dilation, and an input size (H, W) that the
    dilated kernel fits once padded: ``(kh, kw), dict(stride, padding, dilation), (H, W)``."""
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    H = draw(st.integers(max(1, d[0] * (kh - 1) + 1 - 2 * p[0]), max_size))
    W = draw(st.integers(max(1, d[1] * (kw - 1) + 1 - 2 * p[1]), max_size))
    return (kh, kw), dict(stride=s, padding=p, dilation=d), (H, W)


# ------------------------------------------------------------------ shared explorers

_SHARED = {}  # (class, notation) -> its one explorer in this process


def shared_explorer(cls, *, notation=None, **params):
    """This process's one ``cls(notation=notation)``, set as ``cls(notation=notation, **params)``
    sets a new one: every control to its default, then ``update(**params)``.

    Making an explorer costs a figure and a first full draw (0.2-0.6 s); setting one, an
    update or two (tens of ms). A test cannot tell the two apart: the numbers come from a
    pure ``compute``, the picture depends on the parameters alone (test_explore's
    ``check_same_picture`` compares a used explorer's PNG with a fresh one's), and every
    control is set here, so whatever a previous test left does not matter. (Two updates,
    as the constructor does: an explorer may read a parameter left out, as the optimiser's
    surface without ``lr`` sets that surface's λ.) A test of what the constructor or a
    first-built widget does, or one that changes the explorer in another way (a message
    drawn by hand, a class attribute), makes its own (:func:`new_explorer`).
    """
    key = (cls, notation)
    kw = {} if notation is None else {"notation": notation}
    explorer = _SHARED.get(key)
    if explorer is None:
        explorer = _SHARED[key] = cls(**kw, **params)
    else:
        # the instance's controls: a notation may relabel them and change their defaults
        explorer.update(**{n: s.initial for n, s in explorer.controls.items()})
        if params:
            explorer.update(**params)
    return explorer


def new_explorer(cls, *, notation=None, **params):
    """A fresh ``cls(notation=notation, **params)``, for a test that needs one made now, or
    that changes it in a way :func:`shared_explorer` does not reset. Never the shared one:
    test_sweep_check_finds_a_nan... draws an image into its ScheduleExplorer's axes (which
    makes them aspect-equal, 0.2 % of their height), and when that explorer became the
    process's shared one, a later check_same_picture failed whenever xdist's ``--dist load``
    put the two tests on one worker."""
    kw = {} if notation is None else {"notation": notation}
    return cls(**kw, **params)
