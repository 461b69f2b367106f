"""Productivity distributions: Pareto, truncated Pareto, log-normal, Frechet,
Weibull, degenerate (all firms alike) and user-declared densities."""

from __future__ import annotations

from ..errors import UnknownNameError
from .base import Distribution, Substitution
from .cost import ParetoCost, partial_moment
from .custom import Custom
from .degenerate import Degenerate
from .extreme import Frechet, Weibull
from .lognormal import LogNormal
from .pareto import Pareto, TruncatedPareto

DISTRIBUTIONS: dict[str, type[Distribution]] = {
    c.name: c for c in (Pareto, TruncatedPareto, LogNormal, Frechet, Weibull, Degenerate)
}


def distribution(dist: str | Distribution) -> Distribution:
    """A distribution from its name (``"pareto"``) or a Distribution object."""
    if isinstance(dist, Distribution):
        return dist
    try:
        return DISTRIBUTIONS[dist]()
    except KeyError:
        raise UnknownNameError(
            f"unknown distribution {dist!r}; choose one of {', '.join(DISTRIBUTIONS)} "
            "or pass Custom(pdf, support)") from None


__all__ = [
    "DISTRIBUTIONS",
    "Custom",
    "Degenerate",
    "Distribution",
    "Frechet",
    "LogNormal",
    "Pareto",
    "ParetoCost",
    "Substitution",
    "TruncatedPareto",
    "Weibull",
    "distribution",
    "partial_moment",
]
