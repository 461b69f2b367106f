r"""Firms: a productivity distribution, or one representative firm.

Every firm produces with marginal cost :math:`w/\varphi` in labour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..distributions import Distribution


@dataclass(frozen=True)
class Firms:
    """Base class of the firm side."""

    kind: ClassVar[str] = ""

    def describe(self) -> str:
        """One line in words."""
        raise NotImplementedError


@dataclass(frozen=True)
class Heterogeneous(Firms):
    r"""Entrants draw productivity :math:`\varphi` from ``dist`` (any
    :class:`~melitz_sym.distributions.Distribution`, ``Custom`` included).

    ``dist=None`` leaves the distribution open: :func:`melitz_sym.model` fills
    it in from its ``dist`` argument.

    Parameters
    ----------
    dist : Distribution or None
        The distribution :math:`G` of productivity.
    """

    dist: Distribution | None = None
    kind: ClassVar[str] = "heterogeneous"

    def describe(self) -> str:
        name = self.dist.name if self.dist is not None else "a distribution to be chosen"
        return f"heterogeneous productivity drawn from {name}"


@dataclass(frozen=True)
class Representative(Firms):
    r"""All firms alike, with productivity ``productivity`` (a parameter name:
    ``"b"`` in Krugman 1980, where it is the degenerate distribution's location,
    ``"phi"`` in the Cournot model).

    Parameters
    ----------
    productivity : str
        The name of the productivity parameter.
    """

    productivity: str = "b"
    kind: ClassVar[str] = "representative"

    def describe(self) -> str:
        return f"one representative firm with productivity {self.productivity}"


@dataclass(frozen=True)
class HeterogeneousCost(Heterogeneous):
    r"""Entrants draw a unit labour cost :math:`c` from ``dist``, a
    :class:`~melitz_sym.distributions.Distribution` of :math:`c` (e.g.
    :class:`~melitz_sym.distributions.ParetoCost`, :math:`G(c) = (c/c_M)^k` on
    :math:`[0, c_M]`, as in Melitz and Ottaviano 2008), instead of a productivity.

    Parameters
    ----------
    dist : Distribution or None
        The distribution :math:`G` of unit cost.
    """

    kind: ClassVar[str] = "heterogeneous-cost"

    def describe(self) -> str:
        name = self.dist.name if self.dist is not None else "a distribution to be chosen"
        return f"heterogeneous unit labour cost drawn from {name}"
