"""Model registry: ``model(name, dist=...)`` builds a :class:`Model`."""

from __future__ import annotations

from functools import partial

from ..distributions import Distribution, distribution
from ..errors import UnknownNameError
from . import cournot, krugman, melitz
from .base import Model

_BUILDERS = {
    "krugman": (krugman.derive, False, "Krugman (1980): representative firms, n+1 countries"),
    "cournot": (cournot.derive, False,
                "Cournot oligopoly with free entry (seed document, Epifani 2002, Sec. 2)"),
    "melitz-closed": (partial(melitz.derive, open_economy=False), True,
                      "Melitz (2003), closed economy"),
    "melitz": (partial(melitz.derive, open_economy=True), True,
               "Melitz (2003), n+1 symmetric countries (n = 0 is autarky)"),
}


def models() -> list[str]:
    """Names of the built-in models."""
    return list(_BUILDERS)


def describe(name: str) -> str:
    """One-line description of a built-in model."""
    return _BUILDERS[name][2]


def model(name: str, dist: str | Distribution | None = "pareto") -> Model:
    """Build a model by name, e.g. ``model("melitz", dist="lognormal")``.

    ``dist`` is a distribution name or a Distribution object (e.g.
    ``Custom(pdf, support)``); representative-firm models ignore it.
    """
    try:
        builder, uses_dist, _ = _BUILDERS[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown model {name!r}; models are: {', '.join(_BUILDERS)}") from None
    return Model(name, builder, distribution(dist) if uses_dist and dist is not None
                 else (distribution("pareto") if uses_dist else None))


__all__ = ["Model", "describe", "model", "models"]
