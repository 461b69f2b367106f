r"""Independent high-precision reference: quadrature of the primitives and root finding.

This path never uses the closed forms, nor the survival function and tail
moment that sympy integrated.  It takes the *generic* layer of a derivation
(the steps in which :math:`S(x) = \int_x^{\bar\varphi} g` and
:math:`V(x) = \int_x^{\bar\varphi} t^{\sigma-1} g(t)\,dt` are still undefined
functions) and evaluates it at ``dps`` digits with

* :math:`S` and :math:`V` computed by ``mpmath.quad`` from the declared
  density :math:`g` (:meth:`Distribution.pdf`), after the change of variables
  :math:`t = x e^{u_0 + w v}` that centres the integrand
  :math:`t^{a+1} g(t)` (a function of :math:`u = \log(t/x)`) on its peak and
  scales it by its width, so that tanh-sinh quadrature converges even for
  tails as slow as :math:`t^{-1-10^{-12}}`;
* the cutoff equation :math:`f j(\varphi^*) + n f_x j(\varphi_x^*) = \delta f_e`
  solved in :math:`y = \log\varphi^*` by a bracketed, safeguarded Newton
  iteration, first at 20 digits, then polished at ``dps + 10`` digits.  The
  derivative comes from sympy with :math:`S' = -g` and :math:`V' = -x^{a} g`
  (fundamental theorem of calculus), so it costs no extra quadrature;
* every output from its generic step (``p_in``, ``M``, ``price_index``, ...)
  and ``gains`` as :math:`W / W_A` with the autarky cutoff (``n = 0``)
  solved separately.

Krugman (1980) has no integral: its free-entry condition and the definition of
the demand shifter are solved by ``findroot`` for :math:`A` and :math:`P`.  The
Cournot model's symmetric first-order condition is solved for the number of firms
(:func:`reference_cournot`).

Parameters are converted exactly (strings and integers to ``mpf``, floats at
their exact binary value, ``Rational`` as a quotient); float literals in a
Custom density are replaced by their exact rational value before ``lambdify``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import mpmath
import sympy as sp

from ..derivation import Derivation
from ..distributions import Distribution
from ..errors import AdmissibilityError, NumericalError
from ..symbols import sym
from ..tails import S, V
from .cost_reference import reference_cost  # noqa: F401  (Plan.reference names it here)
from .precise import spread, to_mpf
from .rootfind import NO_SELECTION, beyond_range, newton_in_bracket
from .tail_quadrature import BRACKET_STEPS, Tails, mp_lambdify


# ----- the Melitz system in the generic layer ------------------------------------
#: Cutoffs above phi* (name, the step that gives it in terms of phi*), where derived.
EXTRA_CUTOFFS = (("phi_x_star", "export_cutoff"), ("phi_I_star", "fdi_cutoff"))


@dataclass(frozen=True)
class _System:
    """Generic cutoff residual, its derivative and the outputs, compiled for mpmath.

    Their arguments (``args``) are the cutoffs (phi* first), the tails S, V and
    the density g at each cutoff, then the parameters; ``above`` gives the
    cutoffs after phi* from phi* and the parameters; ``home`` names the outputs
    without a tail at those cutoffs."""

    args: tuple
    cutoffs: tuple
    residual: object
    dresidual: object
    above: object
    outputs: dict
    home: frozenset


_SYSTEMS: dict[int, tuple[Derivation, _System]] = {}


def _system(d: Derivation) -> _System:
    """The compiled generic system of ``d`` (cached per derivation object)."""
    hit = _SYSTEMS.get(id(d))
    if hit is None or hit[0] is not d:
        hit = _SYSTEMS[id(d)] = (d, _compile_system(d))
    return hit[1]


def _compile_system(d: Derivation) -> _System:
    phi_s, sigma = d.cutoff, sym("sigma")
    extra = [(sym(name), d[step].rhs) for name, step in EXTRA_CUTOFFS if step in d.steps]
    cutoffs = [phi_s] + [c for c, _ in extra]
    tails = [sp.symbols(f"S_{i} V_{i} g_{i}", positive=True) for i in range(1, len(cutoffs) + 1)]
    a = sigma - 1

    def plain(e):
        return e.xreplace({f(c): t for c, (S_i, V_i, _) in zip(cutoffs, tails)
                           for f, t in ((S, S_i), (V, V_i))})

    eq = d["cutoff_equation"]
    res = plain(eq.lhs - eq.rhs)

    def total(c, S_i, V_i, g_i):
        """d res / d c with S' = -g and V' = -c^a g (fundamental theorem of calculus)."""
        return sp.diff(res, c) - sp.diff(res, S_i) * g_i - sp.diff(res, V_i) * c**a * g_i

    dres = total(phi_s, *tails[0]) + sp.Add(*[total(c, *t) * sp.diff(of, phi_s)
                                              for (c, of), t in zip(extra, tails[1:])])
    outs = {}
    for name in d.outputs:
        if name in ("phi_star", "gains"):
            continue
        step = d.steps.get(d.defines.get(name, name))
        if step is not None and step.eq.lhs == sym(name):
            outs[name] = step.eq.rhs  # outputs without a generic step are left out
    for c in cutoffs:
        outs.pop(c.name, None)  # arguments of the compiled expressions
    for name, e in outs.items():  # resolve outputs defined through other outputs
        while e.free_symbols & {sym(k) for k in outs}:
            e = e.xreplace({sym(k): v for k, v in outs.items()})
        outs[name] = plain(e)
    args = tuple(cutoffs) + tuple(x for t in tails for x in t) + tuple(d.parameters)
    above = {x for t in tails[1:] for x in t}
    return _System(args, tuple(cutoffs), mp_lambdify(args, res), mp_lambdify(args, dres),
                   mp_lambdify((phi_s,) + tuple(d.parameters), sp.Tuple(*[of for _, of in extra])),
                   {k: mp_lambdify(args, e) for k, e in outs.items()},
                   frozenset(k for k, e in outs.items() if not e.free_symbols & above))


def _tail_values(tails: Tails, a, x) -> list:
    """S(x), V(x) and g(x): two quadratures and the density."""
    return [tails.integral(x, 0), tails.integral(x, a), tails.g(x)]


def _solve_cutoff(sys: _System, tails: Tails, a, params: list, dps: int,
                  exporters: bool = True) -> list:
    """Root of the cutoff equation in y = log(phi*).

    Bracket (the residual decreases in phi*), safeguarded Newton-bisection at 20
    digits, then Newton at ``dps + 10`` digits until the step is below
    10^-(dps+2) (two or three steps: convergence is quadratic).  Returns the
    arguments of the compiled expressions at the root.  ``exporters=False``
    (for n = 0 only) skips the quadratures at the cutoffs above phi*, whose
    terms are then multiplied by n = 0.  Where such a cutoff is at or above the
    upper end of a bounded support (the bracket's search goes there) its
    tails are 0 and their generic expressions 0/0: they are evaluated with
    tails of 2^-(prec + 64) instead, a term far below the working precision.
    """
    ones = [mpmath.mpf(1)] * 3

    def evaluate(y):
        phi = mpmath.exp(y)
        above = sys.above(phi, *params)
        home = _tail_values(tails, a, phi)
        if not home[0]:  # phi* at or above the support's upper end: nobody produces,
            return None, mpmath.mpf(-1), mpmath.mpf(0)  # the residual is -delta f_e
        args = [phi, *above, *home]
        for c in above:
            t = _tail_values(tails, a, c) if exporters and c else ones
            if not t[0]:  # beyond the support: nobody in this group
                t = [mpmath.ldexp(1, -(mpmath.mp.prec + 64))] * 2 + [mpmath.mpf(0)]
            args += t
        args += params
        return args, sys.residual(*args), sys.dresidual(*args) * phi

    with mpmath.workdps(20):
        lo = mpmath.log(tails.lower) if tails.lower > 0 else mpmath.mpf(0)
        args, r, _ = evaluate(lo)
        if r <= 0:
            if tails.lower > 0:
                _refuse_selection(sys, args, tails.lower)
            step = mpmath.mpf(1)
            for _ in range(BRACKET_STEPS):  # down to phi* ~ exp(-LOG_RANGE)
                if beyond_range(lo):
                    raise beyond_range(lo)
                if evaluate(lo)[1] > 0:
                    break
                lo, step = lo - step, 2 * step
            else:
                raise AdmissibilityError("the cutoff equation has no root: entry breaks "
                                         "even at every productivity level")
        hi, step = lo + 1, mpmath.mpf(1)
        while evaluate(hi)[1] > 0:
            lo, hi, step = hi, hi + 2 * step, 2 * step
            if beyond_range(hi):
                raise beyond_range(hi)
        return newton_in_bracket(evaluate, lo, hi, dps)


def _refuse_selection(sys: _System, args: list | None, lower) -> None:
    r"""Refuse parameters whose cutoff residual at the support's lower end (``args``, or
    None where nobody produces there) is not positive: "no selection" where that
    sign survives a relative change of
    :math:`10^{-(d-5)}` (d the working digits) in any one tail value, a NumericalError
    where it does not.  The residual's terms can cancel there: for a Pareto
    distribution :math:`f(V(b)/b^a - S(b)) = f\,a/(k-a)`, 3.2e-137 at
    :math:`k = 8.8\cdot 10^{136}`, is 0 at 20 digits, while :math:`\delta f_e = 10^{-303}`
    is smaller still: the cutoff is above b, :math:`\log(\varphi^*/b) = 4.4\cdot 10^{-135}`,
    and the outputs' condition number in :math:`\log\varphi^*` is k (:math:`p_{in} = S`),
    beyond what the bracket and its polish resolve."""
    n = len(sys.cutoffs)
    eps = mpmath.mpf(10) ** (5 - mpmath.mp.dps)
    tails = range(n, 4 * n) if args is not None else ()  # None: its tails are 0 in the
    for i in tails:  # quadrature (k = 1e308 makes the truncated Pareto a spike at b)
        for change in (1 + eps, 1 - eps):
            moved = args[:i] + [args[i] * change] + args[i + 1:]
            if sys.residual(*moved) > 0:
                raise NumericalError(
                    "reference: the sign of the cutoff equation at the lower end of "
                    f"the support, {mpmath.nstr(lower, 8)}, is lost to cancellation "
                    f"at {mpmath.mp.dps} digits (the cutoff, if any, is too close to it "
                    "to place)")
    raise AdmissibilityError(NO_SELECTION.format(lower=mpmath.nstr(lower, 8)))


def reference_melitz(d: Derivation, dist: Distribution, params: Mapping[str, object],
                     dps: int = 50, outputs: list[str] | None = None) -> dict:
    """Outputs of a Melitz-type derivation at ``dps`` digits from the primitives.

    Parameters
    ----------
    d : the derivation (its generic steps are used, never its closed forms).
    dist : the productivity distribution whose declared density is integrated.
    params : scalar parameters by canonical name (exact strings recommended).
    """
    names = outputs or list(d.outputs)
    sys = _system(d)
    extra = 0
    for _ in range(PASSES):  # again, with the digits a difference of tails lost
        out, lost = _reference_melitz(d, sys, dist, params, dps + extra, names)
        if lost <= extra + GUARD // 2:
            break
        extra = lost
        if extra > MAX_EXTRA:
            raise NumericalError(
                f"reference: a difference of tails at the cutoffs above phi* loses "
                f"{lost:.3g} digits at these parameters (more than the "
                f"{MAX_EXTRA} a retry may add)")
    else:
        raise NumericalError(f"reference: a difference of tails at the cutoffs above phi* "
                             f"still loses {lost} digits after {PASSES} passes")
    with mpmath.workdps(dps):
        return {k: +out[k] for k in names if k in out}


#: Guard digits of the reference above the digits asked (:func:`_solve_cutoff`); where a
#: difference of tails loses more than half of them, the reference is computed again to
#: as many more digits as it lost (:func:`_cancellation`).
GUARD = 10
#: Most passes of :func:`reference_melitz`, and most digits a retry adds to those asked
#: before it refuses: the quadratures' cost grows with the digits (hmy Frechet, one pass
#: at 30 digits 7 s, at 110 digits 15 s, at 208 digits 59 s on a loaded machine), and
#: 140 more cover the cancellations met so far (92 digits at hmy Weibull, f_e = 1.3e61).
PASSES = 8
MAX_EXTRA = 140


def _cancellation(sys: _System, args: list, tails: Tails, a) -> int:
    r"""Digits lost by the difference of two tails at cutoffs above phi*: the largest
    :math:`\log_{10}(\max(|T_i|, |T_j|)/|T_i - T_j|)` over their S and V (hmy's
    exporters-only firms, :math:`V(\varphi_x^*) - V(\varphi_I^*)`, are 1e-23 of either
    at f_e = 5e16 with Weibull productivity).  Where that is every working digit
    or more (the difference is rounding noise or 0), the difference is integrated
    directly over :math:`[c_i, c_j]` at 20 digits to tell how many (1e-92 of either
    at f_e = 1.3e61)."""
    n = len(sys.cutoffs)
    at = [args[n + 3 * i: n + 3 * i + 2] for i in range(1, n)]
    lost = 0
    for i, first in enumerate(at):
        for j, second in enumerate(at[i + 1:], i + 2):
            for x, y, power in zip(first, second, (0, a)):
                if not (x or y):
                    continue
                big = max(abs(x), abs(y))
                digits = _digits(big, x - y) if x != y else mpmath.mp.dps
                if digits >= mpmath.mp.dps - GUARD // 2:
                    between = _between(tails, power, args[i + 1], args[j])
                    digits = max(digits, _digits(big, between)) if between else 2 * digits
                lost = max(lost, digits)
    return lost


def _between(tails: Tails, power, lo, hi):
    r""":math:`\int_{lo}^{hi} t^p g(t)\,dt` at 20 digits; where the quadrature gives 0 (the
    integrand is below :math:`2^{-(prec+64)}` at every node: hmy Frechet at f_e = 3.7e16,
    whose density near the cutoffs is :math:`e^{-10^{20}}`), its bound from the log of the
    integrand in q = log t at the ends, :math:`\log(hi/lo)\,e^{\max \log h}`, which
    tells that no retry recovers the difference instead of doubling the digits pass after
    pass (a minute per pass past 200 digits)."""
    with mpmath.workdps(20):
        between = mpmath.quad(lambda t: t ** power * tails.g(t), [lo, hi])
        if between:
            return between
        top = max(tails.log_integrand(lo, power), tails.log_integrand(hi, power))
        return mpmath.log(hi / lo) * mpmath.exp(top)


def _digits(big, difference) -> int:
    """Decimal digits lost where ``difference`` is computed from terms of size ``big``."""
    return int(mpmath.ceil(mpmath.log10(big / abs(difference))))


def _reference_melitz(d: Derivation, sys: _System, dist: Distribution,
                      params: Mapping[str, object], dps: int,
                      names: list[str]) -> tuple[dict, int]:
    """The outputs to ``dps`` digits (at ``dps + GUARD`` working digits), and the digits
    lost by a difference of tails (:func:`_cancellation`)."""
    with mpmath.workdps(dps + GUARD):
        values = {s: to_mpf(v) for s, v in d.values_for(params).items()}
        plist = [values[p] for p in d.parameters]
        tails = Tails(dist, values)
        a = values[sym("sigma")] - 1
        # at n = 0 the tails above phi* are multiplied by 0 in the cutoff equation: the
        # cutoffs and the outputs without them need none (the autarky check of gains)
        exporters = not (values.get(sym("n")) == 0
                         and set(names) <= sys.home | {c.name for c in sys.cutoffs})
        args = _solve_cutoff(sys, tails, a, plist, dps, exporters)
        out = {c.name: v for c, v in zip(sys.cutoffs, args)}
        for name in names:
            if name in sys.outputs:
                out[name] = sys.outputs[name](*args)
        if "gains" in names:
            n_at = d.parameters.index(sym("n"))
            autarky = plist[:n_at] + [mpmath.mpf(0)] + plist[n_at + 1:]
            args_a = _solve_cutoff(sys, tails, a, autarky, dps, exporters=False)
            out["gains"] = sys.outputs["W"](*args) / sys.outputs["W"](*args_a)
        return out, _cancellation(sys, args, tails, a) if exporters else 0


def reference_krugman(d: Derivation, dist: Distribution | None, params: Mapping[str, object],
                      dps: int = 50, outputs: list[str] | None = None) -> dict:
    r"""Krugman (1980) at ``dps`` digits from its derivation steps, solved numerically.

    The demand shifter :math:`A` is the root of the free-entry condition
    (profit at home and in n markets is zero), :math:`P` the root of
    :math:`A = L P^{\sigma-1}` (``demand_shifter`` with :math:`R = L`); firm
    output adds home demand and tau times export demand (``ces_demand``), the
    mass of firms is the root of the labour market :math:`L = M (f + q/b)`,
    the reported price index comes from its definition over the M home and
    n M imported varieties, and ``gains`` is W over W at n = 0.  ``dist`` (the
    degenerate distribution, if any) is not used: the firm's productivity is ``b``.
    """
    names = outputs or list(d.outputs)
    with mpmath.workdps(dps + 10):
        out = _krugman(d, {s: to_mpf(v) for s, v in d.values_for(params).items()})
        if "gains" in names:
            autarky = {s: (mpmath.mpf(0) if s.name == "n" else v)
                       for s, v in d.values_for(params).items()}
            out["gains"] = out["W"] / _krugman(d, {s: to_mpf(v) for s, v in autarky.items()})["W"]
    with mpmath.workdps(dps):
        return {k: +out[k] for k in names}


def reference_cournot(d: Derivation, dist: Distribution | None, params: Mapping[str, object],
                      dps: int = 50, outputs: list[str] | None = None) -> dict:
    r"""The Cournot model with free entry at ``dps`` digits from its first-order condition,
    solved numerically (never its closed forms).

    For a number of firms :math:`n` the labour market :math:`L = n\,l` with the
    technology :math:`l = f + q/\varphi` gives :math:`q = \varphi (L/n - f)`; zero
    profit :math:`p q = l` gives the price; the demand curve at :math:`Q = nq` gives
    the demand shifter :math:`A = Q p^\sigma`; and :math:`n` is the root of the
    symmetric first-order condition (``cournot_foc``) in :math:`y = \log n` below
    :math:`\log(L/f)`, where it rises from :math:`-1/(\sigma n \varphi)` to
    :math:`+\infty` (bracket by doubling down from :math:`\log(L/f) - 1`, bounded by
    :data:`~melitz_sym.numeric.rootfind.LOG_RANGE`, then the references' safeguarded
    Newton iteration).  ``W`` is the real wage :math:`w/p` with :math:`w = 1`.
    ``dist`` is not used (one representative firm of productivity ``phi``).
    """
    names = outputs or list(d.outputs)
    # guard digits for extreme magnitudes: at f = 1e-111 the condition's terms are
    # p = 1/phi + f/q and 1/(sigma n), both ~1e-57 from one (it cancels)
    guard = 2 * spread(d.values_for(params).values())
    with mpmath.workdps(dps + 10 + guard):
        values = {s: to_mpf(v) for s, v in d.values_for(params).items()}
        sigma, f, phi, L = (values[sym(x)] for x in ("sigma", "f", "phi", "L"))
        foc = mp_lambdify([sym("A"), sym("n"), sym("q"), *values], d["cournot_foc"].lhs)
        labour = mp_lambdify([sym("q"), *values], d["technology"].rhs)

        def state(y):
            n = mpmath.exp(y)
            q = phi * (L / n - f)
            return n, q, labour(q, *values.values()) / q

        def residual(y):  # with the guard digits at whatever precision it is asked
            with mpmath.workdps(mpmath.mp.dps + guard):
                n, q, p = state(y)
                r = phi * foc(n * q * p ** sigma, n, q, *values.values())
            return +r

        def evaluate(y):
            return y, residual(y), mpmath.diff(residual, y)

        top = mpmath.log(L / f)
        lo, step = top - 1, mpmath.mpf(1)
        while residual(lo) >= 0:  # ends within LOG_RANGE: the steps double
            lo, step = lo - step, 2 * step
            if beyond_range(lo, "the number of firms"):
                raise beyond_range(lo, "the number of firms")
        n, q, p = state(newton_in_bracket(evaluate, lo, top, dps, increasing=True,
                                          what="the number of firms"))
        l_val = labour(q, *values.values())
        out = {"n": n, "q": q, "p": p, "markup": p * phi, "l": l_val, "q_per_l": q / l_val,
               "W": 1 / p}
    with mpmath.workdps(dps):
        return {k: +out[k] for k in names}


def _root(fn, x0):
    """``mpmath.findroot(fn, x0)``; no root within its tolerance is a NumericalError.
    A start that is a root is returned as it is (the secant's second point x0 + 1/4
    would be x0 itself when |x0| is huge)."""
    if abs(fn(x0)) <= mpmath.eps:
        return x0
    try:
        x = mpmath.findroot(fn, x0)
    except (ValueError, ZeroDivisionError) as exc:
        raise NumericalError(f"reference: no root found ({exc})".replace("\n", " ")) from None
    if not mpmath.isfinite(x):
        raise NumericalError(f"reference: no finite root found from {mpmath.nstr(x0, 8)}")
    return x


def _krugman(d: Derivation, values: dict) -> dict:
    sigma, b, f, tau, n, L = (values[sym(x)] for x in ("sigma", "b", "f", "tau", "n", "L"))

    def at(expr, **extra):
        subs = {**values, **{sym(k): v for k, v in extra.items()}}
        return mp_lambdify(list(subs), expr)(*subs.values())

    price = at(d["pricing"].rhs, phi=b)
    # findroot's tolerance is absolute: each equation is scaled to be of order one.
    A_val = mpmath.exp(_root(  # profit = A c - f: log1p(profit / f) is linear in log A
        lambda z: mpmath.log1p(at(d["free_entry"].lhs, A=mpmath.exp(z)) / f), mpmath.log(f)))
    P_A = mpmath.exp(_root(  # in logs: linear in y = log P whatever the scale of L
        lambda y: mpmath.log(at(d["demand_shifter"].rhs, R=L, P=mpmath.exp(y)) / A_val),
        mpmath.mpf(0)))
    demand = d["ces_demand"].rhs
    q = at(demand, R=L, P=P_A, p=price) + n * tau * at(demand, R=L, P=P_A, p=tau * price)
    labour = f + q / b
    M_val = _root(lambda m: 1 - m * labour / L, L / labour)
    P_val = (M_val * price ** (1 - sigma) + n * M_val * (tau * price) ** (1 - sigma)) ** (
        1 / (1 - sigma))
    return {"p": price, "markup": price * b, "q": q, "l": labour, "q_per_l": q / labour,
            "M": M_val, "P": P_val, "W": 1 / P_val,
            "lam": M_val * at(d["revenue"].rhs, A=A_val, phi=b) / L}
