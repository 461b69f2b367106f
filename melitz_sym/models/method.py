r"""The generic derivation method: a :class:`~melitz_sym.primitives.Declaration` in,
a :class:`~melitz_sym.derivation.Derivation` out.

:func:`plan` reads the primitives and chooses the derivation stages that apply,
refusing with a :class:`~melitz_sym.errors.DeclarationError` that names the
primitive any combination it cannot derive, before any derivation work;
:func:`derive` runs them.  The stages (in :mod:`~melitz_sym.models.ces`,
:mod:`~melitz_sym.models.melitz`, :mod:`~melitz_sym.models.hmy`, ...) derive
from the declared primitives: demand and the firm's first-order condition,
a cutoff per market and mode, the entry closure, labour markets, aggregates,
welfare, then the specialisation to the distribution and closed forms.

Supported combinations (everything else is refused, with the reason):

==================  ===========  ==============  ==============  ============  ============
demand / conduct    firms        entry           geography       modes         stages
==================  ===========  ==============  ==============  ============  ============
CES / monopolistic  distribution free, sunk cost closed          none          melitz
CES / monopolistic  distribution free, sunk cost symmetric       export        melitz
CES / monopolistic  distribution fixed mass      closed          none          melitz
CES / monopolistic  distribution fixed mass      symmetric       export        melitz
CES / monopolistic  distribution free, sunk cost symmetric       export, FDI   hmy
CES / monopolistic  distribution free, sunk cost symmetric       FDI           hmy
CES / monopolistic  Pareto       fixed mass      asymmetric      export        chaney
CES / monopolistic  distribution free, sunk cost asymmetric      export [1]    melitz_asym
CES / monopolistic  one firm     zero profit     symmetric       export, no f  krugman
isoelastic/Cournot  one firm     zero profit     closed          none          cournot
linear / monopol.   cost distr.  free, sunk cost closed          none          melitz_ottaviano
linear / monopol.   cost distr.  free, sunk cost symmetric       export, no f  melitz_ottaviano
linear / monopol.   Pareto cost  free, sunk cost two asymmetric  export, no f  mo_asym
==================  ===========  ==============  ==============  ============  ============

[1] the export fixed cost paid in origin or in destination labour (``Export(
FixedCost("destination"))``); every other row prices fixed costs in origin labour
(with symmetric countries all wages are 1, so the payer makes no difference).

Linear demand (:class:`~melitz_sym.primitives.LinearQuadratic`) is derived with
heterogeneous unit costs (:class:`~melitz_sym.primitives.HeterogeneousCost`) and
no fixed production cost (``fixed_cost=None``); every other combination needs a
fixed production cost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..derivation import Derivation
from ..distributions import Pareto, ParetoCost
from ..errors import DeclarationError
from ..primitives import (
    CES,
    Asymmetric,
    Closed,
    Cournot,
    Declaration,
    FixedEntrants,
    FreeEntry,
    Heterogeneous,
    HeterogeneousCost,
    Isoelastic,
    LinearQuadratic,
    MonopolisticCompetition,
    Representative,
    Symmetric,
)
from . import (
    chaney,
    cournot,
    hmy,
    krugman,
    melitz,
    melitz_asym,
    melitz_ottaviano,
    melitz_ottaviano_asym,
)


@dataclass(frozen=True)
class Plan:
    """What :func:`derive` runs for a declaration.

    Attributes
    ----------
    stages : the function that derives the model from the declaration.
    reference : the name of the independent mpmath path (a function of
        :mod:`melitz_sym.numeric.reference`, or of :mod:`melitz_sym.numeric.ge_reference`
        for N countries; ``"module:function"`` names a function of another module of
        :mod:`melitz_sym.numeric`); every built-in model has one.
    solver : for N-country models, the name of the numeric solver (in
        :mod:`melitz_sym.numeric.general_equilibrium`, or ``"module:function"``); None
        otherwise.
    """

    stages: Callable[[Declaration], Derivation]
    reference: str
    solver: str | None = None

    @property
    def multi_country(self) -> bool:
        """Whether parameters are vectors and matrices (N asymmetric countries)."""
        return self.solver is not None


def _refuse(decl: Declaration, primitive: str, why: str) -> DeclarationError:
    return DeclarationError(f"model {decl.name!r}: {primitive}: {why}")


def plan(decl: Declaration) -> Plan:
    """The derivation stages for ``decl``; raise :class:`DeclarationError` if none apply.

    Only the primitives are read: nothing is derived here.
    """
    if isinstance(decl.demand, LinearQuadratic):
        return _plan_linear(decl)
    if decl.fixed_cost is None:
        raise _refuse(decl, "fixed cost", "no fixed production cost is derived with linear "
                      "demand (LinearQuadratic()) only; declare a FixedCost()")
    if isinstance(decl.firms, HeterogeneousCost):
        raise _refuse(decl, "firms", "heterogeneous unit costs (HeterogeneousCost) are derived "
                      "with linear demand (LinearQuadratic()) only; with CES demand declare "
                      "a productivity distribution, Heterogeneous(dist)")
    if isinstance(decl.conduct, Cournot):
        return _plan_cournot(decl)
    if not isinstance(decl.conduct, MonopolisticCompetition):
        raise _refuse(decl, "conduct", f"{type(decl.conduct).__name__} is not derived")
    if isinstance(decl.demand, Isoelastic):
        raise _refuse(decl, "demand", "monopolistic competition needs differentiated "
                      "varieties (CES); a homogeneous good's firms compete a la Cournot()")
    if not isinstance(decl.demand, CES):
        raise _refuse(decl, "demand", f"{type(decl.demand).__name__} demand is not derived "
                      "with monopolistic competition")
    if isinstance(decl.firms, Representative):
        return _plan_representative(decl)
    if not isinstance(decl.firms, Heterogeneous):
        raise _refuse(decl, "firms", f"{type(decl.firms).__name__} is not derived")
    if decl.dist is None:
        raise _refuse(decl, "firms", "Heterogeneous() needs a productivity distribution")
    export, fdi = decl.mode("export"), decl.mode("fdi")
    if not decl.geography.open and decl.modes:
        raise _refuse(decl, "modes", "a closed economy has no foreign market to serve; "
                      "declare Symmetric() or Asymmetric() geography")
    if decl.geography.open and not decl.modes:
        raise _refuse(decl, "modes", "countries with no mode of serving each other are "
                      "closed economies; declare Closed() or a mode (Export(), FDI())")
    for mode in decl.modes:
        if mode.fixed is None:
            raise _refuse(decl, f"{mode.kind} mode", "heterogeneous firms need a fixed cost "
                          f"{mode.fixed_symbol} of serving a foreign market: without it "
                          "every producer serves every market and there is no "
                          f"{mode.kind} cutoff (a corner the method does not derive)")
    if isinstance(decl.geography, Asymmetric):
        return _plan_asymmetric(decl)
    if isinstance(decl.entry, FixedEntrants):
        if fdi is not None:
            raise _refuse(decl, "entry", "a fixed mass of entrants is derived with exporting "
                          "as the only foreign mode")
        return Plan(melitz.derive, "reference_melitz")
    if not (isinstance(decl.entry, FreeEntry) and decl.entry.sunk):
        raise _refuse(decl, "entry", "heterogeneous firms need free entry with a sunk cost "
                      "f_e (FreeEntry()) or a fixed mass of entrants: with zero profit "
                      "and no sunk cost the cutoff is not determined")
    if fdi is not None:
        return Plan(hmy.derive, "reference_melitz")
    if isinstance(decl.geography, (Closed, Symmetric)) and (export or not decl.modes):
        return Plan(melitz.derive, "reference_melitz")
    raise _refuse(decl, "geography", f"{type(decl.geography).__name__} is not derived")


def _plan_linear(decl: Declaration) -> Plan:
    """Linear demand: Melitz and Ottaviano (2008), closed or n + 1 symmetric countries."""
    if not isinstance(decl.conduct, MonopolisticCompetition):
        raise _refuse(decl, "conduct", "linear demand is derived with monopolistic "
                      "competition (MonopolisticCompetition())")
    if not isinstance(decl.firms, HeterogeneousCost):
        raise _refuse(decl, "firms", "linear demand is derived with heterogeneous unit costs "
                      "drawn from a cost distribution (HeterogeneousCost(dist))")
    if decl.dist is None:
        raise _refuse(decl, "firms", "HeterogeneousCost() needs a cost distribution")
    if decl.fixed_cost is not None:
        raise _refuse(decl, "fixed cost", "with linear demand the choke price selects the "
                      "firms that produce; a fixed production cost is not derived (declare "
                      "fixed_cost=None)")
    if not (isinstance(decl.entry, FreeEntry) and decl.entry.sunk):
        raise _refuse(decl, "entry", "linear demand is derived with free entry and a sunk "
                      "cost f_e (FreeEntry())")
    if isinstance(decl.geography, Closed) and not decl.modes:
        return Plan(melitz_ottaviano.derive, "reference_cost")
    if not isinstance(decl.geography, (Symmetric, Asymmetric)):
        raise _refuse(decl, "geography", "linear demand is derived for a closed economy, n + 1 "
                      "symmetric countries or two asymmetric countries (Closed(), Symmetric(), "
                      "Asymmetric())")
    export = decl.mode("export")
    if export is None or len(decl.modes) != 1:
        raise _refuse(decl, "modes", "linear demand with symmetric countries is derived with "
                      "exporting as the only mode (modes=(Export(fixed=None),))")
    if export.fixed is not None:
        raise _refuse(decl, "export mode", "with linear demand the choke price abroad selects "
                      "the exporters; a fixed export cost is not derived (declare "
                      "Export(fixed=None))")
    if isinstance(decl.geography, Asymmetric):
        if not isinstance(decl.dist, ParetoCost):
            raise _refuse(decl, "firms", "two asymmetric countries with linear demand are "
                          "derived in closed form, for Pareto in cost (ParetoCost()) only, "
                          f"got {decl.dist.name!r}")
        return Plan(melitz_ottaviano_asym.derive, "cost_asym:reference_mo_asym",
                    "cost_asym:solve_mo_asym")
    return Plan(melitz_ottaviano.derive, "reference_cost")


def _plan_cournot(decl: Declaration) -> Plan:
    if not isinstance(decl.demand, Isoelastic):
        raise _refuse(decl, "conduct", "Cournot competition is derived for a homogeneous "
                      "good (Isoelastic() demand), not among CES varieties")
    if not isinstance(decl.firms, Representative):
        raise _refuse(decl, "firms", "Cournot competition is derived with one representative "
                      "firm: with heterogeneous firms each firm's output depends on every "
                      "rival's productivity and the equilibrium has no cutoff structure the "
                      "method derives")
    if not (isinstance(decl.entry, FreeEntry) and not decl.entry.sunk):
        raise _refuse(decl, "entry", "the Cournot model is derived with free entry at zero "
                      "profit (FreeEntry(sunk=False))")
    if not isinstance(decl.geography, Closed) or decl.modes:
        raise _refuse(decl, "geography", "the Cournot model is derived for one market "
                      "(Closed(), no modes); trade integration of identical countries is a "
                      "rise in L")
    return Plan(cournot.derive, "reference_cournot")


def _plan_representative(decl: Declaration) -> Plan:
    if not (isinstance(decl.entry, FreeEntry) and not decl.entry.sunk):
        raise _refuse(decl, "entry", "with one representative firm free entry is zero "
                      "profit (FreeEntry(sunk=False)); a sunk cost with exit is a per-period "
                      "fixed cost")
    export = decl.mode("export")
    if not isinstance(decl.geography, Symmetric) or export is None or len(decl.modes) != 1:
        raise _refuse(decl, "geography", "a representative firm is derived for n + 1 "
                      "symmetric countries with exports (Krugman 1980; n = 0 is autarky)")
    if export.fixed is not None:
        raise _refuse(decl, "export mode", "a representative firm with a fixed export cost "
                      "is not derived (every firm exports or none does); declare "
                      "Export(fixed=None)")
    return Plan(krugman.derive, "reference_krugman")


def _plan_asymmetric(decl: Declaration) -> Plan:
    if decl.mode("fdi") is not None:
        raise _refuse(decl, "modes", "FDI is derived for symmetric countries only")
    if isinstance(decl.entry, FixedEntrants):
        if decl.mode("export").fixed.paid_in != "origin":
            raise _refuse(decl, "export mode", "chaney: the fixed-entrants closure is derived "
                          "with fixed costs in origin labour (Chaney 2008); destination-paid "
                          "fixed costs are derived with free entry (FreeEntry())")
        if not isinstance(decl.dist, Pareto):
            raise _refuse(decl, "firms", "chaney: the model is derived for untruncated Pareto "
                          "productivity only (its aggregation needs a constant profit share), "
                          f"got {decl.dist.name!r}")
        return Plan(chaney.derive, "reference_chaney", "solve_chaney")
    if isinstance(decl.entry, FreeEntry) and decl.entry.sunk:
        return Plan(melitz_asym.derive, "reference_asym", "solve_asym")
    raise _refuse(decl, "entry", "asymmetric countries are derived with free entry and a "
                  "sunk cost (FreeEntry()) or a fixed mass of entrants (FixedEntrants())")


def derive(decl: Declaration) -> Derivation:
    """Derive the model declared by ``decl`` (see :func:`plan` for what is supported);
    the derivation returned is frozen (immutable)."""
    return plan(decl).stages(decl).freeze()
