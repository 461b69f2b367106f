"""The seed's Cournot model vs literature.md §7 (Epifani 2002, Sec. 2, eqs. (2)-(5)).

Reference formulas are typed in from literature.md §7 ([S] seed document, solution (5)
tagged [D]); the equilibrium conditions are also re-checked from the primitives with
mpmath (profit maximisation by numerical differentiation, zero profit, labour market).
"""

from __future__ import annotations

import random

import mpmath
import numpy as np
import pytest
import sympy as sp

import melitz_sym as ms
from melitz_sym.symbols import sym

sigma, f, phi, L, n = (sym(s) for s in "sigma f phi L n".split())

# literature.md §7, seed eq. (2): p = sigma n/(sigma n - 1) * 1/phi
MARKUP_RULE = sigma * n / (sigma * n - 1)
# literature.md §7, seed eq. (3): q = f phi (sigma n - 1)
FREE_ENTRY_Q = f * phi * (sigma * n - 1)
# literature.md §7, seed solution (5): n = (L/(sigma f))^(1/2), q = phi f [(sigma L/f)^(1/2) - 1]
N_LIT = (L / (sigma * f)) ** sp.Rational(1, 2)
Q_LIT = phi * f * ((sigma * L / f) ** sp.Rational(1, 2) - 1)
LITERATURE = {"n": N_LIT, "q": Q_LIT, "markup": MARKUP_RULE.subs(n, N_LIT),
              "p": MARKUP_RULE.subs(n, N_LIT) / phi, "l": f + Q_LIT / phi,
              "q_per_l": Q_LIT / (f + Q_LIT / phi)}


@pytest.fixture(scope="module")
def model():
    return ms.model("cournot")


@pytest.fixture(scope="module")
def deriv(model):
    return model.derive()


def points(count: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        p = {"sigma": rng.uniform(0.3, 8), "f": rng.uniform(0.5, 3), "phi": rng.uniform(0.2, 3),
             "L": rng.uniform(1, 1000)}
        if p["sigma"] * p["L"] > 1.5 * p["f"]:
            out.append(p)
    return out


def test_registered_with_parameters(model):
    assert "cournot" in ms.models()
    assert set(model.parameters) == {"sigma", "f", "phi", "L"}


def test_check_passes(deriv):
    how = deriv.check()
    assert how["markup_rule"] == "symbolic"
    assert how["labour_market"] == "symbolic"


def test_markup_rule_from_foc(deriv):
    """Seed eq. (2), with n still free: the derived Cournot pricing rule."""
    assert sp.simplify(deriv["markup_rule"].rhs * phi - MARKUP_RULE) == 0


def test_free_entry_output(deriv):
    """Seed eq. (3): q = f phi (sigma n - 1)."""
    assert sp.simplify(deriv["free_entry"].rhs - FREE_ENTRY_Q) == 0


@pytest.mark.parametrize("name", sorted(LITERATURE))
def test_closed_forms_match_seed(deriv, name):
    """Seed solution (5) and the quantities built from it, symbolically."""
    got = deriv.closed_form(name)
    assert got is not None
    assert sp.simplify(got - LITERATURE[name]) == 0, f"{name}: {got}"


def test_fast_and_mpmath_match_seed_numbers(model):
    """solve (numpy) and evaluate (mpmath, 50 digits) vs the seed formulas in mpmath."""
    pts = points(25)
    arrays = {k: np.array([p[k] for p in pts]) for k in pts[0]}
    fast = model.solve(**arrays)
    syms = [sigma, f, phi, L]
    for i, p in enumerate(pts):
        args = [mpmath.mpf(p[s.name]) for s in syms]
        with mpmath.workdps(50):
            ref = {k: sp.lambdify(syms, e, "mpmath")(*args) for k, e in LITERATURE.items()}
            slow = model.evaluate(dps=50, **p)
            for k, r in ref.items():
                assert abs(slow[k] - r) <= mpmath.mpf(10) ** -40 * abs(r)
                assert abs(fast[k][i] - float(r)) <= 1e-12 * abs(float(r)), (k, p)


def test_equilibrium_from_primitives():
    """Independent of the derivation: at the solution each firm's output maximises its
    profit p((n-1) q + q_i) q_i - f - q_i/phi given rivals (derivative zero, second
    derivative negative), profit is zero and labour demand equals L."""
    m = ms.model("cournot")
    for p in points(5, seed=11):
        with mpmath.workdps(40):
            s = m.evaluate(dps=40, **p)
            sig, fc, ph, lab = (mpmath.mpf(p[k]) for k in ("sigma", "f", "phi", "L"))
            A = s["n"] * s["q"] * s["p"] ** sig  # demand level consistent with the price

            def profit(qi, s=s, A=A, sig=sig, fc=fc, ph=ph):
                Q = (s["n"] - 1) * s["q"] + qi
                return (Q / A) ** (-1 / sig) * qi - fc - qi / ph

            scale = s["p"] * s["q"]
            assert abs(mpmath.diff(profit, s["q"])) < mpmath.mpf(10) ** -25 * s["p"]
            assert mpmath.diff(profit, s["q"], 2) < 0
            assert abs(profit(s["q"])) < mpmath.mpf(10) ** -30 * scale
            assert abs(s["n"] * (fc + s["q"] / ph) - lab) < mpmath.mpf(10) ** -30 * lab


def test_trade_integration_is_a_rise_in_L(model, deriv):
    """Seed Sec. 2: integration (doubling L) gives more firms, a lower markup, larger firms
    and higher q/l; the derived elasticity of n is 1/2 (n = (L/(sigma f))^(1/2))."""
    base = {"sigma": 2.5, "f": 1.2, "phi": 0.8, "L": 50.0}
    a = model.solve(**base)
    b = model.solve(**{**base, "L": 100.0})
    assert b["n"] > a["n"] and b["q"] > a["q"] and b["q_per_l"] > a["q_per_l"]
    assert b["markup"] < a["markup"]
    assert np.isclose(b["n"] / a["n"], np.sqrt(2), rtol=1e-14)
    assert deriv["scale_effect_n"].rhs == sp.Rational(1, 2)
    # derived elasticities agree with a centred finite difference of the seed formulas
    point = [mpmath.mpf("2.5"), mpmath.mpf("1.2"), mpmath.mpf("0.8")]
    for name in ("q", "markup", "q_per_l", "W"):
        eps = sp.lambdify([sigma, f, phi, L], deriv[f"scale_effect_{name}"].rhs, "mpmath")
        ref = sp.lambdify([sigma, f, phi, L], LITERATURE.get(name, 1 / LITERATURE["p"]),
                          "mpmath")
        with mpmath.workdps(40):
            num = mpmath.diff(lambda x, ref=ref: mpmath.log(ref(*point, mpmath.exp(x))),
                              mpmath.log(50))
            assert abs(eps(*point, 50) - num) < mpmath.mpf(10) ** -25


@pytest.mark.parametrize("bad, words", [
    ({"sigma": 0.1, "f": 2.0, "L": 10.0}, "sigma n exceeds one"),
    ({"f": -1.0}, "fixed cost is positive"),
    ({"L": 0.0}, "labour endowment is positive"),
])
def test_inadmissible(model, bad, words):
    params = {"sigma": 2.0, "f": 1.0, "phi": 1.0, "L": 10.0, **bad}
    with pytest.raises(ms.AdmissibilityError, match=words):
        model.solve(**params)
    with pytest.raises(ms.AdmissibilityError, match=words):
        model.evaluate(**params)


@pytest.mark.parametrize("p", [dict(sigma=3, f=5e-324, phi=1e-300, L=1000.0),
                               dict(sigma=3, f=5e-324, phi=3, L=3),
                               dict(sigma=0.5, f=1e300, phi=1e-200, L=1e308)])
def test_extreme_fixed_costs_give_the_right_numbers(p):
    """Issue 20: at f = 5e-324 the fast path gave q/l = 0 (true value phi = 1e-300) and
    q off by 2.5%: the forms multiplied f by L.  Written in sqrt(f/(sigma L)) every output
    that fits in a double agrees with the 40-digit evaluation of the same float inputs."""
    m = ms.model("cournot")
    fast, precise = m.solve(**p), m.evaluate(dps=40, **p)
    for name, value in precise.items():
        if 2.3e-308 < abs(value) < 1.7e308:
            assert float(fast[name]) == pytest.approx(float(value), rel=4e-16), name
