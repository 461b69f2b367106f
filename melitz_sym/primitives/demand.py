r"""Demand primitives.

:class:`Demand` is the extension point: a derivation method asks a demand
primitive for its kind and its parameters; the first-order conditions are
derived from the utility it declares (see :mod:`melitz_sym.models.ces`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import sympy as sp

from ..symbols import sym


@dataclass(frozen=True)
class Demand:
    """Base class of demand primitives.

    Attributes
    ----------
    kind : str
        Short name used in model files (``"ces"``).
    parameters : tuple of str
        Canonical names of the parameters the demand brings.
    differentiated : bool
        True when every firm sells its own variety.
    """

    kind: ClassVar[str] = ""
    parameters: ClassVar[tuple[str, ...]] = ()
    differentiated: ClassVar[bool] = True

    def describe(self) -> str:
        """One line in words."""
        raise NotImplementedError


@dataclass(frozen=True)
class CES(Demand):
    r"""CES utility :math:`Q = (\int q(\omega)^\rho d\omega)^{1/\rho}` over varieties,
    :math:`\rho = (\sigma - 1)/\sigma`: demand :math:`q = R P^{\sigma-1} p^{-\sigma}`."""

    kind: ClassVar[str] = "ces"
    parameters: ClassVar[tuple[str, ...]] = ("sigma",)

    def describe(self) -> str:
        return "CES preferences over differentiated varieties (elasticity sigma)"


@dataclass(frozen=True)
class Isoelastic(Demand):
    r"""Aggregate demand :math:`Q = A p^{-\sigma}` for one homogeneous good."""

    kind: ClassVar[str] = "isoelastic"
    parameters: ClassVar[tuple[str, ...]] = ("sigma",)
    differentiated: ClassVar[bool] = False

    def describe(self) -> str:
        return "constant-elasticity demand Q = A p^(-sigma) for a homogeneous good"


@dataclass(frozen=True)
class LinearQuadratic(Demand):
    r"""Quasi-linear quadratic utility over a numeraire and a continuum of varieties
    (Melitz and Ottaviano 2008, after Ottaviano, Tabuchi and Thisse 2002):

    .. math::

        U = q_0 + \alpha \int q_i\,di - \frac{\gamma}{2}\int q_i^2\,di
            - \frac{\eta}{2}\Big(\int q_i\,di\Big)^2,

    for each of ``L`` consumers; the first-order conditions (derived in
    :mod:`melitz_sym.models.linear`) give linear demand with a choke price.
    """

    kind: ClassVar[str] = "linear-quadratic"
    parameters: ClassVar[tuple[str, ...]] = ("alpha", "gamma", "eta")

    def utility(self, q_0: sp.Expr, total: sp.Expr, squares: sp.Expr) -> sp.Expr:
        r"""The declared utility of one consumer: :math:`q_0 + \alpha\,total -
        (\gamma/2)\,squares - (\eta/2)\,total^2`, with ``total`` the integral of
        the quantities of the varieties and ``squares`` that of their squares.

        Parameters
        ----------
        q_0 : sympy.Expr
            Consumption of the numeraire good.
        total : sympy.Expr
            :math:`\int q_i\,di`, the total quantity of varieties.
        squares : sympy.Expr
            :math:`\int q_i^2\,di`.

        Returns
        -------
        sympy.Expr
            :math:`U`.
        """
        alpha, gamma, eta = (sym(x) for x in self.parameters)
        return q_0 + alpha * total - gamma / 2 * squares - eta / 2 * total**2

    def describe(self) -> str:
        return ("quasi-linear quadratic utility over varieties (alpha, gamma, eta): "
                "linear demand with a choke price")
