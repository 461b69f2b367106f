"""Market conduct: how the firms selling in a market compete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Conduct:
    """Base class of market conduct."""

    kind: ClassVar[str] = ""

    def describe(self) -> str:
        """One line in words."""
        raise NotImplementedError


@dataclass(frozen=True)
class MonopolisticCompetition(Conduct):
    """Each firm prices its variety taking the market aggregates as given."""

    kind: ClassVar[str] = "monopolistic"

    def describe(self) -> str:
        return "monopolistic competition (aggregates taken as given)"


@dataclass(frozen=True)
class Cournot(Conduct):
    """The firms selling in a market choose quantities, each taking the others' as given."""

    kind: ClassVar[str] = "cournot"

    def describe(self) -> str:
        return "Cournot competition in quantities among the firms of a market"
