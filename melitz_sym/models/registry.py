"""The built-in models, each a :class:`~melitz_sym.primitives.Declaration`.

Heterogeneous-firm declarations leave the distribution open
(``Heterogeneous()``); :func:`melitz_sym.model` fills it in.  ``melitz-ottaviano``
names its cost distribution (Pareto in cost, the paper's).
"""

from __future__ import annotations

from ..distributions import ParetoCost
from ..primitives import (
    FDI,
    Asymmetric,
    Cournot,
    Declaration,
    Export,
    FixedEntrants,
    FreeEntry,
    HeterogeneousCost,
    Isoelastic,
    LinearQuadratic,
    Representative,
    Symmetric,
)

#: name -> (declaration, one-line description)
BUILT_IN: dict[str, tuple[Declaration, str]] = {
    "krugman": (Declaration("krugman", firms=Representative("b"), entry=FreeEntry(sunk=False),
                            geography=Symmetric(), modes=(Export(fixed=None),)),
                "Krugman (1980): representative firms, n+1 countries"),
    "cournot": (Declaration("cournot", demand=Isoelastic(), conduct=Cournot(),
                            firms=Representative("phi"), entry=FreeEntry(sunk=False)),
                "Cournot oligopoly with free entry (seed document, Epifani 2002, Sec. 2)"),
    "melitz-closed": (Declaration("melitz-closed"), "Melitz (2003), closed economy"),
    "melitz": (Declaration("melitz", geography=Symmetric(), modes=(Export(),)),
               "Melitz (2003), n+1 symmetric countries (n = 0 is autarky)"),
    "hmy": (Declaration("hmy", geography=Symmetric(), modes=(Export(), FDI())),
            "Helpman-Melitz-Yeaple (2004): exports versus FDI, n+1 symmetric countries"),
    "chaney": (Declaration("chaney", entry=FixedEntrants(), geography=Asymmetric(),
                           modes=(Export(),)),
               "Chaney (2008): N asymmetric countries, Pareto firms, no free entry, gravity"),
    "melitz-asym": (Declaration("melitz-asym", geography=Asymmetric(), modes=(Export(),)),
                    "Melitz (2003) with N asymmetric countries, free entry and endogenous "
                    "wages"),
    "melitz-ottaviano": (Declaration("melitz-ottaviano", demand=LinearQuadratic(),
                                     firms=HeterogeneousCost(ParetoCost()), fixed_cost=None,
                                     geography=Symmetric(), modes=(Export(fixed=None),)),
                         "Melitz-Ottaviano (2008): linear demand, heterogeneous costs, variable "
                         "markups; n+1 symmetric countries (n = 0 is autarky)"),
    "melitz-ottaviano-asym": (Declaration("melitz-ottaviano-asym", demand=LinearQuadratic(),
                                          firms=HeterogeneousCost(ParetoCost()),
                                          fixed_cost=None, geography=Asymmetric(),
                                          modes=(Export(fixed=None),)),
                              "Melitz-Ottaviano (2008), section 4: two asymmetric countries "
                              "(L a vector, tau a 2 x 2 matrix)"),
}
