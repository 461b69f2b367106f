"""Entry: free entry (with or without a sunk cost), or a fixed mass of entrants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Entry:
    """Base class of entry closures."""

    kind: ClassVar[str] = ""

    def describe(self) -> str:
        """One line in words."""
        raise NotImplementedError


@dataclass(frozen=True)
class FreeEntry(Entry):
    r"""Firms enter until the expected value of entry is zero.

    With ``sunk=True`` (Melitz 2003) an entrant pays the sunk cost :math:`f_e`
    before drawing its productivity and exits with probability :math:`\delta`
    each period; with ``sunk=False`` (Krugman 1980, the Cournot model) profit
    net of the per-period fixed costs is zero.

    Parameters
    ----------
    sunk : bool
        Whether entry costs the sunk :math:`f_e` (with exit probability
        :math:`\delta`): :math:`(1 - G(\varphi^*))\,\bar\pi / \delta = f_e`.
    """

    sunk: bool = True
    kind: ClassVar[str] = "free"

    def describe(self) -> str:
        return ("free entry with sunk cost f_e and exit probability delta" if self.sunk
                else "free entry: zero profit")


@dataclass(frozen=True)
class FixedEntrants(Entry):
    r"""A mass of potential entrants proportional to the labour force, :math:`M_e = w L`
    (Chaney 2008): no entry cost, profits are paid out to the consumers."""

    kind: ClassVar[str] = "fixed"

    def describe(self) -> str:
        return "a fixed mass of potential entrants M_e = w L; profits paid to consumers"
