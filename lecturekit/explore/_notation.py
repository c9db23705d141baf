r"""Each lecture's letters, for the explorers shown in several notebooks.

The lectures write the same quantity with different letters (the batch mean
is :math:`m_j` in the MLP lecture, :math:`\mu_j` in Lecture 3, :math:`\mu`
in Lecture 4; dropout's :math:`p` drops a unit in the MLP lecture and keeps
it in 05/10/23). An explorer shown in several notebooks takes
``notation=<lecture key>`` (the keys of ``data/catalog.toml``) and labels its
controls and figure with that lecture's letters; the numbers never depend on it.
Each such explorer keeps one table, lecture key -> its words, and
:func:`letters` picks the row.
"""

from __future__ import annotations

from dataclasses import replace

__all__ = ["LECTURES", "letters", "relabel"]

LECTURES = {
    "mlp": "MLP lecture",
    "l3": "Lecture 3",
    "l4": "Lecture 4",
    "l051023": "05/10/23 lecture",
    "l14": "Lecture 14",
}
"""The lecture keys of ``data/catalog.toml`` and how a figure names each lecture."""


def letters(table, notation, explorer):
    """``table[notation]``, or a ValueError naming the notations ``explorer`` knows.

    Examples
    --------
    >>> letters({"mlp": "m_j", "l3": "μ_j"}, "l3", "BatchNormNoiseExplorer")
    'μ_j'
    >>> letters({"mlp": "m_j"}, "l14", "X")
    Traceback (most recent call last):
    ...
    ValueError: X(notation='l14'): the notations are 'mlp' (MLP lecture)
    """
    if notation not in table:
        known = ", ".join(f"{k!r} ({LECTURES[k]})" for k in table)
        raise ValueError(f"{explorer}(notation={notation!r}): the notations are {known}")
    return table[notation]


def relabel(controls, changes):
    """A copy of ``controls`` with some specs' fields replaced: ``{name: {field: value}}``.

    The ranges stay those of the class's controls, so a relabelled explorer
    takes exactly the same values; only its labels (and perhaps defaults) differ.
    """
    return {name: replace(spec, **changes[name]) if name in changes else spec
            for name, spec in controls.items()}
