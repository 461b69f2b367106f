"""The stable rewriting of closed forms (melitz_sym.numeric.stable.closed_form).

The rewriting must be exact (every form it emits, every branch of a point-by-point
choice, equals the derived expression: checked at random rational points in
mpmath at 40 digits), and it must cancel large exponents symbolically (checked
against exact values computed here by hand in mpmath).
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import sympy as sp
from sympy.codegen.numpy_nodes import logaddexp

import melitz_sym as ms
from melitz_sym.numeric import stable
from melitz_sym.symbols import sym

PARETO = ms.model("melitz", dist="pareto")


def _mp(expr: sp.Expr, values: dict) -> sp.Float:
    """``expr`` at exact ``values``, 40 digits (logaddexp written out)."""
    expr = expr.replace(logaddexp, lambda a, b: sp.log(sp.exp(a) + sp.exp(b)))
    return sp.N(expr.subs(values), 40)


def _branches(expr: sp.Expr) -> list[sp.Expr]:
    """``expr`` with its Piecewise replaced by each of its branches in turn."""
    pieces = list(expr.atoms(sp.Piecewise))
    if not pieces:
        return [expr]
    return [expr.xreplace({pieces[0]: branch}) for branch, _ in pieces[0].args]


@pytest.mark.parametrize("name", ["phi_star", "W", "M_x", "M_t", "phi_tilde_t", "p_x", "P"])
def test_every_emitted_form_equals_the_derived_expression(name):
    d = PARETO.derive()
    derived = d.closed_forms[name]
    form = stable.closed_form(derived, True)
    rng = random.Random(name)
    sigma_, k_, n_ = sym("sigma"), sym("k"), sym("n")
    for _ in range(2):
        point = {s: sp.Rational(rng.randint(11, 40), 10) for s in d.parameters}
        point[n_] = sp.Integer(rng.randint(0, 5))
        point[k_] = point[sigma_] - 1 + sp.Rational(rng.randint(1, 50), 10)
        shifted = {stable.Z: point[sigma_] - 1, stable.E: point[k_] - point[sigma_] + 1, **point}
        want = sp.N(derived.subs(point), 40)
        for branch in _branches(form):
            got = _mp(branch, shifted)
            assert abs(got - want) <= sp.Float("1e-30", 40) * abs(want), (name, point, branch)


@pytest.mark.parametrize("f,g,want", [(2.0, 1.0, "2"), (2.0, 2.0, "2/3"), (1.0, 1.5, "0")])
def test_large_exponents_cancel_symbolically(f, g, want):
    """f^a / (n f^a + g^a) with a = 1e4, n = 1/2: normalised by n f^a, the sum gives
    1/(n + (g/f)^a) to a few ulps (exact values here), where
    exp(a log f - logaddexp(log n + a log f, a log g)) would lose |a log f| ~ 7000 ulps."""
    a, fs, gs, n = sp.symbols("a f g n", positive=True)
    fn = sp.lambdify((a, fs, gs, n), sp.exp(stable.log_of(fs**a / (n * fs**a + gs**a))), "numpy")
    got = fn(1e4, f, g, 0.5)
    assert np.isfinite(got)
    assert abs(got - float(sp.Rational(want))) <= 4e-16 * float(sp.Rational(want))


def _normal_written_out(expr: sp.Expr) -> sp.Expr:
    """ndtr, log_ndtr and exp_ndtr as sympy's erfc, so that mpmath evaluates them
    (erfc: no 1 + erf(x) that cancels in the lower tail)."""
    def phi(x):
        return sp.erfc(-x / sp.sqrt(2)) / 2
    return expr.replace(stable.log_ndtr, lambda x: sp.log(phi(x))).replace(
        stable.exp_ndtr, lambda a, x: sp.exp(a) * phi(x)).replace(stable.ndtr, phi)


@pytest.mark.parametrize("name", ["lam", "M"])  # P = 1/W has no normal cdf
def test_exp_form_equals_the_derived_expression(name):
    """The log-normal fallback form (stable.exp_form) is exact: 40 digits at
    random rational points (phi* and the parameters)."""
    d = ms.model("melitz", dist="lognormal").derive()
    derived = stable.special_form(d.outputs[name])
    form = stable.exp_form(derived)
    assert form != derived  # something was rewritten
    rng = random.Random(name)
    for _ in range(2):
        point = {s: sp.Rational(rng.randint(11, 40), 10) for s in d.parameters}
        point[sym("mu")] = sp.Rational(rng.randint(-10, 10), 10)
        point[sym("phi_star")] = sp.Rational(rng.randint(11, 60), 10)
        want = sp.N(_normal_written_out(derived).subs(point), 40)
        got = sp.N(_normal_written_out(form).subs(point), 40)
        assert abs(got - want) <= sp.Float("1e-30", 40) * abs(want), (name, point)


@pytest.mark.parametrize("name,ratio", [("phi_tilde", True), ("phi_tilde_x", True),
                                        ("p_x", True), ("P", False)])
def test_ratio_form_in_z_equals_the_derived_expression(name, ratio):
    """The form of the Newton path's outputs (stable.ratio_form, then stable.in_z)
    is exact, in each branch of the Phi-ratio choice: 40 digits at random
    rational points, with phi* in the body and deep in the tail (Phi(a) ~ 1e-60)."""
    d = ms.model("melitz", dist="lognormal").derive()
    derived = stable.special_form(d.outputs[name])
    form = stable.in_z(stable.ratio_form(derived, sym("phi_star")))
    assert form.has(stable.erfcx) == ratio and form.has(stable.Z)
    rng = random.Random(name)
    for phi in ("3/2", "10**7"):
        point = {s: sp.Rational(rng.randint(11, 40), 10) for s in d.parameters}
        point[sym("mu")] = sp.Rational(rng.randint(-10, 10), 10)
        point[sym("s")] = sp.Rational(1, 2)
        point[sym("phi_star")] = sp.sympify(phi)
        want = sp.N(_normal_written_out(derived).subs(point), 40)
        for branch in _branches(form):
            got = sp.N(_normal_written_out(branch).replace(
                stable.erfcx, lambda x: sp.exp(x ** 2) * sp.erfc(x)).subs(
                {stable.Z: point[sym("sigma")] - 1, **point}), 40)
            assert abs(got - want) <= sp.Float("1e-30", 40) * abs(want), (name, phi, branch)


def _special_written_out(expr: sp.Expr) -> sp.Expr:
    """expm1 and the regularised incomplete gamma functions in sympy's own terms."""
    from sympy.codegen.cfunctions import expm1
    return expr.replace(expm1, lambda x: sp.exp(x) - 1).replace(
        stable.gammainc, lambda s, x: sp.lowergamma(s, x) / sp.gamma(s)).replace(
        stable.gammaincc, lambda s, x: sp.uppergamma(s, x) / sp.gamma(s))


def test_expm1_form_of_simple_differences():
    x = sp.Symbol("x", positive=True)
    from sympy.codegen.cfunctions import expm1
    assert stable.expm1_form(1 - sp.exp(-x)) == sp.exp(-x) * expm1(x)
    assert stable.expm1_form((sp.exp(x) - 1) * sp.exp(-x)) == sp.exp(-x) * expm1(x)
    assert stable.expm1_form(sp.exp(x) + 1) == sp.exp(x) + 1  # nothing cancels


@pytest.mark.parametrize("name", ["cutoff_residual", "phi_tilde_t", "M"])
def test_expm1_form_is_exact_and_leaves_no_vanishing_sum(name):
    """Frechet: the rewritten expression equals the derived one (40 digits at random
    rational points), and no sum of exponentials whose coefficients add up to 0
    (a difference that vanishes as (b/phi)^k -> 0) is left in it."""
    d = ms.model("melitz", dist="frechet").derive()
    derived = stable.special_form(d.cutoff_residual if name == "cutoff_residual"
                                  else d.outputs[name])
    form = stable.expm1_form(derived)
    assert form != derived
    rng = random.Random(name)
    for _ in range(2):
        point = {s: sp.Rational(rng.randint(11, 40), 10) for s in d.parameters}
        point[sym("k")] = point[sym("sigma")] + sp.Rational(rng.randint(1, 30), 10)
        point[d.cutoff] = sp.Rational(rng.randint(11, 40), 10)
        want = sp.N(_special_written_out(derived).subs(point), 40)
        got = sp.N(_special_written_out(form).subs(point), 40)
        assert abs(got - want) <= sp.Float("1e-30", 40) * abs(want), point
    for add in form.atoms(sp.Add):
        coefficients = [t.as_coeff_Mul()[0] for t in add.args if t.has(sp.exp)
                        and any(isinstance(f, sp.exp) for f in sp.Mul.make_args(t))]
        assert len(coefficients) < 2 or sum(coefficients) != 0, add


@pytest.mark.parametrize("name", ["p_x", "export_fdi_ratio"])
def test_erf_difference_form_is_exact(name):
    """HMY log-normal: differences of survival functions (S(phi_x*) - S(phi_I*)) as
    differences of tails; each branch equals the derived expression (40 digits at
    random rational points), and no erf is left."""
    d = ms.model("hmy", dist="lognormal").derive()
    derived = stable.special_form(d.outputs[name])
    form = stable.erf_difference_form(derived)
    assert form != derived and not form.has(sp.erf)
    rng = random.Random(name)
    for _ in range(2):
        point = {s: sp.Rational(rng.randint(11, 40), 10) for s in d.parameters}
        point[sym("f_I")] = 20 * point[sym("f_x")] * point[sym("tau")] ** 2
        point[d.cutoff] = sp.Rational(rng.randint(11, 40), 10)
        want = sp.N(_normal_written_out(derived).subs(point), 40)
        for branch in _branches(form):
            got = sp.N(_normal_written_out(branch).subs(point), 40)
            assert abs(got - want) <= sp.Float("1e-30", 40) * abs(want), (point, branch)


def test_special_form_rewrites_two_erfs_together_where_one_alone_does_not_shorten():
    """HMY log-normal average revenue: n tau^a erf(u) - n tau^a - n erf(u) - n erf(v)
    (with the domestic tau^a (1 + erf(w))) needs erf(u) and erf(v) rewritten together;
    the numeric form has no erf and is a sum of positive tails (n (tau^a - 1) S_I + n S_x
    + tau^a S_d: no difference of nearly equal numbers, which cost 1.7e-4 of r_bar at
    n = 5e16) and equals the derived expression."""
    d = ms.model("hmy", dist="lognormal").derive()
    derived = d.outputs["r_bar"]
    form = stable.numeric_form(derived)
    assert not form.has(sp.erf)
    bracket = max((a for a in form.atoms(sp.Add) if a.has(stable.ndtr)),
                  key=lambda a: len(a.args))
    assert len(bracket.args) == 3 and all(t.as_coeff_Mul()[0] > 0 for t in bracket.args), bracket
    rng = random.Random(7)
    point = {s: sp.Rational(rng.randint(11, 40), 10) for s in d.parameters}
    point[sym("f_I")] = 20 * point[sym("f_x")] * point[sym("tau")] ** 2
    point[d.cutoff] = sp.Rational(23, 10)
    want = sp.N(derived.subs(point), 40)
    got = sp.N(_normal_written_out(form).subs(point), 40)
    assert abs(got - want) <= sp.Float("1e-30", 40) * abs(want)


def test_powm1_form_writes_a_power_less_one_as_expm1():
    """f tau^(sigma-1) - f keeps 2^-53/((sigma-1) log tau) of its digits as tau -> 1
    (hmy's FDI cutoff; issue 20): it becomes f expm1((sigma-1) log tau), also where
    the power is split over one base (tau^sigma/tau) or written as exp."""
    f, tau, sigma, x = sp.symbols("f tau sigma x", positive=True)
    from sympy.codegen.cfunctions import expm1

    assert stable.powm1_form(f * tau ** (sigma - 1) - f) == f * expm1((sigma - 1) * sp.log(tau))
    assert stable.powm1_form(1 / (f * tau ** sigma / tau - f)) == 1 / (
        f * expm1((sigma - 1) * sp.log(tau)))
    assert stable.powm1_form(f * sp.exp(x) - f + 2) == f * expm1(x) + 2
    assert stable.powm1_form(f * tau ** sigma - 2 * f) == f * tau ** sigma - 2 * f  # no pair


def test_powm1_form_writes_a_difference_of_powers_with_expm1():
    """b^k - b_H^k keeps 2^-53/(k log(b_H/b)) of its digits as k -> 0 (the truncated
    Pareto's mass; issue 20): it is b_H^k expm1(k log(b/b_H)) where that is below 0
    (the larger power times a number in (-1, 0]), and the same value with the roles
    swapped elsewhere; common powers stay outside (b^k in b^k b_H^z - phi^(z-k) (b
    b_H)^k).  Terms whose ratio is not a power with a symbolic exponent stay as they
    are."""
    b, b_H, k, phi, z, f = sp.symbols("b b_H k phi z f", positive=True)
    from sympy.codegen.cfunctions import expm1

    form = stable.powm1_form(b ** k - b_H ** k)
    assert form.has(expm1) and not form.has(sp.Add) or sp.Piecewise in map(type, form.atoms(
        sp.Piecewise))
    mass = sp.lambdify((b, b_H, k), form, "numpy")
    assert mass(1.0, 20.0, 4.5e-9) == pytest.approx(float(sp.N(1 - 20 ** sp.Rational(
        "4.5e-9"), 30)), rel=1e-15)
    assert mass(20.0, 1.0, 4.5e-9) == pytest.approx(float(sp.N(20 ** sp.Rational(
        "4.5e-9") - 1, 30)), rel=1e-15)
    assert mass(1e-200, 20.0, 3.4) == pytest.approx(-float(sp.N(20 ** sp.Rational(
        "3.4"), 30)), rel=1e-15)  # b^k underflows; the form does not overflow
    inner = stable.powm1_form(b ** k * b_H ** z - phi ** (z - k) * (b * b_H) ** k)
    assert sp.Mul.make_args(inner)[0] == b ** k or b ** k in sp.Mul.make_args(inner)
    assert stable.powm1_form(f * b ** 2 - f * b_H ** 2) == f * b ** 2 - f * b_H ** 2


def test_factored_sums_recover_the_products_of_differences():
    """An expanded square of a difference of powers, (b_H^k - phi^k)^2, is factored
    (issue 20: phi_tilde_t's 34-term denominator), so that powm1_form finds the
    difference; a sum with a function is left alone."""
    b_H, k, phi = sp.symbols("b_H k phi", positive=True)
    expanded = sp.expand((b_H ** k - phi ** k) ** 2 * (k - 2))
    factored = stable.factored_sums(expanded)
    assert sp.simplify(factored - expanded) == 0 and factored.is_Mul
    assert stable.factored_sums(sp.exp(k) + b_H ** k + phi) == sp.exp(k) + b_H ** k + phi


def test_factored_sums_expand_within_a_budget_of_terms():
    """factored_sums expands a sum before factoring it; a power of a sum would be
    multiplied out first, and a sum of many terms makes sympy's factor slow (the
    melitz-ottaviano truncated Pareto's W ran past 900 s in CI).  Such sums are
    left alone, counted in terms, not timed."""
    a, b, c, x, y, k = sp.symbols("a b c x y k", positive=True)
    power_of_a_sum = x ** k * (a + b + c) ** 40 + y ** k + x ** k * y ** k
    assert stable._expanded_terms(x ** k * (a + b + c) ** 40) == 3 ** 40
    assert stable._expanded_terms(x ** k * (a + b * (a + c)) ** 2) is None
    assert stable.factored_sums(power_of_a_sum) == power_of_a_sum
    many = sp.Add(*[x ** (i * k) for i in range(stable.FACTOR_MAX_TERMS + 1)])
    assert not stable._power_polynomial(many)
    assert stable._power_polynomial(sp.expand((x ** k - y ** k) ** 2 * (k - 2)))


def test_collected_log_keeps_products_of_logs_as_they_are():
    """k log b - k log f + log(f)^2 / s: the square of a log (the log-normal's
    exponent) is not a log times a coefficient; it was collected as log(log f),
    the log of a negative number at f < 1 (hmy log-normal at f = 1e-9)."""
    f, b, k, s = sp.symbols("f b k s", positive=True)
    d = k * sp.log(b) - k * sp.log(f) + sp.log(f) ** 2 / s
    out = stable._collected_log(d, False)
    assert not any(isinstance(a.args[0], sp.log) for a in out.atoms(sp.log))
    assert sp.simplify(sp.expand(out - d, log=True)) == 0


def test_positive_powers_out_of_a_power_of_a_product():
    """((b^k W)^(1/z))^z is b^k (W^(1/z))^z: the scale b^k is a factor exp_terms can
    combine with the others' exponents (issue 20: M was 2.2e-3 off at b = 2.35e-95),
    and a power of a power of a positive base is one power."""
    b, k, z = sp.symbols("b k z", positive=True)
    w = sp.Symbol("W", real=True)
    out = stable.positive_powers_out(((b ** k * w) ** (1 / z)) ** z)
    assert out == b ** k * (w ** (1 / z)) ** z
    assert stable.positive_powers_out((b ** (k / z)) ** z) == b ** k


def test_product_form_combines_the_powers_of_a_product():
    """phi^k (b/phi)^k b_H^-k is one exponential of k log(b/b_H): at phi = 1e-95 the
    factor phi^k is subnormal while the product is of order one (issue 20)."""
    b, b_H, k, phi = sp.symbols("b b_H k phi", positive=True)
    form = stable.product_form(phi ** k * (b / phi) ** k / b_H ** k)
    assert isinstance(form, sp.exp)
    value = sp.lambdify((b, b_H, k, phi), form, "numpy")(2e-95, 4e-95, 3.4, 1e-95)
    assert value == pytest.approx(0.5 ** 3.4, rel=1e-14)


def test_lowergamma_form_writes_a_difference_from_the_complete_function():
    """Gamma(s) - Gamma(s, x) (the Frechet tail moment) is the lower function gamma(s, x)
    for mpmath, with any common factor; a sum without that pair is left as it is."""
    s, x, c = sp.symbols("s x c", positive=True)
    assert stable.lowergamma_form(sp.gamma(s) - sp.uppergamma(s, x)) == sp.lowergamma(s, x)
    assert stable.lowergamma_form(c * sp.gamma(s) - c * sp.uppergamma(s, x) + x) == (
        c * sp.lowergamma(s, x) + x)
    assert stable.lowergamma_form(sp.gamma(s) + sp.uppergamma(s, x)) == (
        sp.gamma(s) + sp.uppergamma(s, x))


#: HMY-Pareto points where the derived cutoff's denominator, expanded into eight
#: terms of f_I^3 tau^z and the like, overflowed or underflowed and the closed form
#: was evaluated as it was (issue 20: nan or inf, NumericalError from solve); phi*
#: from m.reference(dps=30) (the independent mpmath path) at each point.
_HMY = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100, tau=1.5, f_x=1.5, n=1, f_I=8.0,
            k=3.4, b=1.0)
HMY_EDGES = [(dict(f_I=1e308, delta=1.0), 1.67228421436324),
             (dict(f_I=4.7e225), 3.29175676894301),
             (dict(f_I=2.3e296, tau=6.9e16), 3.09659456599924),
             (dict(delta=5e-324), 2.24249955687763e+95),
             (dict(n=1e308), 1.05665402406418e+91)]


@pytest.mark.parametrize("change, phi_star", HMY_EDGES)
def test_signed_sums_of_powers_are_factored_and_in_the_log_domain(change, phi_star):
    """The HMY-Pareto closed forms are positive by their tree once their sums are
    factored (common factors cancel) and tau^z - 1 is expm1 (stable._signed_power_sums):
    solve's phi* is the reference's, and so is every output whose form is rewritten
    (all but the differences of tails p_x and M_x; export_fdi_ratio and eps have their
    differences of powers in expm1 form) that the reference computes (eps has no generic
    step), wherever the reference's value is a normal double (pi_bar and r_bar overflow
    at n = 1e308)."""
    m = ms.model("hmy", dist="pareto")
    d = m.derive()
    forms = [n for n, e in d.closed_forms.items()
             if stable.closed_form(e, True).has(sp.exp)]
    assert {"phi_star", "M", "P", "W", "lam", "gains"} <= set(forms)
    point = {**_HMY, **change}
    got = m.solve(outputs=forms, errors="nan", **point)
    assert abs(got["phi_star"] / phi_star - 1) <= 1e-13
    ref = m.reference(dps=30, **point)
    for n in (n for n in forms if n in ref):
        want = float(ref[n])
        if np.finfo(float).tiny <= abs(want) <= np.finfo(float).max:
            assert abs(got[n] / want - 1) <= 1e-12, (n, got[n], want)


def test_one_plus_z_is_sigma_without_the_k_shift():
    """Cournot at sigma = 7e-13: 1 + (sigma - 1) kept 2e-4 of sigma's digits and n was
    3e-6 off; the forms use sigma itself.  n = sqrt(L/(f sigma)) (the model's
    free-entry count; the value from m.reference(dps=30): 1.19522860933439e+156)."""
    m = ms.model("cournot")
    form = stable.closed_form(m.derive().closed_forms["n"], False)
    assert not form.has(stable.Z)
    got = m.solve(sigma=7e-13, L=1e300, f=1.0, phi=1.0)
    assert abs(got["n"] / 1.19522860933439e+156 - 1) <= 1e-14
    assert abs(got["l"] / 8.36660026534076e+143 - 1) <= 1e-14
