"""Productivity distributions: Pareto, truncated Pareto, log-normal, Frechet,
Weibull, degenerate (all firms alike) and user-declared densities."""

from __future__ import annotations

from ..errors import DeclarationError, UnknownNameError
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

#: distributions of unit cost (declared with HeterogeneousCost), by name
COST_DISTRIBUTIONS: dict[str, type[Distribution]] = {ParetoCost.name: ParetoCost}
#: productivity names that denote a law of cost: Pareto productivity phi >= b is Pareto in
#: cost c = 1/phi on [0, c_M], c_M = 1/b (ParetoCost)
_SAME_LAW_IN_COST = {"pareto": ParetoCost}


def distribution(dist: str | Distribution) -> Distribution:
    """A distribution from its name or a Distribution object.

    Parameters
    ----------
    dist : str or Distribution
        A name of :data:`DISTRIBUTIONS` (``"pareto"``), or a distribution object
        (returned as it is).

    Returns
    -------
    Distribution
        The distribution, with its default parameter names.

    Raises
    ------
    UnknownNameError
        For a name that is not a distribution.
    """
    if isinstance(dist, Distribution):
        return dist
    try:
        return DISTRIBUTIONS[dist]()
    except KeyError:
        raise UnknownNameError(
            f"unknown distribution {dist!r}; choose one of {', '.join(DISTRIBUTIONS)} "
            "or pass Custom(pdf, support)") from None


def cost_distribution(dist: str | Distribution) -> Distribution:
    """A distribution of unit cost from its name (``"pareto-cost"``; ``"pareto"``, the same
    law as Pareto productivity, means it too) or a Distribution object, which is taken as
    the declared density of the cost.

    Parameters
    ----------
    dist : str or Distribution
        A name of :data:`COST_DISTRIBUTIONS`, ``"pareto"``, or a distribution object.

    Returns
    -------
    Distribution
        The distribution of unit cost :math:`c`.

    Raises
    ------
    DeclarationError
        For the name of a productivity distribution with no law of cost declared here.
    """
    if isinstance(dist, Distribution):
        return dist
    found = COST_DISTRIBUTIONS.get(dist) or _SAME_LAW_IN_COST.get(dist)
    if found is None:
        raise DeclarationError(
            f"{dist!r} is not a distribution of unit cost: firms draw a cost c, not a "
            f"productivity; name one of {', '.join([*COST_DISTRIBUTIONS, *_SAME_LAW_IN_COST])} "
            "(Pareto productivity phi >= b is Pareto in cost c = 1/phi, c_M = 1/b) or pass "
            "a Distribution object declaring the density of c (e.g. TruncatedPareto(), "
            "Custom(pdf, support))")
    return found()


__all__ = [
    "COST_DISTRIBUTIONS",
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
    "cost_distribution",
    "distribution",
    "partial_moment",
]
