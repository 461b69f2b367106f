r"""Demand primitives.

:class:`Demand` is the extension point: a derivation method asks a demand
primitive for its kind and its parameters; the first-order conditions are
derived from the utility it declares (see :mod:`melitz_sym.models.ces`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Demand:
    """Base class of demand primitives.

    Attributes
    ----------
    kind : short name used in model files (``"ces"``).
    parameters : canonical names of the parameters the demand brings.
    differentiated : True when every firm sells its own variety.
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
