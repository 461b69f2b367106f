r"""A model declaration: the primitives of one model, checked for form.

Whether a combination can be derived is decided by the derivation method
(:func:`melitz_sym.models.method.plan`), which refuses what it cannot derive
before any derivation work.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from ..distributions import Distribution
from ..errors import DeclarationError
from .conduct import Conduct, MonopolisticCompetition
from .demand import CES, Demand
from .entry import Entry, FreeEntry
from .firms import Firms, Heterogeneous
from .geography import Closed, Geography
from .modes import PAYERS, FixedCost, Mode


@dataclass(frozen=True)
class Declaration:
    r"""The primitives of a heterogeneous-firm (or representative-firm) trade model.

    Parameters
    ----------
    name : str
        Registry or user name of the model (``"melitz"``, ``"my-variant"``).
    demand, conduct, firms, entry, geography : primitive
        The primitives (see :mod:`melitz_sym.primitives`): CES preferences,
        monopolistic competition, heterogeneous firms, free entry and a closed
        economy by default.
    fixed_cost : FixedCost or None
        The per-period fixed cost :math:`f` of serving the domestic market
        (None: no fixed production cost, as in Melitz and Ottaviano 2008).
    modes : tuple of Mode
        The modes of serving each foreign market (at most one of each kind).
    title : str or None
        A line for documents (default: built from the primitives).

    Examples
    --------
    Melitz (2003) with n + 1 symmetric countries and a log-normal distribution:

    >>> from melitz_sym.primitives import *
    >>> from melitz_sym.distributions import LogNormal
    >>> decl = Declaration("my-melitz", firms=Heterogeneous(LogNormal()),
    ...                    geography=Symmetric(), modes=(Export(),))
    """

    name: str = "custom"
    demand: Demand = field(default_factory=CES)
    conduct: Conduct = field(default_factory=MonopolisticCompetition)
    firms: Firms = field(default_factory=Heterogeneous)
    fixed_cost: FixedCost | None = field(default_factory=FixedCost)
    entry: Entry = field(default_factory=FreeEntry)
    geography: Geography = field(default_factory=Closed)
    modes: tuple[Mode, ...] = ()
    title: str | None = None

    def __post_init__(self) -> None:
        kinds = {"demand": Demand, "conduct": Conduct, "firms": Firms,
                 "fixed_cost": FixedCost, "entry": Entry, "geography": Geography}
        for key, base in kinds.items():
            value = getattr(self, key)
            if not isinstance(value, base) and not (key == "fixed_cost" and value is None):
                raise DeclarationError(f"declaration {self.name!r}: {key} must be a "
                                       f"{base.__name__} primitive, got {value!r}")
        if not isinstance(self.name, str) or not self.name.strip():
            raise DeclarationError(f"declaration: name must be a non-empty string, "
                                   f"got {self.name!r}")
        modes = tuple(self.modes) if isinstance(self.modes, (list, tuple)) else None
        if modes is None or not all(isinstance(m, Mode) for m in modes):
            raise DeclarationError(f"declaration {self.name!r}: modes must be a sequence "
                                   f"of Export() / FDI(), got {self.modes!r}")
        object.__setattr__(self, "modes", modes)
        seen = [m.kind for m in modes]
        if len(set(seen)) != len(seen):
            raise DeclarationError(f"declaration {self.name!r}: each mode at most once, "
                                   f"got {', '.join(seen)}")
        for cost in [c for c in [self.fixed_cost] + [m.fixed for m in modes] if c is not None]:
            if not isinstance(cost, FixedCost) or cost.paid_in not in PAYERS:
                raise DeclarationError(
                    f"declaration {self.name!r}: a fixed cost is paid in 'origin' or "
                    f"'destination' labour, got {getattr(cost, 'paid_in', cost)!r}")
        if isinstance(self.firms, Heterogeneous) and not (
                self.firms.dist is None or isinstance(self.firms.dist, Distribution)):
            raise DeclarationError(f"declaration {self.name!r}: Heterogeneous(dist) needs a "
                                   f"Distribution, got {self.firms.dist!r}")

    # ----- reading --------------------------------------------------------------
    @property
    def dist(self) -> Distribution | None:
        """The productivity distribution (None for a representative firm or when open)."""
        return self.firms.dist if isinstance(self.firms, Heterogeneous) else None

    def mode(self, kind: str) -> Mode | None:
        """The declared mode of that kind, or None.

        Parameters
        ----------
        kind : str
            ``"export"`` or ``"fdi"``.

        Returns
        -------
        Mode or None
            The mode of serving a foreign market of that kind.
        """
        return next((m for m in self.modes if m.kind == kind), None)

    def with_distribution(self, dist: Distribution) -> Declaration:
        """The same declaration with heterogeneous firms drawing from ``dist``.

        Parameters
        ----------
        dist : Distribution
            The distribution of productivity (or of unit cost: the kind of
            heterogeneity is kept).

        Returns
        -------
        Declaration
            A new declaration; this one is unchanged.
        """
        firms = (replace(self.firms, dist=dist) if isinstance(self.firms, Heterogeneous)
                 else Heterogeneous(dist))
        return replace(self, firms=firms)

    def describe(self) -> list[str]:
        """The primitives in words.

        Returns
        -------
        list of str
            One line per primitive: demand, conduct, firms, fixed cost, entry,
            geography and each mode.
        """
        fixed = ("no fixed production cost" if self.fixed_cost is None
                 else self.fixed_cost.describe("f") + " (domestic market)")
        lines = [self.demand.describe(), self.conduct.describe(), self.firms.describe(),
                 fixed, self.entry.describe(),
                 self.geography.describe()]
        return lines + [m.describe() for m in self.modes]

    def key(self) -> str:
        """A text that identifies the declaration (for caches): every primitive's repr."""
        return "; ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)
                         if f.name not in ("title",))
