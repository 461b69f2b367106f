"""Asymmetric N-country Melitz: derivation, numeric solution, reference, errors.

References (typed in here, never taken from the package):
- literature.md section 5, Demidova (2008) / Demidova & Rodriguez-Clare (2013):
  cutoff phi*_ij = (sigma w_i f_ij / (w_j L_j))^(1/(sigma-1)) w_i tau_ij / (rho P_j),
  W_i = rho phi*_ii (L_i/(sigma f_ii))^(1/(sigma-1)), W_i/W_i^A = lam_ii^(-1/theta)
  (Pareto), entrants M_e_i = (sigma-1) L_i/(sigma theta f_e_i) (Pareto).
- literature.md section 2: trade elasticity -(sigma-1) - gamma(phi*), gamma = theta-sigma+1
  under Pareto.
- the independent mpmath path (quadrature + findroot from the primitives).
- the symmetric ``melitz`` model (n = N - 1 partners).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import melitz_sym as ms
from melitz_sym.symbols import sym


def random_params(rng: np.random.Generator, N: int) -> dict:
    """Random admissible asymmetric parameters with interior cutoffs (Pareto)."""
    sigma = rng.uniform(2, 5)
    k = sigma - 1 + rng.uniform(0.5, 3)
    tau = rng.uniform(1.1, 2.0, (N, N))
    np.fill_diagonal(tau, 1)
    f = rng.uniform(1.5, 3, (N, N))
    np.fill_diagonal(f, rng.uniform(0.5, 1.0, N))
    return dict(sigma=sigma, delta=rng.uniform(0.02, 0.1), k=k, b=rng.uniform(0.5, 1.5, N),
                f_e=rng.uniform(0.5, 2, N), L=rng.uniform(10, 300, N), tau=tau, f=f)


def rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.abs(b)))


@pytest.fixture(scope="module")
def pareto():
    return ms.model("melitz-asym")


def test_derivation_checks(pareto):
    how = pareto.derive().check()
    assert how["cutoff"] == "symbolic" and how["labour_market"] == "symbolic"
    assert how["trade_elasticity"] in ("symbolic", "numeric")


def test_cutoff_and_welfare_match_demidova_rodriguez_clare(pareto):
    d = pareto.derive()
    sigma, w, tau, f, L, A = (sym(s) for s in ["sigma", "w", "tau", "f", "L", "A"])
    w_j, L_j, P_j = sp.symbols("w_j L_j P_j", positive=True)
    rho = (sigma - 1) / sigma
    # literature.md section 5 (DRC 2013), with A_j = w_j L_j P_j^(sigma-1)
    lit = (sigma * w * f / (w_j * L_j)) ** (1 / (sigma - 1)) * w * tau / (rho * P_j)
    ours = d["cutoff"].rhs.subs(A, w_j * L_j * P_j ** (sigma - 1))
    z = sp.Dummy("z", positive=True)
    diff = sp.expand_log(sp.log(ours / lit), force=True).subs(sigma, 1 + z)
    assert sp.simplify(diff) == 0
    phi = sym("phi_star")
    lit_W = rho * phi * (L / (sigma * f)) ** (1 / (sigma - 1))
    assert sp.simplify(sp.expand_log(sp.log(d["welfare_cutoff"].rhs / lit_W), force=True)
                       .subs(sigma, 1 + z)) == 0


@pytest.mark.slow
@pytest.mark.parametrize("seed,N", [(1, 2), (2, 2), (3, 3)])
def test_matches_mpmath_reference(pareto, seed, N):
    params = random_params(np.random.default_rng(seed), N)
    fast = pareto.solve(**params)
    ref = pareto.reference(dps=30, **params)
    for name, value in ref.items():
        assert rel(fast[name], value) < 1e-12, name


def test_lognormal_tail_matches_reference():
    m = ms.model("melitz-asym", dist="lognormal")
    # export cutoffs 5.1-5.2 standard deviations above the mean of log productivity
    # (further out, the cancellation in j(phi) = V phi^(1-sigma) - S costs digits:
    # at 5.7 sd X is good to 1.3e-12 only)
    params = dict(sigma=3.0, delta=0.05, mu=[0, 0.1], s=0.3, f_e=[0.01, 0.02],
                  L=[100, 50], tau=[[1, 1.5], [1.4, 1]], f=[[1, 2], [2, 1.2]])
    fast = m.solve(**params)
    assert np.log(fast["phi_star"][0, 1]) / 0.3 > 5
    ref = m.reference(dps=25, **params)
    for name in ("phi_star", "X", "w", "W", "gains", "M_e"):
        assert rel(fast[name], ref[name]) < 1e-12, name


def test_lognormal_elasticity_varies_and_acr_fails():
    m = ms.model("melitz-asym", dist="lognormal")
    fast = m.solve(sigma=3.0, delta=0.1, mu=[0, 0.2], s=0.8, f_e=[1, 2], L=[100, 50],
                   tau=[[1, 1.5], [1.4, 1]], f=[[1, 2], [2, 1.2]])
    # the trade elasticity is market-specific, and ACR with any one of them is off
    eps = fast["eps"]
    assert np.ptp(eps) > 0.1
    assert np.all(eps < -2)  # below -(sigma - 1): the extensive margin adds to it
    lam = np.diag(fast["lam"])
    acr = lam ** (1 / np.diag(eps))
    assert np.all(np.abs(acr / fast["gains"] - 1) > 1e-3)


def test_identical_countries_reproduce_symmetric_melitz(pareto):
    N = 3
    s = dict(sigma="3.8", k="4.6", b="1", f="1", f_x="1.5", f_e="1", delta="0.1",
             tau="1.5", L="100")
    tau = np.full((N, N), 1.5)
    np.fill_diagonal(tau, 1)
    f = np.full((N, N), 1.5)
    np.fill_diagonal(f, 1)
    asym = pareto.solve(sigma=3.8, delta=0.1, k=4.6, b=1, f_e=1, L=100, tau=tau, f=f)
    sym_ = ms.model("melitz").evaluate(n=N - 1, **s)
    pairs = {"phi_star": np.diag(asym["phi_star"]), "phi_x_star": asym["phi_star"][0, 1:],
             "lam": np.diag(asym["lam"]), "W": asym["W"], "gains": asym["gains"],
             "M_e": asym["M_e"], "M": asym["M"], "P": asym["P"]}
    for name, values in pairs.items():
        assert rel(values, float(sym_[name])) < 1e-12, name
    assert rel(asym["w"], 1.0) < 1e-13


def test_two_countries_trade_balance_and_labour_market(pareto):
    params = random_params(np.random.default_rng(11), 2)
    out = pareto.solve(**params)
    X, w, Me, phi = out["X"], out["w"], out["M_e"], out["phi_star"]
    # trade balance: exports = imports
    assert abs(X[0, 1] - X[1, 0]) / X[0, 1] < 1e-12
    # labour market from primitives: entry + fixed + variable labour = L
    sigma, delta, k, b = params["sigma"], params["delta"], params["k"], params["b"]
    S = (b[:, None] / phi) ** k  # Pareto survival, literature.md section 2.1
    labour = Me * params["f_e"] + Me / delta * (params["f"] * S).sum(axis=1) \
        + (sigma - 1) / sigma * X.sum(axis=1) / w
    assert rel(labour, params["L"]) < 1e-12


def test_pareto_acr_entry_and_elasticity(pareto):
    params = random_params(np.random.default_rng(5), 4)
    out = pareto.solve(**params)
    k, sigma = params["k"], params["sigma"]
    # ACR (2012) / DRC: W_i / W_i^A = lam_ii^(-1/theta)
    assert rel(out["gains"], np.diag(out["lam"]) ** (-1 / k)) < 1e-12
    # DRC: M_e_i = (sigma-1) L_i / (sigma theta f_e_i)
    assert rel(out["M_e"], (sigma - 1) * params["L"] / (sigma * k * params["f_e"])) < 1e-12
    # literature.md section 2: -(sigma-1) - (theta - sigma + 1) = -theta
    assert rel(out["eps"], -k) < 1e-14


@pytest.mark.parametrize("change,words", [
    (dict(tau=[[1, 1.5, 1], [1.5, 1, 1]]), "tau must be a square"),
    (dict(f=[[1, 2], [2, 1], [1, 1]]), "f must be a 2 x 2 matrix"),
    (dict(L=[1, 2, 3]), "L must be a vector of 2"),
    (dict(f=[[1, 2], [-2, 1]]), "f[1,0]=-2"),
    (dict(tau=[[1, 1.5], [1.5, 1.2]]), "tau[1,1]=1.2"),
    (dict(tau=[[1, 0.5], [1.5, 1]]), "tau[0,1]=0.5"),
    (dict(b=[1, 0]), "b[1]=0"),
    (dict(k=2.0), "k[0]=2"),
    (dict(sigma=[2, 3]), "sigma must be a scalar"),
    (dict(L="[1, x]"), "cannot read"),
    (dict(L=[100, True]), "L[1]: True is not a number"),  # numpy would read it as 1
    # any numpy version: True, not np.True_
    (dict(f=np.array([[True, False], [False, True]])), "f[0,0]: True is not a number"),
    # issue 20: every entry read as a scalar parameter is (admissibility.exact), by index
    (dict(tau="[[1, 1.5], [1.4, 1e999]]"), "parameter tau[1,1] must be a finite number, got inf"),
    (dict(tau="[[1, 'a'], [1.4, 1]]"), "parameter tau[0,1]: cannot read 'a' as a number"),
    (dict(L=[100, "3/2"]), None),  # read exactly, as a scalar "3/2" is
    (dict(L=[100, 10**400]), "parameter L[1]: 1000"),  # outside the range of a double
    (dict(L="[1, 2"), "parameter L: cannot read '[1, 2' as a list of numbers"),
    (dict(L=[[1], [2, 3]]), "lists of unequal lengths"),
])
def test_bad_parameters_name_the_entry(pareto, change, words):
    params = dict(sigma=3.8, delta=0.1, k=4.6, b=1, f_e=1, L=[100, 50],
                  tau=[[1, 1.5], [1.5, 1]], f=[[1, 2], [2, 1]])
    params.update(change)
    if words is None:
        assert pareto.solve(**params)["phi_star"].shape == (2, 2)
        return
    with pytest.raises(ms.MelitzError) as err:
        pareto.solve(**params)
    assert words in str(err.value)


def test_errors_nan_fills_every_output_in_its_shape(pareto):
    """The contract of Model.solve: errors="nan" gives nan where the point is inadmissible
    (a restriction, a corner) instead of raising; malformed input raises either way."""
    good = dict(sigma=3.8, delta=0.1, k=4.6, b=1, f_e=1, L=[100, 50],
                tau=[[1, 1.5], [1.5, 1]], f=[[1, 2], [2, 1]])
    for bad in (dict(tau=[[1, 0.5], [1.5, 1]]), dict(f_e=100, f=[[0.01, 2], [2, 1]])):
        with pytest.raises(ms.AdmissibilityError):
            pareto.solve(**{**good, **bad})
        out = pareto.solve(errors="nan", **{**good, **bad})
        assert set(out) == set(pareto.outputs)
        assert out["phi_star"].shape == (2, 2) and out["w"].shape == (2,)
        assert all(np.isnan(v).all() for v in out.values())
    same, plain = pareto.solve(errors="nan", **good), pareto.solve(**good)
    assert all(np.array_equal(same[k], plain[k]) for k in plain)
    with pytest.raises(ms.AdmissibilityError, match="L must be a vector of 2"):
        pareto.solve(errors="nan", **{**good, "L": [1, 2, 3]})
    with pytest.raises(ms.ParseError, match="errors must be 'raise' or 'nan'"):
        pareto.solve(errors="ignore", **good)


def test_corner_is_refused(pareto):
    with pytest.raises(ms.AdmissibilityError, match="no selection"):
        pareto.solve(sigma=3.8, delta=0.1, k=4.6, b=1, f_e=100, L=[100, 50],
                     tau=[[1, 1.5], [1.5, 1]], f=[[0.01, 2], [2, 1]])


def test_overflowing_point_is_a_numerical_error_not_a_hang(pareto):
    """Issue 20: b = [1e-200, 0.8] hung solve (the line search halved t forever on a
    non-finite residual); solve and reference now end in NumericalError."""
    params = dict(sigma=3.0, delta=0.05, k=4.0, b=[1e-200, 0.8], f_e=[1.0, 1.0],
                  L=[100.0, 50.0], tau=[[1, 1.5], [1.5, 1]], f=[[1, 2], [2, 1]])
    with pytest.raises(ms.NumericalError, match="not finite"):
        pareto.solve(**params)
    with pytest.raises(ms.NumericalError, match="not finite"):
        pareto.reference(dps=20, **params)


def test_newton_line_search_is_bounded():
    """A residual that is finite only at the start: newton gives up after HALVINGS
    halvings of the step instead of halving forever."""
    from melitz_sym.numeric import general_equilibrium as ge

    class Blowup:
        calls = 0

        def residual(self, u):
            Blowup.calls += 1
            F = np.array([1.0]) if Blowup.calls == 1 else np.array([np.nan])
            return F, None, np.eye(1)

    with pytest.raises(ms.NumericalError, match="no finite residual"):
        ge.newton(Blowup(), np.zeros(1))
    assert Blowup.calls == 1 + ge.HALVINGS



def test_trade_nearly_shut_off_is_refused_not_wrong(pareto):
    """Found by the long fuzz (issue 20): with tau_10 = 1.7e16 solve gave the export
    cutoffs phi*_01 = 1.20e4 and phi*_10 = 7.9e12 where the reference gives 1.16e5 and
    8.2e11 (at tau_10 = 1e6, 6e-4 off).  The trade-balance conditions barely move with
    them: Newton stopped at a residual of 4e-15 with a correction of 0.2 in their logs.
    Now a root needs a small correction, and a point where the residual's rounding
    alone moves the root beyond 1e-9 is a NumericalError; up to tau_10 = 100 solve
    still agrees with the reference (independent mpmath path) to 1e-9."""
    base = dict(sigma=3.8, delta=0.1, f_e=[1.0, 2.0], L=[100.0, 50.0], k=4.6, b=[1.0, 0.8],
                f=[[1.0, 2.0], [2.0, 1.2]])
    for t10 in (1e4, 1e6, 1.7497336600975724e16):
        with pytest.raises(ms.NumericalError, match="ill-conditioned"):
            pareto.solve(**base, tau=[[1, 1.5], [t10, 1]])
    params = dict(base, tau=[[1, 1.5], [100.0, 1]])
    got, want = pareto.solve(**params), pareto.reference(dps=30, **params)
    assert rel(got["phi_star"], [[float(x) for x in r] for r in want["phi_star"]]) < 1e-9
    assert float(want["phi_star"][1][0]) > 10 * float(want["phi_star"][1][1])  # few exporters

AUTARKY_CORNER_POINT = dict(  # found by a random search: interior with trade, not in autarky
    sigma=4.704991510146716, delta=1.0, k=4.488318562390142, b=[0.80576443, 0.85896248],
    f_e=[3.54754146, 0.66250661], L=[257.55746156, 217.94655453],
    tau=[[1, 1.3045068], [1.30439023, 1]], f=[[0.5664668, 0.62854333], [0.78297963, 0.80114599]])


def test_gains_are_refused_where_autarky_is_a_corner(pareto):
    """Issue 20: gains were printed from the autarky cutoff's formula although that cutoff
    lies below b (in autarky every entrant would produce).  solve and reference refuse gains
    there with the same words, and give every other output."""
    p = AUTARKY_CORNER_POINT
    for run in (pareto.solve, lambda **q: pareto.reference(dps=20, **q)):
        with pytest.raises(ms.AdmissibilityError, match=r"autarky \(n = 0\) is a corner"):
            run(**p)
    W = pareto.solve(outputs=["W", "w"], **p)["W"]
    ref = pareto.reference(dps=30, outputs=["W"], **p)["W"]
    assert rel(W, [float(v) for v in ref]) < 1e-12


def test_gains_agree_with_reference_at_full_exit(pareto):
    """Issue 20: at delta = 1 solve's gains were 1.04412 and reference's 1.04433; the
    reference's autarky is now bracketed in the cutoff (it failed or strayed with a secant
    step in A), and the two agree."""
    rng = np.random.default_rng(5)
    done = 0
    for _ in range(30):
        p = {**random_params(rng, 2), "delta": 1.0}
        try:
            got = pareto.solve(**p)
        except ms.AdmissibilityError:
            continue
        ref = pareto.reference(dps=30, **p)
        assert rel(got["gains"], [float(v) for v in ref["gains"]]) < 1e-12
        done += 1
        if done == 2:
            return
    raise AssertionError("fewer than 2 interior points in 30 draws")


@pytest.mark.parametrize("delta, reference", [(1.0, 1.0752097971070475),
                                              (0.1, 1.7806979527018918)])
def test_weibull_solves_its_own_free_entry(delta, reference):
    """Issue 20 (long fuzz profile): melitz-asym Weibull at delta = 1 gave phi*_00 = 1.50
    where m.reference gives 1.0752097971070475 (at delta = 0.1: no convergence).  sympy's
    SciPy printer wrote uppergamma(s, x)**a as gamma(s)*gammaincc(s, x)**a, so the
    solver's free-entry terms were not the derived ones.  Independent check: at the
    solved cutoffs, free entry sum_j f_ij int_(phi*_ij) ((phi/phi*_ij)^(sigma-1) - 1)
    dG_i = delta f_e_i by scipy quadrature of the Weibull density; the cutoff agrees
    with m.reference (values stored from it)."""
    from scipy import integrate

    sigma, k, b, f_e = 3.8, 1.5, [1.0, 0.8], [1.0, 2.0]
    f = np.array([[1.0, 2.0], [2.0, 1.2]])
    m = ms.model("melitz-asym", "weibull")
    phi = m.solve(outputs=["phi_star"], sigma=sigma, delta=delta, f_e=f_e, L=[100.0, 50.0],
                  tau=[[1, 1.5], [1.4, 1]], f=f, k=k, b=b)["phi_star"]

    def profit(x, i, j):  # profit over the fixed cost times the Weibull density of i
        density = k / b[i] * (x / b[i]) ** (k - 1) * np.exp(-(x / b[i]) ** k)
        return ((x / phi[i, j]) ** (sigma - 1) - 1) * density

    for i in range(2):
        expected = sum(f[i, j] * integrate.quad(profit, phi[i, j], np.inf, args=(i, j),
                                                epsabs=1e-13, epsrel=1e-12)[0]
                       for j in range(2))
        assert expected == pytest.approx(delta * f_e[i], rel=1e-9)
    assert phi[0, 0] == pytest.approx(reference, rel=1e-9)


def test_truncated_pareto_solves_its_own_free_entry():
    """Fuzz (issue 20): melitz-asym with a truncated Pareto never solved: the log of its
    tail moment k b^k (b^k b_H^(sigma-1) - phi^(sigma-1-k) (b b_H)^k) / ((b^k - b_H^k)
    (k - sigma + 1)) was split into logs of its two negative factors (nan), so solve and
    reference refused every point ("not finite at the starting point").  Independent
    check: free entry by scipy quadrature of the truncated-Pareto density at the solved
    cutoffs, and agreement with the mpmath reference."""
    from scipy import integrate

    sigma, k, b, b_H, f_e, delta = 3.8, 4.6, [1.0, 0.8], [30.0, 30.0], [1.0, 2.0], 0.1
    f = np.array([[1.0, 2.0], [2.0, 1.2]])
    params = dict(sigma=sigma, delta=delta, f_e=f_e, L=[100.0, 50.0], tau=[[1, 1.5], [1.4, 1]],
                  f=f, k=k, b=b, b_H=b_H)
    m = ms.model("melitz-asym", "truncated-pareto")
    fast = m.solve(**params)
    phi = fast["phi_star"]

    def profit(x, i, j):  # profit over the fixed cost times the density of i on [b, b_H]
        density = k * b[i] ** k * x ** (-k - 1) / (1 - (b[i] / b_H[i]) ** k)
        return ((x / phi[i, j]) ** (sigma - 1) - 1) * density

    for i in range(2):
        expected = sum(f[i, j] * integrate.quad(profit, phi[i, j], b_H[i], args=(i, j),
                                                epsabs=1e-13, epsrel=1e-12)[0]
                       for j in range(2))
        assert expected == pytest.approx(delta * f_e[i], rel=1e-9)
    ref = m.reference(dps=25, **params)
    for name in ("phi_star", "X", "w", "W", "gains", "M_e"):
        assert rel(fast[name], ref[name]) < 1e-12, name


def test_frechet_far_tail_cutoffs_keep_their_digits():
    """Fuzz (issue 20): at f_e = 1e-9 the Frechet cutoffs are 100 and 340, where the
    survival weight e^x - 1 (x = (b/phi*)^k ~ 2e-12) was computed as exp(x) - 1: the
    outputs were up to 6e-8 off the mpmath reference (M_e 2.6e-8, A 1.8e-8).  The
    solver now compiles the numeric path's stable forms (expm1)."""
    params = dict(sigma=3.8, delta=1.0, f_e=[1e-9, 2.0], L=[100.0, 50.0],
                  tau=[[1, 1.5], [1.4, 1]], f=[[1.0, 2.0], [2.0, 1.2]], k=4.6, b=[1.0, 0.8])
    m = ms.model("melitz-asym", "frechet")
    fast = m.solve(**params)
    assert fast["phi_star"][0, 1] > 300
    ref = m.reference(dps=25, **params)
    for name in ("phi_star", "A", "M", "M_e", "W", "gains"):
        assert rel(fast[name], ref[name]) < 1e-12, name


TRUNCATED_BASE = dict(sigma=3.8, delta=0.1, f_e=[1.0, 2.0], tau=[[1, 1.5], [1.4, 1]],
                      f=[[1.0, 2.0], [2.0, 1.2]], k=4.6, b=[1.0, 0.8], b_H=[30.0, 30.0])


def test_flow_at_the_edge_of_the_support_is_refused_not_wrong():
    """Fuzz long profile (issue 20): with L_0 = 1.0e16 the export cutoff phi*_01 lies
    9e-9 below the truncation b_H = 30, where X_01 is proportional to b_H - phi*_01:
    its elasticity in the cutoff is -3.2e9, so rounding phi*_01 to double moved X_01
    by 3e-7 (solve 27.5933003 against the reference's 27.5932915, and trade was not
    balanced).  Now a flow whose cutoff's rounding moves it by more than 1e-9 is a
    NumericalError naming it; at L_0 = 1e12 (elasticity 3.2e5) solve still agrees with
    the independent mpmath reference to 1e-9, and the reference balances trade
    (X_01 = X_10, the two-country trade balance) at the refused point."""
    m = ms.model("melitz-asym", "truncated-pareto")
    edge = dict(TRUNCATED_BASE, L=[1.0019548159456208e16, 50.0])
    with pytest.raises(ms.NumericalError, match=r"X\[0,1\] is too ill-conditioned"):
        m.solve(**edge)
    ref = m.reference(dps=30, **edge)
    assert abs(ref["X"][0][1] / ref["X"][1][0] - 1) < 1e-25
    assert 30 - float(ref["phi_star"][0][1]) < 1e-8
    params = dict(TRUNCATED_BASE, L=[1e12, 50.0])
    fast, ref = m.solve(**params), m.reference(dps=30, **params)
    assert abs(fast["eps"][0, 1]) > 1e5
    for name in ("phi_star", "X", "w", "W", "M_e"):
        assert rel(fast[name], ref[name]) < 1e-9, name


def test_reference_autarky_cutoff_keeps_its_bracket():
    """The reference's autarky free entry was solved with mpmath's Anderson method,
    which ran out of steps where it is strongly curved (truncated Pareto, L_0 = 1e6,
    30 digits: "could not find root", although the bracket was right); its Ridder
    method failed at 50 digits at the base point.  With the Pegasus method both solve,
    and gains agree with solve (an independent double-precision path) to 1e-12."""
    m = ms.model("melitz-asym", "truncated-pareto")
    for L, dps in (([1e6, 50.0], 30), ([100.0, 50.0], 50)):
        params = dict(TRUNCATED_BASE, L=L)
        assert rel(m.solve(**params)["gains"], m.reference(dps=dps, **params)["gains"]) < 1e-12
