"""Canonical symbols of the Melitz family: names, LaTeX, meaning, domain, aliases.

Every parameter and derived quantity used anywhere in the package is declared
here once.  Code refers to symbols through :func:`sym`; LaTeX is taken from the
registry (never from a symbol name), and user input is mapped onto canonical
names through :func:`canonical` (so ``theta`` and ``gamma`` both mean the
Pareto shape ``k``).

All parameters are declared ``positive`` (``n`` nonnegative, ``mu`` real), the
assumptions sympy needs to simplify powers and logarithms.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from .errors import UnknownNameError


@dataclass(frozen=True)
class Quantity:
    """A registered symbol.

    Attributes
    ----------
    name : ASCII name used in code, the API and the CLI (``phi_star``).
    latex : LaTeX as authors write it (``\\varphi^*``).
    meaning : one line for parameter tables and ``--help``.
    domain : admissible domain in words and symbols (``sigma > 1``).
    aliases : other names accepted from users (``theta`` for ``k``).
    kind : ``"parameter"``, ``"output"`` or ``"internal"``.
    assumptions : sympy assumptions of the symbol.
    """

    name: str
    latex: str
    meaning: str
    domain: str = ""
    aliases: tuple[str, ...] = ()
    kind: str = "parameter"
    assumptions: dict = field(default_factory=lambda: {"positive": True})

    @property
    def symbol(self) -> sp.Symbol:
        """The sympy symbol (cached by sympy on name and assumptions)."""
        return sp.Symbol(self.name, **self.assumptions)


_P = "parameter"
_O = "output"
_I = "internal"

_QUANTITIES = [
    # --- parameters -------------------------------------------------------
    Quantity("sigma", r"\sigma", "elasticity of substitution between varieties", "sigma > 1"),
    Quantity("k", r"k", "shape of the productivity distribution (Pareto tail index)",
             "k > sigma - 1 (Pareto)", ("theta", "a")),
    Quantity("b", r"b", "scale / lower bound of productivity", "b > 0", ("phi_min",)),
    Quantity("b_H", r"b_H", "upper bound of productivity (truncated Pareto)", "b_H > b"),
    Quantity("mu", r"\mu", "mean of log productivity (log-normal)", "real",
             assumptions={"real": True}),
    Quantity("s", r"s", "standard deviation of log productivity (log-normal)", "s > 0"),
    Quantity("f", r"f", "per-period fixed cost of domestic production (labour)", "f > 0",
             ("f_d", "f_D")),
    Quantity("f_x", r"f_x", "per-period fixed cost of exporting to one market (labour)",
             "f_x > 0; tau**(sigma-1) f_x > f when n > 0", ("f_X",)),
    Quantity("f_e", r"f_e", "sunk entry cost (labour)", "f_e > 0", ("f_E",)),
    Quantity("f_I", r"f_I", "per-period fixed cost of a foreign affiliate (FDI)", "f_I > 0"),
    Quantity("delta", r"\delta", "per-period probability of exit", "0 < delta <= 1"),
    Quantity("tau", r"\tau", "iceberg trade cost", "tau >= 1"),
    Quantity("n", r"n", "number of trading partners (n + 1 symmetric countries)", "n >= 0",
             assumptions={"nonnegative": True}),
    Quantity("L", r"L", "labour endowment (market size)", "L > 0"),
    Quantity("phi", r"\varphi", "firm productivity", "phi > 0"),
    # linear demand with heterogeneous unit costs (Melitz-Ottaviano 2008)
    Quantity("alpha", r"\alpha", "demand intercept: marginal utility of the first unit of the "
             "differentiated goods (linear demand); Chaney (2008): share of income spent on "
             "varieties", "alpha > 0"),
    Quantity("gamma", r"\gamma", "product differentiation: the weight of the sum of squared "
             "quantities in the quadratic utility", "gamma > 0"),
    Quantity("eta", r"\eta", "substitution between the differentiated goods and the numeraire "
             "(weight of the squared total quantity)", "eta > 0"),
    Quantity("c_M", r"c_M", "upper bound of unit labour cost (Pareto in cost)", "c_M > 0"),
    Quantity("c", r"c", "unit labour cost of a firm", "c > 0"),
    # --- outputs ----------------------------------------------------------
    Quantity("phi_star", r"\varphi^*", "zero-profit productivity cutoff", kind=_O),
    Quantity("phi_star_A", r"\varphi^*_A", "cutoff in autarky (n = 0)", kind=_I),
    Quantity("phi_x_star", r"\varphi_x^*", "export productivity cutoff", kind=_O),
    Quantity("p_in", r"p_{in}", "probability of successful entry, 1 - G(phi*)", kind=_O),
    Quantity("p_x", r"p_x", "share of producers that export", kind=_O),
    Quantity("phi_tilde", r"\tilde{\varphi}", "average productivity of producers", kind=_O),
    Quantity("phi_tilde_x", r"\tilde{\varphi}_x", "average productivity of exporters", kind=_O),
    Quantity("phi_tilde_t", r"\tilde{\varphi}_t",
             "aggregate productivity of all varieties sold", kind=_O),
    Quantity("M", r"M", "mass of domestic producers", kind=_O),
    Quantity("M_x", r"M_x", "mass of exporters", kind=_O),
    Quantity("M_t", r"M_t", "mass of varieties available to consumers", kind=_O),
    Quantity("M_e", r"M_e", "mass of entrants per period", kind=_O),
    Quantity("pi_bar", r"\bar{\pi}", "average profit of producers", kind=_O),
    Quantity("r_bar", r"\bar{r}", "average revenue of producers", kind=_O),
    Quantity("P", r"P", "CES price index", kind=_O),
    Quantity("R", r"R", "aggregate revenue (expenditure)", kind=_O),
    Quantity("W", r"W", "welfare per worker, w / P", kind=_O),
    Quantity("lam", r"\lambda", "domestic expenditure share", kind=_O),
    Quantity("gains", r"\frac{W}{W_A}", "welfare relative to autarky", kind=_O),
    Quantity("q", r"q", "output of a firm", kind=_O),
    Quantity("p", r"p", "price of a variety", kind=_O),
    Quantity("markup", r"\frac{p}{c}", "price over marginal cost", kind=_O),
    Quantity("l", r"l", "labour employed by a firm", kind=_O),
    Quantity("q_per_l", r"\frac{q}{l}", "labour productivity of a firm", kind=_O),
    Quantity("phi_I_star", r"\varphi_I^*", "FDI productivity cutoff (HMY 2004)", kind=_O),
    Quantity("p_I", r"p_I", "share of producers with foreign affiliates", kind=_O),
    Quantity("M_I", r"M_I", "mass of firms with foreign affiliates", kind=_O),
    Quantity("export_fdi_ratio", r"\frac{S_X}{S_I}",
             "exports relative to foreign-affiliate sales in one market", kind=_O),
    Quantity("eps", r"\varepsilon",
             "partial trade elasticity d ln(X_ij/X_jj)/d ln tau at the equilibrium", kind=_O,
             assumptions={"negative": True}),
    Quantity("c_D", r"c_D", "domestic cost cutoff: the cost at which demand vanishes",
             kind=_O),
    Quantity("c_X", r"c_X", "export cost cutoff", kind=_O),
    Quantity("N", r"N", "number of sellers in a market (home producers and foreign exporters)",
             kind=_O),
    Quantity("N_E", r"N_E", "number of entrants per country", kind=_O),
    Quantity("p_bar", r"\bar{p}", "average price of the varieties sold in a market", kind=_O),
    Quantity("c_bar", r"\bar{c}", "average delivered cost of the sellers in a market",
             kind=_O),
    Quantity("markup_bar", r"\bar{\mu}", "average markup p - c of the sellers in a market",
             kind=_O),
    Quantity("p_max", r"p_{max}", "choke price: demand for a variety vanishes there", kind=_I),
    Quantity("q_0", r"q_0", "consumption of the numeraire good", kind=_I),
    Quantity("Q_c", r"Q^c", "total consumption of differentiated goods per consumer", kind=_I),
    # --- internal symbols of the derivation -------------------------------
    Quantity("Q", r"Q", "CES quantity aggregate (utility)", kind=_I),
    Quantity("A", r"A", "demand shifter R P^(sigma-1)", kind=_I),
    Quantity("x", r"x", "integration variable", kind=_I),
    Quantity("u", r"u", "transformed integration variable", kind=_I, assumptions={"real": True}),
    Quantity("e", r"\epsilon", "k - (sigma - 1), kept as one positive quantity", kind=_I),
    Quantity("w", r"w", "wage (numeraire)", kind=_I),
    Quantity("w_d", r"w_j", "wage of the destination j (N countries: fixed costs paid in "
             "destination labour)", kind=_I),
    Quantity("v_bar", r"\bar{v}", "average value of a producer", kind=_I),
    Quantity("Pi", r"\Pi", "aggregate profit", kind=_I),
    Quantity("L_e", r"L_e", "labour used in entry", kind=_I),
    Quantity("L_p", r"L_p", "labour used in production", kind=_I),
    Quantity("lagrange", r"\ell", "Lagrange multiplier of the budget", kind=_I),
    Quantity("r", r"r", "revenue of a firm", kind=_I),
    Quantity("pi", r"\pi", "profit of a firm", kind=_I),
]

REGISTRY: dict[str, Quantity] = {q.name: q for q in _QUANTITIES}
_ALIASES: dict[str, str] = {a: q.name for q in _QUANTITIES for a in q.aliases}


def canonical(name: str) -> str:
    """Return the canonical ASCII name of ``name`` (itself or an alias).

    Raises
    ------
    UnknownNameError
        If ``name`` is neither a registered name nor an alias; the message
        lists the parameter names.
    """
    if name in REGISTRY:
        return name
    if name in _ALIASES:
        return _ALIASES[name]
    params = ", ".join(q.name for q in _QUANTITIES if q.kind == _P)
    raise UnknownNameError(f"unknown name {name!r}; parameters are: {params}")


def sym(name: str) -> sp.Symbol:
    """The sympy symbol registered under ``name`` (or an alias)."""
    return REGISTRY[canonical(name)].symbol


def syms(names: str) -> tuple[sp.Symbol, ...]:
    """Symbols for a whitespace-separated list of names."""
    return tuple(sym(n) for n in names.split())


def latex_name(name: str) -> str:
    """LaTeX of a registered quantity, e.g. ``latex_name("phi_x_star")``."""
    return REGISTRY[canonical(name)].latex


def symbol_names() -> dict[sp.Symbol, str]:
    """Mapping symbol -> LaTeX for sympy's printer (``symbol_names=``)."""
    return {q.symbol: q.latex for q in _QUANTITIES}
