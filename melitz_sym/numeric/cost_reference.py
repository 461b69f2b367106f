r"""Independent reference for derivations in partial moments of a cost distribution.

A derivation with heterogeneous unit costs and linear demand (Melitz and
Ottaviano 2008) states its generic layer in the partial moments
:math:`G_a(x) = \int_{\underline c}^{x} t^a g(t)\,dt`, :math:`a = 0, 1, 2`
(:data:`melitz_sym.tails.PARTIAL`).  This path never uses the closed forms nor
the moments sympy integrated.  At ``dps`` digits it

* computes each :math:`G_a` by ``mpmath.quad`` of the declared density
  :math:`g` (:meth:`Distribution.pdf`) over :math:`[\underline c, x]`, or where the
  integrand is unbounded as the upper tail of the density of :math:`1/c` in its log
  variable (:meth:`Moments.at`);
* solves the cutoff equation (the step ``cutoff_equation``: free entry) for
  :math:`c_D` in :math:`y = \log c_D` by a bracketed, safeguarded Newton
  iteration at 20 digits, polished by Newton at ``dps + 10`` digits; the
  derivative comes from sympy with :math:`G_a' = x^a g` (fundamental theorem
  of calculus).  Cutoffs other than :math:`c_D` in the equation (:math:`c_X`)
  are given in :math:`c_D` by the steps that define them;
* evaluates every output from the generic step that defines it, and ``gains``
  as :math:`W/W_A` with the autarky cutoff (``n = 0``) solved separately.

A cutoff at or above the upper end of the cost support (every entrant would
produce) or at or above the choke price of the first unit (no sellers) is a
corner, refused with :class:`~melitz_sym.errors.AdmissibilityError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import mpmath
import sympy as sp

from ..derivation import Derivation
from ..distributions import Distribution
from ..errors import AdmissibilityError
from ..symbols import sym
from ..tails import PARTIAL
from .precise import to_mpf
from .rootfind import newton_in_bracket
from .tail_quadrature import Tails, mp_lambdify


def uses_partial_moments(d: Derivation) -> bool:
    """Whether the generic cutoff equation of ``d`` is stated in partial moments."""
    return (d.cutoff is not None and "cutoff_equation" in d.steps
            and any(d["cutoff_equation"].has(G) for G in PARTIAL))


@dataclass(frozen=True)
class _System:
    """The generic cutoff equation, its derivative and the outputs, compiled for mpmath.

    Arguments (``args``): the cutoffs (c_D first), then for each cutoff its partial
    moments G_0, G_1, G_2 and the density there, then the parameters."""

    args: tuple
    cutoffs: tuple
    residual: object
    dresidual: object
    above: object
    outputs: dict


_SYSTEMS: dict[int, tuple[Derivation, _System]] = {}


def _system(d: Derivation) -> _System:
    hit = _SYSTEMS.get(id(d))
    if hit is None or hit[0] is not d:
        hit = _SYSTEMS[id(d)] = (d, _compile(d))
    return hit[1]


def _compile(d: Derivation) -> _System:
    eq = d["cutoff_equation"]
    c_D = d.cutoff
    found = {f.args[0] for G in PARTIAL for f in eq.atoms(G)}
    extra = []  # (cutoff symbol, its expression in c_D) from the step defining it
    for cut in sorted(found - {c_D}, key=lambda s: s.name):
        rhs = d.step(d.step_of(cut.name)).eq.rhs
        if rhs.free_symbols - set(d.parameters) - {c_D}:
            raise ValueError(f"reference: the cutoff {cut} is not given in {c_D} and the "
                             "parameters")
        extra.append((cut, rhs))
    cutoffs = [c_D] + [c for c, _ in extra]
    moms = [sp.symbols(f"G0_{i} G1_{i} G2_{i} g_{i}", positive=True)
            for i in range(len(cutoffs))]

    def plain(e: sp.Expr) -> sp.Expr:
        return e.xreplace({G(c): m[a] for c, m in zip(cutoffs, moms)
                           for a, G in enumerate(PARTIAL)})

    res = plain(eq.lhs - eq.rhs)

    def total(c, m):
        """d res/d c with G_a' = c^a g (fundamental theorem of calculus)."""
        return sp.diff(res, c) + sum(sp.diff(res, m[a]) * c**a * m[3]
                                     for a in range(len(PARTIAL)))

    dres = total(c_D, moms[0]) + sp.Add(*[total(c, m) * sp.diff(of, c_D)
                                          for (c, of), m in zip(extra, moms[1:])])
    outs = {}
    for name in d.outputs:
        if name == "gains" or sym(name) in cutoffs:
            continue
        step = d.steps.get(d.defines.get(name, name))
        if step is not None and step.eq.lhs == sym(name):
            outs[name] = step.eq.rhs
    names = {sym(k) for k in outs}
    for name, e in outs.items():  # outputs defined through other outputs
        for _ in range(len(outs) + 1):
            if not e.free_symbols & names:
                break
            e = e.xreplace({sym(k): v for k, v in outs.items()})
        outs[name] = plain(e)
    args = tuple(cutoffs) + tuple(x for m in moms for x in m) + tuple(d.parameters)
    return _System(args, tuple(cutoffs), mp_lambdify(args, res), mp_lambdify(args, dres),
                   mp_lambdify((c_D,) + tuple(d.parameters), sp.Tuple(*[of for _, of in extra])),
                   {k: mp_lambdify(args, e) for k, e in outs.items()})


class Moments:
    """Partial moments of the declared cost density at one parameter point (``mpmath.quad``
    in c, or in the log of 1/c where the integrand is unbounded: :meth:`at`)."""

    def __init__(self, dist: Distribution, values: Mapping[sp.Symbol, mpmath.mpf]) -> None:
        t = sp.Dummy("t", positive=True)
        p = [values[s] for s in dist.symbols]
        pdf = mp_lambdify((t,) + dist.symbols, dist.pdf(t))
        self.g = lambda x: pdf(x, *p)
        self.lower = mp_lambdify(dist.symbols, dist.support[0])(*p)
        self.upper = mp_lambdify(dist.symbols, dist.support[1])(*p)
        self._tails = Tails(dist, values, reflected=True)

    def at(self, x) -> list:
        r"""G_0(x), G_1(x), G_2(x) and g(x).

        Where :math:`t^a g(t)` is bounded near :math:`x` (its local power
        :math:`p = d\log(t^{a+1} g)/d\log t \ge 1` there), ``mpmath.quad`` over
        :math:`[\underline c, x]` of the integrand divided by :math:`x^{a+1} g(x)`
        (``quad`` stops at an absolute error of :math:`2^{-prec}`; an integral of 1e-94,
        melitz-ottaviano-asym at gamma = 1e-100, came out 2.5e-11 off unscaled).
        Otherwise (:math:`p < 1`, mass piled towards the lower end) the upper tail of
        the density of :math:`1/t`, :math:`\int_{1/x}^{1/\underline c} u^{-a} g(1/u)
        u^{-2}\,du` in :math:`\log u`, centred and scaled (:class:`Tails`): the mass
        of :math:`k t^{k-1}` at :math:`k = 10^{-14}` lies within :math:`e^{-10^{14}}` of
        0, where quadrature in :math:`t` found nothing (c_D was refused as a corner).
        """
        if x <= self.lower:
            return [mpmath.mpf(0)] * 3 + [self.g(x) if x == self.lower else mpmath.mpf(0)]
        x_in = min(x, self.upper) if mpmath.isfinite(self.upper) else x
        out = []
        for a in range(len(PARTIAL)):
            scale = abs(x_in ** (a + 1) * self.g(x_in))
            if not (mpmath.isfinite(scale) and scale):
                scale = mpmath.mpf(1)
            if self._tails.log_slope(1 / x_in, -a) <= -1:  # bounded: quadrature in t
                out.append(scale * mpmath.quad(lambda t, a=a, s=scale: t**a * self.g(t) / s,
                                               [self.lower, x_in]))
            else:
                out.append(self._tails.integral(1 / x_in, -a))
        return out + [self.g(x) if x < self.upper else mpmath.mpf(0)]


def _solve(sys: _System, mom: Moments, params: list, dps: int) -> list:
    """Root c_D of the cutoff equation (increasing in c_D); the arguments there."""

    def evaluate(y):
        c = mpmath.exp(y)
        args = [c, *sys.above(c, *params)]
        args += [v for cut in args[:len(sys.cutoffs)] for v in mom.at(cut)] + list(params)
        return args, sys.residual(*args), sys.dresidual(*args) * c

    with mpmath.workdps(20):
        finite = mpmath.isfinite(mom.upper)
        hi = mpmath.log(mom.upper) if finite else mpmath.mpf(1)
        if finite and evaluate(hi)[1] <= 0:
            raise AdmissibilityError(
                "selection: the cost cutoff c_D lies below the upper end of the cost support "
                f"{mpmath.nstr(mom.upper, 8)} fails: expected profit at c_D = "
                f"{mpmath.nstr(mom.upper, 8)} is still below the entry cost, every entrant "
                "would produce (a corner the conditions do not describe)")
        step = mpmath.mpf(1)
        while not finite and evaluate(hi)[1] <= 0:
            hi, step = hi + step, 2 * step
            if step > 10**6:
                raise AdmissibilityError("the cutoff equation has no root")
        lo, step = hi - 1, mpmath.mpf(1)
        floor = mpmath.log(mom.lower) if mom.lower > 0 else -mpmath.inf
        while lo > floor and evaluate(lo)[1] > 0:
            lo, step = lo - step, 2 * step
            if step > 10**6:
                raise AdmissibilityError("the cutoff equation has no root above the lower end")
        lo = max(lo, floor)
        return newton_in_bracket(evaluate, lo, hi, dps, increasing=True, steps=300,
                                 tol_digits=14, polish=8, what="the cost cutoff")


def reference_cost(d: Derivation, dist: Distribution, params: Mapping[str, object],
                   dps: int = 50, outputs: list[str] | None = None) -> dict:
    """Outputs of a derivation in partial moments at ``dps`` digits from the primitives.

    Parameters
    ----------
    d : the derivation (its generic steps are used, never its closed forms).
    dist : the cost distribution whose declared density is integrated.
    params : scalar parameters by canonical name (exact strings recommended).
    """
    names = outputs or list(d.outputs)
    sys = _system(d)
    with mpmath.workdps(dps + 10):
        values = {s: to_mpf(v) for s, v in d.values_for(params).items()}
        plist = [values[p] for p in d.parameters]
        mom = Moments(dist, values)
        args = _solve(sys, mom, plist, dps)
        out = {c.name: v for c, v in zip(sys.cutoffs, args)}
        for name in names:
            if name in sys.outputs:
                out[name] = sys.outputs[name](*args)
        if "N" in out and out["N"] <= 0:
            raise AdmissibilityError(
                "the cost cutoff c_D lies below the demand intercept alpha (a positive number "
                f"of sellers) fails: c_D = {mpmath.nstr(out[d.cutoff.name], 8)}")
        if "gains" in names:
            n_at = d.parameters.index(sym("n"))
            autarky = plist[:n_at] + [mpmath.mpf(0)] + plist[n_at + 1:]
            args_a = _solve(sys, mom, autarky, dps)
            out["gains"] = sys.outputs["W"](*args) / sys.outputs["W"](*args_a)
    with mpmath.workdps(dps):
        return {k: +out[k] for k in names if k in out}
