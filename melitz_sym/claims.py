r"""Qualitative claims: comparative statics and comparisons, and a registry of them.

A claim is text in the language of :mod:`melitz_sym.parse`:

* a sign claim, ``d phi_star/d tau < 0`` or ``phi_x_star > phi_star``
  (outputs at their equilibrium values, ``X_A`` = ``X`` in autarky);
* an equation, ``d markup/d tau = 0`` or ``gains = lam^(-1/k)``, decided by
  :func:`melitz_sym.verify.verify`;
* an invariance under a limiting condition, ``phi_tilde = phi_tilde_A when
  tau = 1, f_x = 0``, proved in the generic layer of the derivation (before a
  distribution is inserted);
* several of these joined by ``and``.

Sign claims are proved symbolically where possible: the difference is
differentiated in closed form and its sign read off by sympy after the
reparametrisation ``sigma = 1 + z``, ``k = z + e`` and a slack variable for
each strict restriction (``tau^(sigma-1) f_x > f`` becomes
``f_x = f tau^(1-sigma) (1 + w)``, ``w > 0``).  Otherwise they are checked
numerically over the admissible domain: at least :data:`MIN_POINTS` Sobol
points of the model's sampling box (scrambled, fixed seed), solved with the
vectorised ``Model.solve``; derivatives by central differences.  A point
that violates the claim in double precision is re-checked at 50 digits before
it is reported as a counterexample.  An equation is decided by
:func:`melitz_sym.verify.verify`: a proof, or exactly :data:`POINTS` (30) random
admissible points at 50 digits, and its ``points`` is that count.

Which method decides a claim depends on the claim alone: symbolic attempts are
bounded by expression size (:data:`SIGN_MAX_OPS`, the budgets of
:func:`melitz_sym.derivation.is_zero_symbolic`), never by a clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import mpmath
import sympy as sp

from .derivation import is_zero_symbolic
from .errors import MelitzError, ParseError
from .parse import autarky_base, parse
from .simplify import shifted
from .symbols import sym
from .verify import POINTS, Context, UndeterminedError, context, value_at, verify

MIN_POINTS = 10_000  #: admissible points of a numeric sign check
#: largest ``count_ops`` of a closed-form difference whose sign is sought symbolically
#: (an operation budget: the proofs found have at most 18, the larger attempts failed
#: after 1-16 s)
SIGN_MAX_OPS = 100
_SOBOL_LOG2 = 14  #: 16384 Sobol points per round
_REL_STEP = 1e-6  #: relative step of the float finite differences


@dataclass
class ClaimResult:
    """The verdict on a claim.

    ``bool(result)`` is ``result.holds is True``.

    Attributes
    ----------
    text : str
        The claim as given.
    holds : bool or None
        True, False, or None when undecided.
    method : str
        ``"symbolic"``, ``"numeric"`` or ``"undecided"`` (``"mixed"`` for a
        conjunction decided by both).
    detail : str
        How it was established, in words.
    counterexample : dict or None
        For a false claim, the point and the values (at 50 digits).
    points : int
        Number of admissible points checked numerically: at least
        :data:`MIN_POINTS` for a sign claim, :data:`POINTS` for an equation.
    name, description, source : str
        For a registered claim: its identifier, the claim in words and where it is
        stated (empty otherwise).
    """

    text: str
    holds: bool | None
    method: str
    detail: str
    counterexample: dict | None = None
    points: int = 0
    name: str = ""
    description: str = ""
    source: str = ""

    def __bool__(self) -> bool:
        return bool(self.holds)

    def __str__(self) -> str:
        verdict = {True: "HOLDS", False: "FALSE", None: "UNDECIDED"}[self.holds]
        head = f"[{self.name}] " if self.name else ""
        lines = [f"{head}{verdict}: {self.text}"]
        if self.description:
            lines.append(f"  claim: {self.description}" + (f" [{self.source}]" if self.source
                                                            else ""))
        lines.append(f"  how: {self.method}: {self.detail}")
        if self.counterexample:
            ce = self.counterexample
            point = ", ".join(f"{k}={_fmt(v)}" for k, v in ce["point"].items())
            lines.append(f"  counterexample: {point}")
            lines.append("    " + ", ".join(f"{k} = {_fmt(v, 20)}" for k, v in ce.items()
                                            if k != "point"))
        return "\n".join(lines)


    def _repr_html_(self) -> str:
        """Jupyter display: the verdict in colour, the claim, its source, how it was
        established and any counterexample."""
        from .display import card

        ce = self.counterexample
        point = (", ".join(f"{k}={_fmt(v)}" for k, v in ce["point"].items()) + "; " +
                 ", ".join(f"{k} = {_fmt(v, 20)}" for k, v in ce.items() if k != "point")
                 if ce else "")
        title = (f"[{self.name}] " if self.name else "") + self.text
        return card(title, [("claim", self.description), ("source", self.source),
                            ("how", f"{self.method}: {self.detail}"),
                            ("counterexample", point)], self.holds)


def _fmt(v, digits: int = 8) -> str:
    try:
        return mpmath.nstr(mpmath.mpf(v), digits)
    except (TypeError, ValueError):
        return str(v)


@dataclass(frozen=True)
class Claim:
    """A named claim of the literature about a model.

    Attributes
    ----------
    name : str
        Identifier (``"opening_raises_cutoff"``).
    text : str
        The claim in the claim language (``"d phi_star/d tau < 0"``).
    description : str
        The claim in words.
    source : str
        Where it is stated.
    dists : tuple of str or None
        Distributions it is registered for (None: every one).
    """

    name: str
    text: str
    description: str
    source: str
    dists: tuple[str, ...] | None = None


SEED = "Epifani (2002), the seed document"
MELITZ = "Melitz (2003)"
ACR = "Arkolakis, Costinot and Rodriguez-Clare (2012)"
MO = "Melitz and Ottaviano (2008)"
KRUGMAN = "Krugman (1980)"
#: a CES producer's markup: price over marginal cost 1/phi (the same for every producer)
CES_MARKUP = "(phi*p(phi))"
#: the gains formula of ACR with the trade elasticity computed at the point
ACR_TEXT = "gains = lam^(1/elasticity((1 - lam)/(n*lam), tau))"

CLAIMS: dict[str, tuple[Claim, ...]] = {
    "krugman": (
        Claim("markup_unchanged", "d markup/d tau = 0 and d markup/d n = 0",
              "markups do not change with trade integration (lower tau, more partners)",
              f"{SEED}, Sec. 2.1, footnote 2"),
        Claim("firm_size_unchanged", "d q/d tau = 0 and d q/d n = 0",
              "firm size does not change with trade integration (no scale-efficiency gain "
              "with CES)", f"{SEED}, Sec. 2.1, footnote 2"),
        Claim("productivity_unchanged", "d q_per_l/d tau = 0 and d q_per_l/d n = 0",
              "labour productivity of firms does not change with trade integration",
              f"{SEED}, Sec. 2.1, footnote 2"),
        Claim("acr", ACR_TEXT, "gains from trade equal lam^(1/epsilon)", f"{ACR}, eq. (1)"),
        Claim("markup_unchanged_with_L", "d markup/d L = 0",
              "markups do not change with market size", f"{SEED}, Sec. 2.1"),
        Claim("welfare_rises_with_L", "d W/d L > 0",
              "welfare rises with market size (more varieties)", f"{KRUGMAN}; {SEED}, Sec. 2.1"),
    ),
    "cournot": (
        Claim("markup_falls", "d markup/d L < 0",
              "markups fall with market size (pro-competitive effect), hence with the trade "
              "integration of identical countries (a rise in L)", f"{SEED}, Sec. 2"),
        Claim("firm_size_rises", "d q/d L > 0",
              "firm size rises with market size", f"{SEED}, Sec. 2"),
        Claim("labour_productivity_rises", "d q_per_l/d L > 0",
              "labour productivity q/l rises with market size (scale-efficiency gain)",
              f"{SEED}, Sec. 2"),
        Claim("welfare_rises_with_L", "d W/d L > 0",
              "welfare rises with market size", f"{SEED}, Sec. 2"),
    ),
    "melitz": (
        Claim("opening_raises_cutoff", "phi_star > phi_star_A",
              "opening to trade raises the domestic cutoff (the least productive firms exit)",
              f"{MELITZ}, Prop. 1; {SEED}, Sec. 2.1"),
        Claim("exporters_more_productive", "phi_x_star > phi_star and phi_tilde_x > phi_tilde",
              "exporters are more productive than non-exporters",
              f"{SEED}, Sec. 2.1 (Bernard and Jensen 1999)"),
        Claim("exporters_larger", "r_d(phi_tilde_x) + n*r_x(phi_tilde_x) > r_bar",
              "the average exporter sells more than the average producer, hence more than "
              "the average non-exporter", f"{SEED}, Sec. 2.1 (Bernard and Jensen 1999)"),
        Claim("share_to_exporters", "d (M_x*(r_d(phi_tilde_x) + n*r_x(phi_tilde_x))/R)/d tau < 0",
              "market share moves towards exporters as trade costs fall",
              f"{MELITZ}, Prop. 3; {SEED}, Sec. 2.1"),
        Claim("productivity_rises", "d phi_tilde/d tau < 0",
              "average productivity of producers rises as tau falls",
              f"{MELITZ}, Sec. 5; {SEED}, Sec. 2.1"),
        Claim("welfare_rises", "gains > 1 and d W/d tau < 0",
              "welfare rises with opening and as trade costs fall", f"{MELITZ}, Sec. 5"),
        Claim("no_trade_costs_like_krugman", "phi_tilde = phi_tilde_A when tau = 1, f_x = 0",
              "without trade costs opening leaves average productivity unchanged, as in "
              "Krugman (1980)", f"{SEED}, Sec. 2.1; {MELITZ}, Sec. 4"),
        Claim("acr", ACR_TEXT, "gains from trade equal lam^(1/epsilon) with the trade "
              "elasticity epsilon (ACR)", f"{ACR}, eq. (1)"),
        Claim("acr_pareto", "gains = lam^(-1/k)",
              "under Pareto the gains are lam^(-1/k)", f"{ACR}; Melitz and Redding (2015)",
              dists=("pareto",)),
        Claim("markup_unchanged", f"d {CES_MARKUP}/d L = 0 and d {CES_MARKUP}/d tau = 0 and "
              f"d {CES_MARKUP}/d n = 0",
              "every producer's markup, price over marginal cost 1/phi, does not change with "
              "market size or trade integration", f"{SEED}, Sec. 2.1 and footnote 2"),
        Claim("selection_unchanged_with_L", "d phi_star/d L = 0 and d phi_tilde/d L = 0",
              "the cutoff and average productivity do not change with market size",
              f"{MELITZ}, Sec. 4 (the cutoff equation is free of L); {MO}, Sec. 1"),
        Claim("welfare_rises_with_L", "d W/d L > 0",
              "welfare rises with market size", f"{MELITZ}, Sec. 4"),
    ),
    "melitz-ottaviano": (
        Claim("markup_falls_with_L", "d markup_bar/d L < 0",
              "the average markup falls with market size (pro-competitive effect)",
              f"{MO}, Sec. 3.3; {SEED}"),
        Claim("markup_falls_with_trade", "d markup_bar/d tau >= 0 and d markup_bar/d n < 0",
              "the average markup falls with trade liberalisation: more partners lower it, "
              "and a lower tau never raises it (it lowers it when there are partners, n > 0: "
              "in autarky tau does not matter)", f"{MO}, Sec. 5"),
        Claim("cutoff_falls_with_L", "d c_D/d L < 0 and d c_bar/d L < 0",
              "the cost cutoff and average cost fall with market size: average productivity "
              "rises (selection)", f"{MO}, Sec. 3.3"),
        Claim("price_falls_with_L", "d p_bar/d L < 0",
              "the average price falls with market size", f"{MO}, Sec. 3.3"),
        Claim("welfare_rises_with_L", "d W/d L > 0",
              "welfare per consumer rises with market size", f"{MO}, Sec. 3.3"),
        Claim("welfare_rises_with_trade", "gains > 1 and d W/d tau < 0",
              "welfare rises with opening and as trade costs fall", f"{MO}, Sec. 5"),
    ),
}


#: The seed's pro-competitive statements side by side: name -> (the statement in words,
#: {model: the statement in that model's outputs}).  Cournot's one market has no trade
#: cost: integrating identical countries is a rise in L.
PRO_COMPETITIVE: dict[str, tuple[str, dict[str, str]]] = {
    "markup_falls_with_L": ("the average markup falls with market size L", {
        "krugman": "d markup/d L < 0", "cournot": "d markup/d L < 0",
        "melitz": f"d {CES_MARKUP}/d L < 0", "melitz-ottaviano": "d markup_bar/d L < 0"}),
    "markup_falls_with_trade": (
        "the average markup falls with trade liberalisation: more partners n lower it and a "
        "lower tau never raises it (Cournot: integration is a rise in L)", {
            "krugman": "d markup/d tau >= 0 and d markup/d n < 0",
            "cournot": "d markup/d L < 0",
            "melitz": f"d {CES_MARKUP}/d tau >= 0 and d {CES_MARKUP}/d n < 0",
            "melitz-ottaviano": "d markup_bar/d tau >= 0 and d markup_bar/d n < 0"}),
    "productivity_rises_with_L": (
        "average productivity rises with L: the cutoff selects more productive producers "
        "(heterogeneous firms); labour productivity q/l (representative firm)", {
            "krugman": "d q_per_l/d L > 0", "cournot": "d q_per_l/d L > 0",
            "melitz": "d phi_star/d L > 0 and d phi_tilde/d L > 0",
            "melitz-ottaviano": "d c_D/d L < 0 and d c_bar/d L < 0"}),
    "welfare_rises_with_L": ("welfare rises with market size L", {
        m: "d W/d L > 0" for m in ("krugman", "cournot", "melitz", "melitz-ottaviano")}),
}


def pro_competitive(names: Iterable[str] | None = None) -> dict[str, dict[str, ClaimResult]]:
    """Decide the statements of :data:`PRO_COMPETITIVE` (all, or those named) in each model
    (built-in, Pareto).

    Each statement is a sign of a derivative of an equilibrium output (the average
    markup, average productivity, welfare) with respect to ``L``, ``n`` or ``tau``,
    written in each model's outputs and decided by :func:`claim`.

    Parameters
    ----------
    names : iterable of str or None
        Keys of :data:`PRO_COMPETITIVE`; None decides all.

    Returns
    -------
    dict
        Statement -> model name -> :class:`ClaimResult` (a proof, or a refutation
        with a counterexample).
    """
    out = {}
    for name in names or PRO_COMPETITIVE:
        words, texts = PRO_COMPETITIVE[name]
        out[name] = {}
        for model, text in texts.items():
            result = claim(model, text)
            result.name, result.description = name, words
            out[name][model] = result
    return out


def claims(model) -> list[Claim]:
    """The registered claims of ``model``: statements of the literature about it.

    Parameters
    ----------
    model : Model or str
        A model, or a registry name (Pareto distribution).

    Returns
    -------
    list of Claim
        The claims registered for its name and distribution (:data:`CLAIMS`).
    """
    ctx = context(model)
    dist = ctx.model.dist.name if ctx.model.dist is not None else None
    return [c for c in CLAIMS.get(ctx.model.name, ()) if c.dists is None or dist in c.dists]


def check_claims(model, names: Iterable[str] | None = None) -> list[ClaimResult]:
    """Check the registered claims of ``model`` (all, or those named).

    Parameters
    ----------
    model : Model or str
        A model, or a registry name (Pareto distribution).
    names : iterable of str or None
        Names of registered claims (:func:`claims`); None checks all.

    Returns
    -------
    list of ClaimResult
        One verdict per claim, with its name, description and source.

    Raises
    ------
    MelitzError
        For a name that is not a registered claim of the model.
    """
    registered = claims(model)
    if names is not None:
        names = list(names)
        unknown = [n for n in names if n not in {c.name for c in registered}]
        if unknown:
            raise MelitzError(f"no claim {unknown[0]!r} for {context(model).model.name}; "
                              f"claims are: {', '.join(c.name for c in registered)}")
        registered = [c for c in registered if c.name in names]
    out = []
    for c in registered:
        result = claim(model, c.text)
        result.name, result.description, result.source = c.name, c.description, c.source
        out.append(result)
    return out


# ---------------------------------------------------------------------------------
# One claim
# ---------------------------------------------------------------------------------
def claim(model, text: str) -> ClaimResult:
    """Decide the claim ``text`` in ``model``.

    A sign claim (``d y/d x < 0``, ``y > z``) is proved symbolically where the
    difference, differentiated in closed form, has a sign sympy reads off after the
    reparametrisation ``sigma = 1 + z``, ``k = z + e`` and a slack variable for each
    strict restriction; otherwise it is checked at :data:`MIN_POINTS` Sobol points of
    the admissible domain (derivatives by central differences), and a violation is
    confirmed at 50 digits before it is reported as a counterexample.  An equation
    is decided by :func:`melitz_sym.verify`; ``y = y_A when c1, c2`` (``y`` equals
    its autarky value under the conditions) is proved in the generic layer of the
    derivation; ``A and B`` holds when both do (see the module docstring).

    Parameters
    ----------
    model : Model or str
        A model, or a registry name (Pareto distribution).
    text : str
        The claim in the claim language (``"d phi_star/d tau < 0"``).

    Returns
    -------
    ClaimResult
        Whether it holds, how that was established and any counterexample.

    Examples
    --------
    >>> claim("melitz", "d phi_star/d tau < 0")  # doctest: +SKIP
    """
    ctx = context(model)
    parts = [p.strip() for p in re.split(r"\band\b", text.split(" when ")[0])]
    if " when " in text:
        if len(parts) != 1:
            raise ParseError("a claim with 'when' states one invariance")
        return _invariance(ctx, text)
    results = [_one(ctx, p) for p in parts]
    if len(results) == 1:
        result = results[0]
        result.text = text
        return result
    holds = (False if any(r.holds is False for r in results)
             else None if any(r.holds is None for r in results) else True)
    failing = next((r for r in results if r.holds is False), None)
    methods = {r.method for r in results}
    method = methods.pop() if len(methods) == 1 else "mixed"
    detail = "; ".join(f"{r.text}: {r.detail}" for r in results)
    return ClaimResult(text, holds, method, detail,
                       failing.counterexample if failing is not None else None,
                       max(r.points for r in results))


def _one(ctx: Context, text: str) -> ClaimResult:
    rel = parse(text)
    if isinstance(rel, sp.Eq):
        v = verify(ctx.model, rel)
        ce = None
        if v.counterexample is not None:
            ce = {"point": v.counterexample["point"], "lhs": v.counterexample["lhs"],
                  "rhs": v.counterexample["rhs"]}
        detail = v.detail + (f"; holds only under {v.condition}" if v.condition else "")
        return ClaimResult(text, v.holds, v.method, detail, ce, v.points)
    if not isinstance(rel, (sp.StrictLessThan, sp.StrictGreaterThan, sp.LessThan,
                            sp.GreaterThan)):
        raise ParseError(f"a claim is a relation (<, >, <=, >=, =): {text!r}")
    ctx.check_symbols(rel.lhs - rel.rhs)
    # positive == "lhs - rhs > 0" is claimed
    sign = 1 if isinstance(rel, (sp.StrictGreaterThan, sp.GreaterThan)) else -1
    strict = isinstance(rel, (sp.StrictLessThan, sp.StrictGreaterThan))
    expr = ctx.expand(rel.lhs - rel.rhs) * sign
    proof = _prove_sign(ctx, expr, strict) or _prove_sign_through_cutoff(ctx, expr, strict)
    if proof is not None:
        return ClaimResult(text, True, "symbolic", proof)
    if strict and _identically_zero(ctx, expr):
        point = ctx.points(1)[0][0] if ctx.points(1) else None
        return ClaimResult(text, False, "symbolic", "refuted symbolically: the closed form of "
                           "lhs - rhs is identically zero, so the strict inequality fails at "
                           "every admissible point (one is shown)",
                           {"point": point, "lhs - rhs": 0} if point else None)
    return _numeric_sign(ctx, text, expr, strict, sign)


# ---------------------------------------------------------------------------------
# Symbolic sign
# ---------------------------------------------------------------------------------
def _slacks(ctx: Context, squared: bool = False) -> dict:
    """Substitutions making strict restrictions hold by construction: ``big > small``
    becomes ``s = small/(big/s) (1 + w)`` for a symbol ``s`` of ``big``, ``w > 0``; with
    ``squared``, ``(1 + w)^2`` (a restriction that enters under a square root, as
    Cournot's ``L sigma > f`` in ``n = (L/(sigma f))^(1/2)``, then leaves it)."""
    out = {}
    for i, r in enumerate(ctx.d.restrictions):
        cond = r.condition
        if not isinstance(cond, sp.StrictGreaterThan) or cond.rhs == 0:
            continue
        big, small = cond.lhs, cond.rhs
        for s in sorted(big.free_symbols, key=lambda s: s.name):
            if s.name in ("sigma", "k") or s in out:
                continue
            if sp.degree(big, s) == 1 and sp.diff(big, s).free_symbols.isdisjoint({s}) and \
                    small.free_symbols.isdisjoint({s}) and (big / s).is_positive:
                w = sp.Symbol(f"slack{i}", positive=True)
                out[s] = small / (big / s) * (1 + w) ** (2 if squared else 1)
                break
    return out


def _prove_sign(ctx: Context, expr: sp.Expr, strict: bool) -> str | None:
    """A description of a proof that ``expr > 0`` (``>= 0``), or None."""
    closed = _within_budget(ctx.closed(expr))
    if closed is None:
        return None
    try:
        tau = sym("tau")
        t = sp.Symbol("t", positive=True)
        for squared in (None, False, True):  # None: the sign without a slack variable
            z = closed.xreplace(_slacks(ctx, squared) if squared is not None else {})
            for with_k in (True, False):
                cand = shifted(z, with_k)
                if tau in cand.free_symbols:
                    cand = cand.subs(tau, 1 + t)
                if sp.count_ops(cand) > SIGN_MAX_OPS:
                    continue
                for form in (cand, sp.factor(sp.powsimp(sp.cancel(cand), force=True))):
                    if form.is_positive or (not strict and form.is_nonnegative):
                        return ("proved symbolically: the closed form of the difference is "
                                f"{'positive' if strict else 'nonnegative'} under the model's "
                                "restrictions (sigma = 1 + z, "
                                "k = z + e, tau = 1 + t, slack variables for strict "
                                "restrictions" + {None: " not needed", False: "",
                                                  True: ", squared"}[squared] + ")")
    except (TypeError, ValueError, NotImplementedError, sp.PolynomialError):
        return None
    return None


def _sign_on_cutoff_range(ctx: Context, expr: sp.Expr) -> int:
    """+1 or -1 if ``expr`` (in the parameters and the cutoff c) has that sign for every
    c in the range the restrictions keep it in, 0 if sympy cannot tell.

    The range is ``support_lower < c < u`` for each ``u`` of the derivation's
    ``cutoff_upper``; one bound suffices: ``c = u/(1 + w)`` (``w > 0``), or
    ``c = support_lower (1 + w)`` above a positive lower end, ``c > 0`` otherwise.
    """
    c, w = ctx.d.cutoff, sp.Symbol("w", positive=True)
    lower = ctx.d.support_lower
    forms = [u / (1 + w) for u in ctx.d.cutoff_upper]
    forms.append(lower * (1 + w) if lower.is_positive else sp.Symbol(c.name, positive=True))
    for form in forms:
        at = expr.xreplace({c: form})
        if sp.count_ops(at) > SIGN_MAX_OPS:
            continue
        signed = sp.factor(sp.cancel(at))
        if signed.is_positive:
            return 1
        if signed.is_negative:
            return -1
    return 0


def _prove_sign_through_cutoff(ctx: Context, expr: sp.Expr, strict: bool) -> str | None:
    """A proof that ``expr = +-dF/dp > 0`` by the chain rule through the cutoff c, or None.

    Where ``F`` written in the cutoff (:meth:`Context.generic`) depends on ``p`` only
    through ``c``, ``dF/dp = (dF/dc)(dc/dp)``: the sign of ``dc/dp`` is proved on the
    closed form of the cutoff and that of ``dF/dc`` on the cutoff's admissible range
    (:func:`_sign_on_cutoff_range`), the way Melitz and Ottaviano (2008) sign welfare
    through ``c_D``.  Strict inequalities only.
    """
    coeff, rest = expr.as_coeff_Mul()
    c = ctx.d.cutoff
    if (not strict or c is None or abs(coeff) != 1 or not isinstance(rest, sp.Derivative)
            or len(rest.variables) != 1):
        return None
    p = rest.variables[0]
    F = ctx.generic(rest.expr)
    if c not in F.free_symbols or p in F.free_symbols:
        return None
    dc = sp.Derivative(c, p)
    if _prove_sign(ctx, dc, True):
        dc_sign = 1
    elif _prove_sign(ctx, -dc, True):
        dc_sign = -1
    else:
        return None
    dF_sign = _sign_on_cutoff_range(ctx, sp.diff(F, c))
    if dF_sign == 0 or int(coeff) * dF_sign * dc_sign != 1:
        return None
    rel = {1: "> 0", -1: "< 0"}
    return (f"proved symbolically through the cutoff: d{rest.expr}/d{p} = "
            f"(d{rest.expr}/d{c})(d{c}/d{p}), with d{c}/d{p} {rel[dc_sign]} (closed form) "
            f"and d{rest.expr}/d{c} {rel[dF_sign]} on the cutoff's admissible range")


def _identically_zero(ctx: Context, expr: sp.Expr) -> bool:
    """Whether sympy proves the closed form of ``expr`` (derivatives done) zero; as for a
    sign, only up to :data:`SIGN_MAX_OPS` operations, counted with the derivatives done
    (d phi_star/d sigma of ``melitz``, 197 operations, 17 generators, kept sympy's
    cancel busy for minutes)."""
    closed = _within_budget(ctx.closed(expr))
    return closed is not None and is_zero_symbolic(closed)


def _within_budget(closed: sp.Expr | None) -> sp.Expr | None:
    """``closed`` with its derivatives done, if it then has at most :data:`SIGN_MAX_OPS`
    operations and no integral or derivative left, else None: the operation budget of
    every symbolic attempt.  Counted after the derivatives: d phi_star/d sigma of
    ``melitz`` is a few operations as a Derivative and 197 once done, and sympy's
    factor and cancel on it and its shifted forms took 22 s (over 60 s under load)."""
    if closed is None or sp.count_ops(closed) > SIGN_MAX_OPS:
        return None
    closed = closed.replace(lambda e: isinstance(e, sp.Derivative), lambda e: e.doit())
    if sp.count_ops(closed) > SIGN_MAX_OPS or closed.has(sp.Integral, sp.Derivative):
        return None
    return closed


# ---------------------------------------------------------------------------------
# Numeric sign over the admissible domain
# ---------------------------------------------------------------------------------
def domain_points(ctx: Context, count: int = MIN_POINTS, seed: int = 2003) -> dict:
    """At least ``count`` admissible, interior points of the sampling box (Sobol).

    Returns
    -------
    dict parameter name -> float array.
    """
    import numpy as np
    from scipy.stats import qmc

    box = ctx.d.sampler.box
    names = [p.name for p in ctx.params]
    sobol = qmc.Sobol(len(names), scramble=True, seed=seed)
    chunks = []
    total = 0
    for r in range(4):  # 2^14, 2^14, 2^15, 2^16 points: a power of 2 drawn in all
        u = sobol.random_base2(_SOBOL_LOG2 + max(r - 1, 0))
        values = {n: box[n][0] + u[:, i] * (box[n][1] - box[n][0])
                  for i, n in enumerate(names)}
        ok = _interior(ctx, values)
        chunks.append({n: v[ok] for n, v in values.items()})
        total += int(ok.sum())
        if total >= count:
            break
    if total < count:
        raise MelitzError(f"only {total} admissible points found in the sampling box of "
                          f"{ctx.model.name}")
    return {n: np.concatenate([c[n] for c in chunks]) for n in names}


def _interior(ctx: Context, values: Mapping) -> object:
    """Mask of admissible points whose cutoffs lie inside the support: ``solve`` with
    ``errors="nan"`` applies the corner rule (:func:`melitz_sym.admissibility.corner_mask`)
    and returns nan at a corner."""
    import numpy as np

    from .numeric.fast import admissible_mask

    ok, _ = admissible_mask(ctx.d, values)
    if ctx.model.dist is None or "phi_star" not in ctx.d.outputs:
        return ok
    with np.errstate(all="ignore"):
        out = ctx.model.solve(["phi_star"], errors="nan", **values)
    return ok & np.isfinite(out["phi_star"])


def evaluate_np(ctx: Context, expr: sp.Expr, values: Mapping) -> object:
    """``expr`` (outputs, autarky outputs, derivatives) at arrays of parameters."""
    import numpy as np

    values = dict(values)
    for i, der in enumerate(sorted(expr.atoms(sp.Derivative), key=sp.count_ops,
                                   reverse=True)):
        if der not in expr.atoms(sp.Derivative):
            continue
        (x, order), = der.variable_count
        if order != 1 or x.name not in values:
            raise UndeterminedError(f"derivatives are taken once, with respect to a "
                                    f"parameter: {der}")
        base = np.asarray(values[x.name], float)
        h = _REL_STEP * np.maximum(np.abs(base), 1.0)
        up, down = dict(values), dict(values)
        up[x.name] = base + h
        down[x.name] = base - h
        lower_edge = False
        if x.name == "tau":  # tau >= 1: one-sided at the boundary
            lower_edge = base - h < 1
            down[x.name] = np.where(lower_edge, base, base - h)
        diff = (evaluate_np(ctx, der.expr, up) - evaluate_np(ctx, der.expr, down))
        placeholder = sp.Symbol(f"_derivative{i}")
        values[placeholder.name] = diff / np.where(lower_edge, h, 2 * h)
        expr = expr.xreplace({der: placeholder})
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    needed = sorted({s.name for s in syms if s.name in ctx.d.outputs})
    autarky = sorted({autarky_base(s) for s in syms if autarky_base(s) in ctx.d.outputs})
    with np.errstate(all="ignore"):
        solved = ctx.model.solve(needed, errors="nan", **_params(ctx, values)) if needed else {}
        if autarky:
            zero = dict(_params(ctx, values), n=np.zeros_like(values["n"]))
            solved.update({f"{k}_A": v for k, v in
                           ctx.model.solve(autarky, errors="nan", **zero).items()})
        args = [values[s.name] if s.name in values else solved[s.name] for s in syms]
        fn = sp.lambdify(syms, expr, modules=["scipy", "numpy"])
        return np.asarray(fn(*args), float)


def _params(ctx: Context, values: Mapping) -> dict:
    return {p.name: values[p.name] for p in ctx.params}


def _numeric_sign(ctx: Context, text: str, expr: sp.Expr, strict: bool,
                  sign: int) -> ClaimResult:
    """Check ``expr > 0`` (``>= 0``) over the domain; ``expr = sign (lhs - rhs)``."""
    import numpy as np

    values = domain_points(ctx)
    result = evaluate_np(ctx, expr, values)
    finite = np.isfinite(result)
    count = int(finite.sum())
    bad = np.flatnonzero(finite & ((result <= 0) if strict else (result < 0)))
    # confirm candidate violations at 50 digits, worst first
    for idx in bad[np.argsort(result[bad])][:3]:
        point = {n: repr(float(v[idx])) for n, v in values.items()}
        high = _high_precision(ctx, expr, point)
        if high is not None and (high <= 0 if strict else high < 0):
            return ClaimResult(text, False, "numeric",
                               f"violated at a point of the admissible domain (found among "
                               f"{count} Sobol points, confirmed at 50 digits)",
                               {"point": point, "lhs - rhs": high * sign}, count)
    if count < MIN_POINTS:
        return ClaimResult(text, None, "undecided",
                           f"only {count} points could be evaluated", points=count)
    note = (f"; {len(bad)} points violate it in double precision, and the worst "
            f"{min(len(bad), 3)} of them satisfy it when re-checked at 50 digits (rounding "
            "noise)") if len(bad) else ""
    return ClaimResult(text, True, "numeric",
                       f"holds at all {count} admissible points of a Sobol sample of the "
                       f"domain{note}", points=count)


def _high_precision(ctx: Context, expr: sp.Expr, point: Mapping[str, str]):
    """``expr`` at one point at 50 digits, or None if the point is not usable."""
    try:
        outputs = ctx.model.evaluate(dps=50, **point)
        return value_at(ctx, expr, (point, outputs, {}))
    except (MelitzError, ValueError, ZeroDivisionError):
        return None


# ---------------------------------------------------------------------------------
# Invariance under a limiting condition, in the generic layer
# ---------------------------------------------------------------------------------
def _invariance(ctx: Context, text: str) -> ClaimResult:
    """``Y = Y_A when c1, c2``: Y is unchanged by opening under the conditions.

    Proof: the cutoff equation of the generic derivation (``f j(phi*) + n f_x
    j(phi_x*) = delta f_e`` with j undefined) under the conditions equals its
    autarky form (n = 0), so the cutoff is the autarky cutoff; and Y's defining
    step depends on the cutoff and on parameters unaffected by the conditions.
    """
    head, cond_text = text.split(" when ", 1)
    rel = parse(head)
    if not isinstance(rel, sp.Eq):
        raise ParseError(f"an invariance claim reads 'Y = Y_A when ...': {text!r}")
    conditions = {}
    for part in cond_text.split(","):
        c = parse(part)
        if not isinstance(c, sp.Eq) or not isinstance(c.lhs, sp.Symbol):
            raise ParseError(f"a condition reads 'name = value': {part.strip()!r}")
        conditions[c.lhs] = c.rhs
    y, y_a = rel.lhs, rel.rhs
    if not (isinstance(y, sp.Symbol) and autarky_base(y_a) == y.name):
        raise ParseError(f"an invariance claim reads 'Y = Y_A when ...': {text!r}")
    d, n = ctx.d, sym("n")
    if "cutoff_equation" not in d.steps:
        raise UndeterminedError(f"{ctx.model.name} has no cutoff equation")
    defining = [s for s in d if isinstance(s.eq, sp.Eq) and s.eq.lhs == y]
    if not defining:
        raise UndeterminedError(f"{ctx.model.name} has no step defining {y.name}")
    cutoff = d["cutoff_equation"]
    res = cutoff.lhs - cutoff.rhs
    same_cutoff = is_zero_symbolic(res.subs(conditions) - res.subs(n, 0))
    y_expr = defining[0].eq.rhs
    touched = set(conditions) | {n, sym("phi_x_star")}
    same_y = not (y_expr.free_symbols & touched)
    if same_cutoff and same_y:
        return ClaimResult(text, True, "symbolic",
                           f"proved symbolically in the generic layer (any distribution): "
                           f"under {cond_text.strip()} the cutoff equation "
                           f"(step 'cutoff_equation') reduces to its autarky form (n = 0), "
                           f"so phi* is the autarky cutoff, and {y.name} (step "
                           f"{defining[0].name!r}) depends only on phi* and parameters the "
                           "conditions leave unchanged")
    why = ("the cutoff equation differs from autarky" if not same_cutoff
           else f"{y.name} depends on {sorted(s.name for s in y_expr.free_symbols & touched)}")
    return ClaimResult(text, False, "symbolic", f"not invariant: {why}")


__all__ = ["CLAIMS", "PRO_COMPETITIVE", "Claim", "ClaimResult", "MIN_POINTS", "POINTS",
           "check_claims", "claim", "claims", "domain_points", "evaluate_np", "pro_competitive"]
