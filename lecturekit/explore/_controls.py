r"""The controls of an explorer: :class:`Slider`, :class:`Choice` and :class:`Toggle`.

A control is a frozen dataclass that says what values a parameter of
``update(**params)`` may take. The same spec serves three readers: the
explorer (``initial``, its starting value), the generic tests and benchmarks
(``sweep_values`` and ``sample``, values on the widget's own grid) and the
notebook (``make_widget``, the ipywidget; ipywidgets is imported only there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Slider", "Choice", "Toggle"]


@dataclass(frozen=True)
class Slider:
    """A numeric control: an int slider if min, max and step are all ints, else a float one.

    ``log=True`` gives a ``FloatLogSlider`` (base 10) between ``min`` and ``max``;
    ``step`` is then the step of the exponent. ``play=True`` adds a Play button
    that steps the slider like an animation.

    Examples
    --------
    >>> s = Slider(0.0, 1.0, 0.25, 0.5, "p")          # min, max, step, default, label
    >>> s.initial, s.sweep_values(interior=1)        # the tests' values: on the grid
    (0.5, [0.0, 0.5, 1.0])
    >>> Slider(1e-3, 1.0, 1.0, log=True).sweep_values()   # exponents -3, -2, -1, 0
    [0.001, 0.01, 0.1, 1.0]
    """

    min: float
    max: float
    step: float = 1
    default: float | None = None
    description: str = ""
    log: bool = False
    play: bool = False

    def __post_init__(self):
        if not self.min < self.max or self.step <= 0:
            raise ValueError(f"Slider needs min < max and step > 0, got min={self.min}, "
                             f"max={self.max}, step={self.step}")
        if self.default is not None and not self.min <= self.default <= self.max:
            raise ValueError(f"Slider default {self.default} is outside [{self.min}, {self.max}]")
        if self.play and not self.integer:
            raise ValueError("play=True needs an integer slider (ipywidgets.Play counts in ints)")

    @property
    def integer(self):
        return not self.log and all(
            isinstance(v, int) and not isinstance(v, bool) for v in (self.min, self.max, self.step)
        )

    @property
    def initial(self):
        return self.min if self.default is None else self.default

    def _grid(self):
        """Every value the slider can take (exponents are stepped for a log slider)."""
        if self.log:
            lo, hi = math.log10(self.min), math.log10(self.max)
            n = round((hi - lo) / self.step)
            return [float(f"{10 ** (lo + k * self.step):.6g}") for k in range(n + 1)]
        n = round((self.max - self.min) / self.step)
        if self.integer:
            return [self.min + k * self.step for k in range(n + 1)]
        # Rounded so that 0.1 + 2 * 0.1 is 0.3, as the slider itself shows it.
        return [round(self.min + k * self.step, 10) for k in range(n + 1)]

    def sweep_values(self, interior=3):
        """Minimum, maximum and ``interior`` evenly spaced values in between (all, if few)."""
        grid = self._grid()
        if len(grid) <= interior + 2:
            return grid
        idx = np.linspace(0, len(grid) - 1, interior + 2).round().astype(int)
        return [grid[i] for i in idx]

    def sample(self, rng):
        grid = self._grid()
        return grid[int(rng.integers(len(grid)))]

    def make_widget(self, name, value):
        import ipywidgets as w

        common = dict(description=self.description or name, continuous_update=True,
                      style={"description_width": "initial"})
        if self.log:
            return w.FloatLogSlider(value=value, base=10, min=math.log10(self.min),
                                    max=math.log10(self.max), step=self.step, **common)
        if self.integer:
            return w.IntSlider(value=value, min=self.min, max=self.max, step=self.step, **common)
        # as many decimals as the step has (at least ipywidgets' two): 0.999 must not read "1.00"
        decimals = max(2, len(f"{self.step:.6g}".partition(".")[2]))
        return w.FloatSlider(value=value, min=self.min, max=self.max, step=self.step,
                             readout_format=f".{decimals}f", **common)


@dataclass(frozen=True)
class Choice:
    """A choice among a few options: toggle buttons for up to four, else a dropdown."""

    options: tuple
    default: object = None
    description: str = ""

    @property
    def initial(self):
        return self.options[0] if self.default is None else self.default

    def sweep_values(self, interior=3):
        return list(self.options)

    def sample(self, rng):
        return self.options[int(rng.integers(len(self.options)))]

    def make_widget(self, name, value):
        import ipywidgets as w

        cls = w.ToggleButtons if len(self.options) <= 4 else w.Dropdown
        extra = {"style": {"button_width": "auto", "description_width": "initial"}}
        if cls is w.Dropdown:
            extra = {"style": {"description_width": "initial"}}
        return cls(options=list(self.options), value=value,
                   description=self.description or name, **extra)


@dataclass(frozen=True)
class Toggle:
    """An on/off control (a checkbox)."""

    default: bool = False
    description: str = ""

    @property
    def initial(self):
        return self.default

    def sweep_values(self, interior=3):
        return [False, True]

    def sample(self, rng):
        return bool(rng.integers(2))

    def make_widget(self, name, value):
        import ipywidgets as w

        # width auto: the default 300 px cuts a long description off with an ellipsis
        return w.Checkbox(value=value, description=self.description or name, indent=False,
                          layout=w.Layout(width="auto"))
