r"""Model primitives: small declarations that a derivation method turns into a model.

A model of the Melitz family is a :class:`Declaration` of

* **demand**: :class:`CES` preferences over varieties (elasticity
  :math:`\sigma`), :class:`LinearQuadratic` (quasi-linear quadratic utility:
  linear demand with a choke price, Melitz-Ottaviano 2008), or :class:`Isoelastic`
  demand for one homogeneous good;
* **conduct**: :class:`MonopolisticCompetition` or :class:`Cournot` among the
  firms selling in a market;
* **firms**: :class:`Heterogeneous` (productivity drawn from a
  :class:`~melitz_sym.distributions.Distribution`), :class:`HeterogeneousCost`
  (unit labour cost drawn from a distribution of cost) or :class:`Representative`;
  marginal cost :math:`w/\varphi` in labour;
* **a fixed cost per market served**, :class:`FixedCost`, paid in origin or in
  destination labour;
* **entry**: :class:`FreeEntry` (zero expected profit, with or without a sunk
  cost :math:`f_e` and exit probability :math:`\delta`) or :class:`FixedEntrants`
  (a mass of potential entrants proportional to :math:`L`, Chaney 2008);
* **geography**: :class:`Closed`, :class:`Symmetric` (:math:`n + 1` identical
  countries) or :class:`Asymmetric` (N countries, vectors and matrices);
* **modes of serving a foreign market**: :class:`Export` (iceberg cost
  :math:`\tau`, fixed cost :math:`f_x`) and :class:`FDI` (fixed cost
  :math:`f_I`, no iceberg cost), each firm choosing its most profitable mode.

The declarations hold no mathematics of their own beyond their parameters;
:mod:`melitz_sym.models.method` derives the equilibrium from them.
"""

from .conduct import Conduct, Cournot, MonopolisticCompetition
from .declaration import Declaration
from .demand import CES, Demand, Isoelastic, LinearQuadratic
from .entry import Entry, FixedEntrants, FreeEntry
from .firms import Firms, Heterogeneous, HeterogeneousCost, Representative
from .geography import Asymmetric, Closed, Geography, Symmetric
from .modes import FDI, Export, FixedCost, Mode

__all__ = [
    "CES",
    "FDI",
    "Asymmetric",
    "Closed",
    "Conduct",
    "Cournot",
    "Declaration",
    "Demand",
    "Entry",
    "Export",
    "Firms",
    "FixedCost",
    "FixedEntrants",
    "FreeEntry",
    "Geography",
    "Heterogeneous",
    "HeterogeneousCost",
    "Isoelastic",
    "LinearQuadratic",
    "Mode",
    "MonopolisticCompetition",
    "Representative",
    "Symmetric",
]
