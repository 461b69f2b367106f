r"""The power form of a stable closed form: its logs folded, for speed.

A stable form (:func:`melitz_sym.numeric.stable.closed_form`) is
:math:`F\,e^{E}` with the exponent :math:`E = \sum_j c_j\,g_j` a combination of
``log``, ``log1p`` and ``logaddexp`` terms.  Every term costs a transcendental
call, and :math:`e^{E}` one more per output.  The power form spends fewer:

* the terms of :math:`E` are grouped by coefficient, up to a whole number:
  each coefficient is split into partial fractions in the symbol of its
  denominator (:math:`k/(k+2) = 1 - 2/(k+2)`, :math:`(e+2z)/(z(e+z)) = 1/z +
  1/(e+z)`), and :math:`q\,c_0` joins the group of :math:`c_0`;
* a group is one log of the product :math:`P = \prod x_i^{q_i}` of the
  arguments, with :math:`\log(1 + x)` (``log1p``) as the factor :math:`1 + x`
  and :math:`\mathrm{logaddexp}(a, b)` as :math:`e^a + e^b` (each exponential
  in its power form, so that :math:`e^{\log n + v}` is :math:`n e^{v}`);
* the group of whole numbers (:math:`c_0 = 1`) is no log at all: its product
  becomes a factor in front, such as :math:`z/(1+z)`;
* the other groups share one ``exp``: :math:`F \prod P^{q} e^{\sum c_0 \log P}`.

So the Melitz-Pareto :math:`\varphi^*` and :math:`W` take seven calls (two
logs and an ``exp`` in the exporters' term, the log of the bracket and one
``exp`` per output, the log of :math:`L/(f\sigma)`) instead of fifteen, and
outputs share their logs through common subexpressions.

The price: a product or an exponential may overflow or underflow where the
log domain would not (:math:`\tau^{-k}` with :math:`k\log\tau` near 700, a
product of parameters near the ends of the double range).  Each rewritten
node is listed by :func:`guarded_nodes`; the numeric layer evaluates the power
form, and at every point where one of those nodes is not a normal double
(``[tiny, max]``) the stable form instead.  Where none is, the roundings are
those of the stable form: the same groups of bases under one log, the same
coefficients, and the exponent carries about :math:`|E|` ulps either way.
"""

from __future__ import annotations

from math import lcm

import sympy as sp
from sympy.codegen.cfunctions import log1p
from sympy.codegen.numpy_nodes import logaddexp

from ..symbols import sym
from . import stable

_LOGS = (sp.log, log1p, logaddexp)


def _coefficient_parts(c: sp.Expr) -> list[sp.Expr]:
    """``c`` as a sum of partial fractions in the first symbol of its denominator."""
    den = sp.fraction(sp.together(c))[1]
    for x in sorted(den.free_symbols, key=lambda s: s.name):
        try:
            return list(sp.Add.make_args(sp.apart(c, x)))
        except (sp.PolynomialError, NotImplementedError):  # pragma: no cover - defensive
            continue
    return [c]


def _argument(g: sp.Expr) -> sp.Expr:
    """The x of log(x) that ``g`` is: x, 1 + x or e^a + e^b (in power form)."""
    if isinstance(g, sp.log):
        return g.args[0]
    if isinstance(g, log1p):
        return 1 + g.args[0]
    return sp.Add(*[_exp_power(a) for a in g.args])


def _exp_power(E: sp.Expr) -> sp.Expr:
    """exp(E) in power form (see the module docstring)."""
    if E == 0:
        return sp.S.One
    if E.has(sp.Piecewise):
        return sp.exp(E)
    kept = {a: sp.Dummy() for a in E.atoms(*_LOGS)}
    back = {d: a for a, d in kept.items()}
    expanded = sp.expand(E.xreplace(kept), log=False, power_exp=False, power_base=False,
                         multinomial=False)
    by_log = sp.collect(expanded, list(back), evaluate=False)
    groups: dict[sp.Expr, list[tuple[sp.Rational, sp.Expr]]] = {}
    rest = [c.xreplace(back) * (1 if d == 1 else back.get(d, d)) for d, c in by_log.items()
            if d not in back]
    for d, c in by_log.items():
        if d not in back:
            continue
        for part in _coefficient_parts(sp.factor(c)):
            q, c0 = part.as_coeff_Mul()
            if c0.could_extract_minus_sign():
                q, c0 = -q, -c0
            groups.setdefault(c0, []).append((q, back[d]))
    front, exponent = sp.S.One, sp.Add(*rest)
    for c0, members in groups.items():
        m = lcm(*[int(q.q) for q, _ in members])
        num, den = sp.fraction(sp.Mul(*[_argument(g) ** (q * m) for q, g in members]))
        if c0 == 1 and m == 1:
            front *= num / den
        elif num == 1:  # log(1/x) as -log(x): one division less
            exponent -= c0 / m * sp.log(den)
        else:
            exponent += c0 / m * sp.log(num / den)
    return front * (sp.exp(exponent) if exponent != 0 else sp.S.One)


#: Sums of the protected quantities that are parameters as given: sigma = Z + 1
#: (exact where Z = sigma - 1 is) and k = Z + E (rounded to an ulp or so).
_GIVEN = {stable.Z + 1: sym("sigma"), stable.Z + stable.E: sym("k")}


def power_form(form: sp.Expr) -> sp.Expr:
    """``form`` with every exponential in power form (see the module docstring);
    Piecewise exponents (a form chosen point by point) are left as they are.  A
    form that changes also takes sigma and k for the sums Z + 1 and Z + E: one
    operation less each, and k as given."""
    fast = form.replace(lambda e: isinstance(e, sp.exp) and not e.has(sp.Piecewise),
                        lambda e: _exp_power(e.args[0]))
    return fast if fast == form else fast.xreplace(_GIVEN)


def guarded_nodes(fast: sp.Expr, form: sp.Expr) -> list[sp.Expr]:
    """The values that must be normal doubles for ``fast`` (the power form of
    ``form``) to be as accurate as ``form``: the arguments of its logs, its
    exponentials and ``fast`` itself (none where nothing was rewritten)."""
    if fast == form:
        return []
    nodes = {a.args[0] for a in fast.atoms(sp.log)} | fast.atoms(sp.exp) | {fast}
    return sorted((n for n in nodes if not n.is_Number), key=sp.default_sort_key)
