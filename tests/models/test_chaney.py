"""Chaney (2008): derived steps against literature.md section 3, numeric vs mpmath.

Reference formulas are typed in from /work/shared/reference/literature.md,
section 3 ("Chaney (2008), Distorted Gravity", AER 98(4):1707-21), with
gamma = k, mu = alpha and the Pareto lower bound b = 1 as in the paper:

- lambda_3 = [(sigma gamma - mu (sigma-1)) / (mu (gamma - sigma + 1))]^(1/gamma)
- pi = mu (sigma-1) / (sigma gamma - mu (sigma-1))
- X_ij = mu Y_i Y_j / Y (w_i tau_ij / theta_j)^(-gamma) f_ij^(-(gamma/(sigma-1) - 1))
- theta_j = [sum_k (Y_k/Y) (w_k tau_kj)^(-gamma) f_kj^(-(gamma/(sigma-1) - 1))]^(-1/gamma)
- phi_bar_ij = lambda_3 (Y/Y_j)^(1/gamma) w_i tau_ij f_ij^(1/(sigma-1)) / theta_j
- P_j = sigma/(sigma-1) (sigma/mu)^(1/(sigma-1)) lambda_3^(-1) (Y_j/Y)^(1/gamma)
  Y_j^(-1/(sigma-1)) theta_j
- x_ij(phi) = sigma lambda_3^(1-sigma) (Y_j/Y)^((sigma-1)/gamma)
  (theta_j phi / (w_i tau_ij))^(sigma-1)
- N_ij = w_i L_i phi_bar_ij^(-gamma)
- elasticities: d ln X/d ln tau = -gamma (intensive -(sigma-1), extensive
  -(gamma-sigma+1)); d ln X/d ln f = -(gamma/(sigma-1) - 1), extensive only.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import melitz_sym as ms
from melitz_sym.symbols import sym

sigma, k, w, L, tau, f, phi = (sym(s) for s in ["sigma", "k", "w", "L", "tau", "f", "phi"])
mu = sp.Symbol("alpha", positive=True)
Y_i, Y_j, Y, theta_j = sp.symbols("Y_i Y_j Y theta_j", positive=True)
LAM3 = ((sigma * k - mu * (sigma - 1)) / (mu * (k - sigma + 1))) ** (1 / k)
PI = mu * (sigma - 1) / (sigma * k - mu * (sigma - 1))


@pytest.fixture(scope="module")
def model():
    return ms.model("chaney")


@pytest.fixture(scope="module")
def d(model):
    return model.derive()


def _factor_bases(e: sp.Expr) -> sp.Expr:
    e = e.replace(lambda x: x.is_Pow and not x.exp.is_Integer,
                  lambda x: sp.Pow(sp.factor(sp.cancel(x.base)), x.exp))
    return e.replace(lambda x: x.is_Add, lambda x: sp.factor(sp.cancel(x)))


def same(a: sp.Expr, b: sp.Expr) -> bool:
    """log(a/b) = 0 with sigma = 1 + z and k = z + e (all factors positive), after
    factoring every sum and the base of every power."""
    z, e = sp.Dummy("z", positive=True), sp.Dummy("e", positive=True)
    a, b = (_factor_bases(x.subs(k, z + e).subs(sigma, 1 + z)) for x in (a, b))
    return sp.simplify(sp.expand_log(sp.log(a / b), force=True)) == 0


def test_steps_check(d):
    how = d.check()
    for step in ("cutoff", "flows", "price_index", "profit_share", "dividend", "gravity",
                 "elasticity_tau", "elasticity_f"):
        assert how[step] == "symbolic", step


def test_constants_match_literature(d):
    assert same(d["lambda_3"].rhs.subs(sym("b"), 1), LAM3)
    assert sp.simplify(d["dividend"].rhs - PI) == 0


def test_gravity_cutoff_price_index_match_literature(d):
    pi = sp.Symbol("pi", positive=True)
    grav = mu * Y_i * Y_j / Y * (w * tau / theta_j) ** (-k) * f ** (-(k / (sigma - 1) - 1))
    assert same(d["gravity"].rhs, grav)
    cut = LAM3 * (Y / Y_j) ** (1 / k) * w * tau * f ** (1 / (sigma - 1)) / theta_j
    assert same(d.outputs["phi_star"].subs({sym("b"): 1, pi: PI}), cut)
    P = (sigma / (sigma - 1) * (sigma / mu) ** (1 / (sigma - 1)) / LAM3 * (Y_j / Y) ** (1 / k)
         * Y_j ** (-1 / (sigma - 1)) * theta_j)
    assert same(d.outputs["P"].subs({sym("b"): 1, pi: PI, sp.Symbol("Y_j", positive=True): Y_j}),
                P)


def test_firm_exports_and_exporters_match_literature(d):
    pi = sp.Symbol("pi", positive=True)
    P_sub = d.outputs["P"].subs({sym("b"): 1, pi: PI})
    x_lit = (sigma * LAM3 ** (1 - sigma) * (Y_j / Y) ** ((sigma - 1) / k)
             * (theta_j * phi / (w * tau)) ** (sigma - 1))
    assert same(d["firm_exports"].rhs.subs(sym("P"), P_sub), x_lit)
    cut = d.outputs["phi_star"].subs({sym("b"): 1, pi: PI})
    assert same(d.outputs["M_x"].subs({sym("b"): 1, pi: PI}), w * L * cut ** (-k))


def test_elasticities_and_margins(d):
    total, intensive, extensive = d["elasticity_tau"].rhs
    assert sp.simplify(total + k) == 0
    assert sp.simplify(intensive + (sigma - 1)) == 0
    assert sp.simplify(extensive + (k - sigma + 1)) == 0
    total, intensive, extensive = d["elasticity_f"].rhs
    assert sp.simplify(total + (k / (sigma - 1) - 1)) == 0
    assert intensive == 0
    # a higher sigma strengthens the intensive margin, weakens the extensive one
    assert sp.diff(d["elasticity_tau"].rhs[1], sigma) < 0
    assert sp.diff(d["elasticity_tau"].rhs[2], sigma) > 0


def random_params(rng: np.random.Generator, N: int) -> dict:
    s = rng.uniform(2, 5)
    tau = rng.uniform(1.1, 2.5, (N, N))
    np.fill_diagonal(tau, 1)
    return dict(sigma=s, alpha=rng.uniform(0.1, 0.9), k=s - 1 + rng.uniform(0.3, 3), b=1,
                w=rng.uniform(0.5, 2, N), L=rng.uniform(10, 300, N), tau=tau,
                f=rng.uniform(0.5, 3, (N, N)))


@pytest.mark.parametrize("seed,N", [(1, 2), (2, 3)])
def test_solve_matches_mpmath_reference(model, seed, N):
    params = random_params(np.random.default_rng(seed), N)
    fast = model.solve(**params)
    ref = model.reference(dps=30, **params)
    for name, value in ref.items():
        a, b = np.asarray(fast[name], float), np.asarray(value, float)
        assert np.max(np.abs(a - b) / np.abs(b)) < 1e-12, name


def test_solution_satisfies_literature_gravity(model):
    params = random_params(np.random.default_rng(7), 4)
    out = model.solve(**params)
    s, g, a = params["sigma"], params["k"], params["alpha"]
    Yv = out["Y"]
    acc = (params["w"][:, None] * params["tau"]) ** (-g) * params["f"] ** (-(g / (s - 1) - 1))
    theta = ((Yv[:, None] / Yv.sum()) * acc).sum(axis=0) ** (-1 / g)
    assert np.max(np.abs(out["theta"] / theta - 1)) < 1e-13
    X = a * np.outer(Yv, Yv) / Yv.sum() * acc * theta[None, :] ** g
    assert np.max(np.abs(out["X"] / X - 1)) < 1e-13
    assert abs(out["pi"] - a * (s - 1) / (s * g - a * (s - 1))) < 1e-15
    # spending on varieties in j adds up to alpha Y_j
    assert np.max(np.abs(out["X"].sum(axis=0) / (a * Yv) - 1)) < 1e-13


@pytest.mark.parametrize("change,words", [
    (dict(tau=[[1, 2], [2, 1.5]]), "tau[1,1]=1.5"),
    (dict(f=[[1, 0], [1, 1]]), "f[0,1]=0"),
    (dict(w=[1, 2, 3]), "w must be a vector of 2"),
    (dict(alpha=1.5), "alpha=1.5"),
    (dict(k=1.0), "k=1"),
])
def test_bad_parameters(model, change, words):
    params = dict(sigma=3, alpha=0.5, k=3, b=1, w=[1, 1], L=[1, 2],
                  tau=[[1, 2], [2, 1]], f=[[1, 1], [1, 1]])
    params.update(change)
    with pytest.raises(ms.AdmissibilityError) as err:
        model.solve(**params)
    assert words in str(err.value)


def test_non_pareto_is_refused():
    with pytest.raises(ms.DeclarationError, match="Pareto"):
        ms.model("chaney", dist="lognormal")
