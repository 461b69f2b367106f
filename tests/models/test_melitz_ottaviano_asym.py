"""Melitz and Ottaviano (2008), section 4: two asymmetric countries.

Reference: the paper's closed forms as quoted in /work/shared/reference/literature.md,
section 8: c_D^l = [gamma phi (1 - rho^h) / (L^l (1 - rho^l rho^h))]^(1/(k+2)) with
phi = 2 (k+1)(k+2) c_M^k f_E and rho^h = (tau^h)^(-k), tau^h the cost of shipping into
h (here tau[l, h]); c_X^l = c_D^h / tau^h; N, p_bar, the average markup and U keep their
closed-economy forms in each country's c_D.  The package derives them from the declared
utility; the numbers are checked against the mpmath reference from the primitives.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import melitz_sym as ms
from melitz_sym.distributions import TruncatedPareto
from melitz_sym.models import method
from melitz_sym.primitives import (
    Asymmetric,
    Declaration,
    Export,
    HeterogeneousCost,
    LinearQuadratic,
)

BASE = dict(alpha=10, gamma=1, eta=1, c_M=1, k=2, f_e=0.01, L=[100, 150],
            tau=[[1, 1.6], [1.4, 1]])


@pytest.fixture(scope="module")
def model():
    return ms.model("melitz-ottaviano-asym")


def _paper(p: dict) -> dict:
    """MO (2008) section 4, at 40 digits."""
    with mpmath.workdps(40):
        alpha, gamma, eta, c_M, k, f_e = (mpmath.mpf(p[x]) for x in
                                          ("alpha", "gamma", "eta", "c_M", "k", "f_e"))
        L = [mpmath.mpf(v) for v in p["L"]]
        tau = [[mpmath.mpf(v) for v in row] for row in p["tau"]]
        phi = 2 * (k + 1) * (k + 2) * c_M**k * f_e
        rho = [tau[1][0] ** -k, tau[0][1] ** -k]  # rho^l: shipping into l
        c_D = [(gamma * phi * (1 - rho[1 - i]) / (L[i] * (1 - rho[0] * rho[1])))
               ** (1 / (k + 2)) for i in range(2)]
        return {"c_D": c_D, "c_X": [[c_D[h] / tau[i][h] for h in range(2)] for i in range(2)],
                "N": [2 * (k + 1) * gamma * (alpha - c) / (eta * c) for c in c_D],
                "p_bar": [(2 * k + 1) / (2 * k + 2) * c for c in c_D],
                "markup_bar": [c / (2 * (k + 1)) for c in c_D],
                "W": [1 + (alpha - c) * (alpha - (k + 1) / (k + 2) * c) / (2 * eta)
                      for c in c_D]}


def _points(count: int, seed: int, region: str = "") -> list[dict]:
    """Random points of the everyday ranges (or a stress region) with entrants in both
    countries."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        L1 = rng.uniform(50, 1000)
        taus = (5, 50) if region == "tau_large" else (1.2, 3)
        p = dict(alpha=rng.uniform(*((0.05, 0.6) if region == "c_D_near_alpha" else (2, 20))),
                 gamma=rng.uniform(0.2, 5), eta=rng.uniform(0.2, 5),
                 c_M=rng.uniform(0.5, 2), k=rng.uniform(*((15, 40) if region == "k_large"
                                                           else (0.5, 8))),
                 f_e=rng.uniform(0.001, 0.05), L=[L1, L1 * rng.uniform(0.5, 2)],
                 tau=[[1, rng.uniform(*taus)], [rng.uniform(*taus), 1]])
        try:
            ms.model("melitz-ottaviano-asym").solve(**p)
        except ms.AdmissibilityError:
            continue
        out.append(p)
    return out


def _flat(v) -> list:
    return list(np.ravel(np.array(v, dtype=object)))


@pytest.mark.slow
def test_closed_forms_are_the_papers(model):
    for p in [BASE] + _points(4, 1):
        got, paper = model.solve(**p), _paper(p)
        for name, want in paper.items():
            for g, w in zip(_flat(got[name]), _flat(want)):
                assert abs(mpmath.mpf(float(g)) / w - 1) < 3e-15, (name, p)


@pytest.mark.slow
@pytest.mark.parametrize("region, bound", [
    ("", 2e-15),  # everyday ranges; measured 2.2e-16 at BASE
    ("k_large", 3e-14), ("tau_large", 3e-14), ("c_D_near_alpha", 3e-14),  # measured <= 7.4e-15
])
def test_solve_agrees_with_reference(region, bound, model):
    worst = 0.0
    for p in ([] if region else [BASE]) + _points(3, 2, region):
        fast, ref = model.solve(**p), model.reference(dps=30, **p)
        assert set(fast) == set(ref) == set(model.outputs)
        for name in ref:
            for g, w in zip(_flat(fast[name]), _flat(ref[name])):
                assert np.isfinite(g), name
                worst = max(worst, float(abs(mpmath.mpf(float(g)) / w - 1)))
    assert worst <= bound


def test_the_reference_solves_the_papers_cutoffs(model):
    ref, paper = model.reference(dps=35, **BASE), _paper(BASE)
    for g, w in zip(ref["c_D"], paper["c_D"]):
        assert abs(g / w - 1) < mpmath.mpf(10) ** -30


def test_equal_countries_are_the_symmetric_model(model):
    sym = ms.model("melitz-ottaviano").solve(**{**BASE, "L": 100, "tau": 1.5, "n": 1})
    out = model.solve(**{**BASE, "L": [100, 100], "tau": [[1, 1.5], [1.5, 1]]})
    for name in ("c_D", "N", "N_E", "p_bar", "c_bar", "markup_bar", "W"):
        np.testing.assert_allclose(out[name], float(sym[name]), rtol=1e-14)


@pytest.mark.parametrize("change, words", [
    (dict(L=[100, 150, 200], tau=[[1, 1.5, 1.5], [1.5, 1, 1.5], [1.5, 1.5, 1]]),
     "two countries"),
    (dict(tau=[[1, 1], [1.4, 1]]), r"tau\[0,1\] > 1"),
    (dict(L=[100, 1000]), "entrants N_E of country 1 are positive"),
    (dict(alpha=0.15), "demand intercept alpha"),
    (dict(f_e=1, L=[1, 1.2]), "upper end of the cost support"),
    (dict(tau=[[1, 1.6], [0.9, 1]]), "iceberg"),
])
def test_corners_and_bad_input_are_refused(change, words, model):
    with pytest.raises(ms.AdmissibilityError, match=words):
        model.solve(**{**BASE, **change})
    if words not in ("iceberg",):
        with pytest.raises(ms.AdmissibilityError, match=words):
            model.reference(dps=20, **{**BASE, **change})


def test_another_cost_distribution_is_refused_before_deriving():
    decl = Declaration("x", demand=LinearQuadratic(), firms=HeterogeneousCost(TruncatedPareto()),
                       fixed_cost=None, geography=Asymmetric(), modes=(Export(fixed=None),))
    with pytest.raises(ms.DeclarationError, match="Pareto in cost"):
        method.plan(decl)


def test_every_step_checks(model):
    how = model.derive().check()
    assert how["cutoff_solution"] in ("symbolic", "numeric")
    assert set(how.values()) <= {"declared", "symbolic", "numeric"}


def test_the_reference_entrants_at_a_tiny_gamma(model):
    """Issue 20 (long fuzz profile): at gamma = 6.4e-183 the reference's findroot stopped
    at its absolute tolerance from N_E = 1 and gave N_E = -3.9e-19, refusing a point that
    solve computes (N_E ~ 4e-43).  Solved with the unknowns rescaled, the reference has
    the paper's c_D and N (MO 2008 section 4) and solve's N_E.  Its c_D was 2.5e-11 off
    the paper's for every gamma below about 1e-60: mpmath.quad's absolute tolerance on
    moments of 1e-94 (cost_reference.Moments now scales each integrand)."""
    for gamma in (1e-60, 6.380662167369133e-183):
        p = dict(BASE, gamma=gamma, f_e=0.009999769744141627)
        ref, paper, fast = model.reference(dps=30, **p), _paper(p), model.solve(**p)
        for name in ("c_D", "N"):
            for g, w in zip(ref[name], paper[name]):
                assert abs(g / w - 1) < mpmath.mpf(10) ** -25, name
        for g, w in zip(ref["N_E"], fast["N_E"]):
            assert g > 0 and abs(g / mpmath.mpf(float(w)) - 1) < 1e-13
