"""Geography: one closed economy, n + 1 symmetric countries, or N asymmetric countries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Geography:
    """Base class of geographies.

    Attributes
    ----------
    kind : str
        Short name used in model files (``"symmetric"``).
    open : bool
        Whether there are foreign markets to serve.
    """

    kind: ClassVar[str] = ""
    open: ClassVar[bool] = False

    def describe(self) -> str:
        """One line in words."""
        raise NotImplementedError


@dataclass(frozen=True)
class Closed(Geography):
    """One country, no trade."""

    kind: ClassVar[str] = "closed"

    def describe(self) -> str:
        return "a closed economy"


@dataclass(frozen=True)
class Symmetric(Geography):
    """``n + 1`` identical countries (parameter ``n``; ``n = 0`` is autarky)."""

    kind: ClassVar[str] = "symmetric"
    open: ClassVar[bool] = True

    def describe(self) -> str:
        return "n + 1 symmetric countries"


@dataclass(frozen=True)
class Asymmetric(Geography):
    """N countries: per-country parameters are vectors, per-pair parameters matrices."""

    kind: ClassVar[str] = "asymmetric"
    open: ClassVar[bool] = True

    def describe(self) -> str:
        return "N asymmetric countries (vectors per country, matrices per pair)"
