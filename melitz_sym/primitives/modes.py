r"""Fixed costs of serving a market, and the modes of serving a foreign market."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

PAYERS = ("origin", "destination")


@dataclass(frozen=True)
class FixedCost:
    r"""A per-period fixed cost of serving one market, in units of labour.

    ``paid_in`` says whose labour: the firm's country (``"origin"``, Melitz
    2003) or the market's (``"destination"``, e.g. distribution and marketing
    hired abroad).  With symmetric countries wages are equal and the two derive
    the same equilibrium; with asymmetric countries they differ through wages.

    Parameters
    ----------
    paid_in : {"origin", "destination"}
        Whose labour pays the cost.
    """

    paid_in: str = "origin"

    def describe(self, symbol: str) -> str:
        """The cost in words.

        Parameters
        ----------
        symbol : str
            The name of the cost's parameter (``"f_x"``).

        Returns
        -------
        str
            One line: the parameter, per period, in whose labour.
        """
        return f"fixed cost {symbol} per period in {self.paid_in} labour"


@dataclass(frozen=True)
class Mode:
    """Base class of the modes of serving a foreign market.

    Parameters
    ----------
    fixed : FixedCost or None
        The per-period fixed cost of serving each foreign market this way (its
        parameter is :attr:`fixed_symbol`); None: no fixed cost.
    """

    kind: ClassVar[str] = ""
    #: canonical name of the mode's fixed cost parameter
    fixed_symbol: ClassVar[str] = ""

    fixed: FixedCost | None = field(default_factory=FixedCost)

    def describe(self) -> str:
        """One line in words."""
        raise NotImplementedError


@dataclass(frozen=True)
class Export(Mode):
    r"""Exporting: iceberg cost :math:`\tau \ge 1` and fixed cost :math:`f_x` per market
    (``fixed=None``: no fixed export cost, as in Krugman 1980).

    Serving a market abroad costs :math:`\tau` units shipped per unit arriving, so
    the export price is :math:`\tau` times the domestic one.

    Parameters
    ----------
    fixed : FixedCost or None
        The fixed export cost :math:`f_x` (None: none).
    """

    kind: ClassVar[str] = "export"
    fixed_symbol: ClassVar[str] = "f_x"

    def describe(self) -> str:
        cost = self.fixed.describe("f_x") if self.fixed is not None else "no fixed cost"
        return f"exporting with iceberg cost tau and {cost}"


@dataclass(frozen=True)
class FDI(Mode):
    r"""A foreign affiliate: no iceberg cost, fixed cost :math:`f_I` per market (HMY 2004).

    Parameters
    ----------
    fixed : FixedCost or None
        The fixed cost :math:`f_I` of an affiliate (None: none).
    """

    kind: ClassVar[str] = "fdi"
    fixed_symbol: ClassVar[str] = "f_I"

    def describe(self) -> str:
        cost = self.fixed.describe("f_I") if self.fixed is not None else "no fixed cost"
        return f"a foreign affiliate (FDI) with {cost}"
