"""Trade elasticity, Melitz-Redding decomposition and ACR (melitz_sym.models.welfare).

References, typed in from literature.md:
* §2 (general partial trade elasticity [D]): eps = -(sigma-1) - gamma(phi*_ij), with
  gamma(phi) = phi^sigma g(phi)/V(phi); in the symmetric model the bilateral cutoff is
  the export cutoff phi_x*.
* §2.1 (untruncated Pareto [D]): gamma = theta - sigma + 1, eps = -theta, gains = lam^(-1/theta).
* §2.2 (truncated Pareto [D]): gamma = (theta-sigma+1)/(1 - (phi/b_H)^(theta-sigma+1)).
* §2.3 (log-normal [D], Head-Mayer-Thoenig 2014): gamma(phi) = h(z - (sigma-1)s)/s,
  z = (ln phi - mu)/s, h the standard normal hazard.
* §5 (Melitz-Redding 2015 [M], checked by finite differences in the log-normal case [D]):
  d ln W = (-d ln lam + d ln M_e)/(sigma - 1 + gamma(phi*)).
"""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

import melitz_sym as ms
from melitz_sym.symbols import sym

sigma, k, b, b_H, mu, s_, x = (sym(n) for n in ("sigma", "k", "b", "b_H", "mu", "s", "x"))
GAMMA = sp.Function("gamma")

LOGNORMAL = {"sigma": "3.8", "mu": "0.1", "s": "0.9", "f": "1.2", "f_x": "1.5", "f_e": "2.0",
             "delta": "0.1", "tau": "1.4", "n": "2", "L": "100"}


def hazard(v):
    return mpmath.npdf(v) / mpmath.ncdf(-v)


def gamma_lognormal(phi, p):
    """literature.md §2.3."""
    sg, m, s = (mpmath.mpf(p[n]) for n in ("sigma", "mu", "s"))
    z = (mpmath.log(phi) - m) / s
    return hazard(z - (sg - 1) * s) / s


@pytest.fixture(scope="module")
def pareto():
    return ms.model("melitz", dist="pareto")


@pytest.fixture(scope="module")
def lognormal():
    return ms.model("melitz", dist="lognormal")


def test_general_trade_elasticity_form(pareto):
    """literature.md §2: eps = -(sigma-1) - gamma(phi_x*), derived in the generic layer."""
    eq = pareto.derive()["trade_elasticity_general"]
    assert sp.expand(eq.rhs - (-(sigma - 1) - GAMMA(sym("phi_x_star")))) == 0


def test_gamma_pareto(pareto):
    """literature.md §2.1: gamma = theta - sigma + 1 (a constant), eps = -theta."""
    d = pareto.derive()
    g = d.concretize(d["gamma_function"].rhs)
    assert sp.simplify(g - (k - sigma + 1)) == 0
    assert sp.simplify(d.closed_form("eps") + k) == 0
    assert d["trade_elasticity"].rhs == -k


def test_acr_exact_under_pareto(pareto):
    """literature.md §2.1 / §5 (ACR 2012): gains = lam^(1/eps) = lam^(-1/theta), as a
    checked step and numerically at 50 digits."""
    d = pareto.derive()
    assert "acr" in d.names and "M_e_invariant" in d.names
    p = {"sigma": "3.8", "k": "4.6", "b": "0.5", "f": "1.2", "f_x": "1.5", "f_e": "2",
         "delta": "0.1", "tau": "1.4", "n": "2", "L": "100"}
    r = pareto.evaluate(dps=50, **p)
    with mpmath.workdps(50):
        assert abs(r["gains"] / r["lam"] ** (-1 / mpmath.mpf("4.6")) - 1) < 1e-40
        assert abs(r["eps"] + mpmath.mpf("4.6")) < 1e-40


def test_gamma_truncated_pareto():
    """literature.md §2.2: gamma rises above theta - sigma + 1 towards b_H."""
    from melitz_sym.models import melitz, welfare

    dist = ms.TruncatedPareto()
    g = welfare.gamma_of(dist)(x).replace(
        melitz.V, sp.Lambda(x, dist.tail_moment(x, sigma - 1)))
    e = k - sigma + 1
    ref = e / (1 - (x / b_H) ** e)
    at = {sigma: sp.Rational(19, 5), k: sp.Rational(23, 5), b: sp.Rational(1, 2),
          b_H: 7, x: sp.Rational(13, 10)}
    assert abs(sp.N(g.subs(at) / ref.subs(at) - 1, 50)) < 1e-40


def test_lognormal_elasticity_varies_and_acr_fails(lognormal):
    """literature.md §2.3 and §5 (Melitz-Redding abstract): with log-normal productivity the
    trade elasticity is -(sigma-1) - h(z_x - (sigma-1)s)/s, market-specific, and the ACR
    formula lam^(1/eps) no longer gives the gains from trade.  Equilibrium values come from
    the independent quadrature path (Model.reference); eps from the fast path."""
    d = lognormal.derive()
    assert "acr" not in d.names and "trade_elasticity" not in d.names
    fast = {t: lognormal.solve(**{**LOGNORMAL, "tau": t}) for t in ("1.4", "2.0")}
    ref = lognormal.reference(dps=30, outputs=["phi_x_star", "lam", "gains"], **LOGNORMAL)
    with mpmath.workdps(30):
        eps = -(mpmath.mpf("3.8") - 1) - gamma_lognormal(ref["phi_x_star"], LOGNORMAL)
        assert abs(float(fast["1.4"]["eps"]) / float(eps) - 1) < 1e-12
        acr = ref["lam"] ** (1 / eps)
        assert abs(acr / ref["gains"] - 1) > 1e-3
    assert abs(float(fast["2.0"]["eps"] - fast["1.4"]["eps"])) > 1e-3


def test_mr_decomposition_finite_difference(lognormal):
    """literature.md §5: d ln W = (-d ln lam + d ln M_e)/(sigma - 1 + gamma(phi*)), checked by
    a central difference in tau at 40 digits on the independent quadrature path
    (log-normal, where M_e moves with trade)."""
    h = mpmath.mpf(10) ** -10
    names = ["phi_star", "W", "lam", "M_e"]
    with mpmath.workdps(40):
        tau = mpmath.mpf(LOGNORMAL["tau"])
        lo, mid, hi = (lognormal.reference(dps=40, outputs=names, **{**LOGNORMAL, "tau": t})
                       for t in (tau - h, tau, tau + h))

        def dln(name):
            return mpmath.log(hi[name]) - mpmath.log(lo[name])

        assert abs(dln("M_e")) > 1e-15  # entry does respond, unlike under Pareto
        rhs = (-dln("lam") + dln("M_e")) / (mpmath.mpf("2.8")
                                            + gamma_lognormal(mid["phi_star"], LOGNORMAL))
        assert abs(dln("W") / rhs - 1) < 1e-15


def test_hmy_elasticity_not_constant():
    """With FDI the exporter margin is bounded above by phi_I*, so even under Pareto the
    trade elasticity depends on tau and the ACR step is not added."""
    m = ms.model("hmy", dist="pareto")
    d = m.derive()
    assert "trade_elasticity_general" in d.names and "mr_decomposition" in d.names
    assert "acr" not in d.names
    assert sym("tau") in d.closed_form("eps").free_symbols
