"""Declarations no built-in model has: each derives, every step re-checks, and ``solve``
agrees with the independent mpmath ``reference`` (quadrature of the declared density and
root finding on the generic conditions, never the closed forms) at random admissible
points to 1e-13.

* FDI as the only mode of serving foreign markets (HMY's proximity-concentration
  trade-off with prohibitive trade costs), Pareto (closed forms) and log-normal;
* the fixed-entrants closure of Chaney (2008) with n + 1 symmetric countries, log-normal
  and Pareto (closed forms), and in a closed economy with Frechet productivity;
* N asymmetric countries whose export fixed costs are paid in destination labour
  (Arkolakis, Demidova, Klenow & Rodriguez-Clare 2008): wages, entry and price indices
  solved for 2 and 3 countries, Pareto and log-normal (N-country tolerance 1e-10).
"""

from __future__ import annotations

import random
import zlib

import numpy as np
import pytest

import melitz_sym as ms
from melitz_sym.primitives import (
    FDI,
    Asymmetric,
    Closed,
    Declaration,
    Export,
    FixedCost,
    FixedEntrants,
    Symmetric,
)

FDI_ONLY = Declaration("fdi-only", geography=Symmetric(), modes=(FDI(),))
FIXED_OPEN = Declaration("chaney-symmetric", entry=FixedEntrants(), geography=Symmetric(),
                         modes=(Export(),))
FIXED_CLOSED = Declaration("chaney-closed", entry=FixedEntrants(), geography=Closed())
DEST_ASYM = Declaration("asym-destination", geography=Asymmetric(),
                        modes=(Export(FixedCost("destination")),))

#: Sampling box per parameter (the restrictions and interior cutoffs are checked per draw).
BOX = {"sigma": (1.8, 6), "k": (2, 8), "b": (0.5, 2), "mu": (-0.5, 0.5), "s": (0.3, 1.2),
       "f": (0.05, 2), "f_x": (0.1, 3), "f_I": (2, 20), "f_e": (0.5, 5), "delta": (0.02, 0.5),
       "tau": (1.05, 2.5), "n": (0, 6), "L": (1, 500)}
CASES = [(FDI_ONLY, "pareto"), (FDI_ONLY, "lognormal"), (FIXED_OPEN, "lognormal"),
         (FIXED_OPEN, "pareto"), (FIXED_CLOSED, "frechet")]


def _points(m, rng: random.Random, want: int = 4, tries: int = 60) -> list[dict]:
    """Random parameter points that pass every restriction and have interior cutoffs,
    with the reference values there (points the reference calls a corner are redrawn)."""
    out = []
    for _ in range(tries):
        p = {name: f"{rng.uniform(*BOX[name]):.6f}" for name in m.parameters}
        if "k" in p:  # a finite (sigma-1)-th moment and some room above it
            p["k"] = f"{float(p['sigma']) - 1 + rng.uniform(0.3, 4):.6f}"
        try:
            m.check(**p)
            ref = m.reference(dps=30, **p)
        except ms.AdmissibilityError:
            continue
        out.append((p, ref))
        if len(out) == want:
            return out
    raise AssertionError(f"fewer than {want} admissible interior points in {tries} draws")


@pytest.mark.slow
@pytest.mark.parametrize("decl, dist", CASES, ids=[f"{d.name}-{s}" for d, s in CASES])
def test_solve_agrees_with_reference(decl, dist):
    m = ms.model(decl, dist=dist)
    rng = random.Random(zlib.crc32(f"{decl.name}-{dist}".encode()))
    for p, ref in _points(m, rng):
        got = m.solve(**{k: float(v) for k, v in p.items()})
        assert set(ref) == set(m.outputs)  # the reference covers every output
        for name, value in ref.items():
            assert abs(float(got[name]) / float(value) - 1) < 1e-13, (name, p)


DERIVED = CASES + [(DEST_ASYM, "pareto"), (DEST_ASYM, "lognormal")]


@pytest.mark.parametrize("decl, dist", DERIVED, ids=[f"{d.name}-{s}" for d, s in DERIVED])
def test_every_step_rechecks_and_every_output_has_a_step(decl, dist):
    m = ms.model(decl, dist=dist)
    d = m.derive()
    assert set(d.check().values()) <= {"declared", "symbolic", "numeric"}
    for name in d.outputs:
        assert d.step_of(name) in d.names


def test_pareto_variants_have_closed_forms_and_lognormal_does_not():
    assert set(ms.model(FDI_ONLY).derive().closed_forms) == set(ms.model(FDI_ONLY).outputs)
    assert set(ms.model(FIXED_OPEN).derive().closed_forms) == set(ms.model(FIXED_OPEN).outputs)
    assert ms.model(FIXED_OPEN, dist="lognormal").derive().closed_forms == {}


def test_fixed_entrants_accounting():
    """Income is wages plus profits: r_bar M = L + pi_bar M, and M = M_e p_in."""
    m = ms.model(FIXED_OPEN, dist="lognormal")
    p = dict(sigma=3.8, mu=0.1, s=0.9, f=0.1, f_x=0.3, tau=1.3, n=2, L=100)
    out = m.solve(**p)
    assert out["r_bar"] * out["M"] == pytest.approx(100 + out["pi_bar"] * out["M"], rel=1e-13)
    assert out["M"] == pytest.approx(out["M_e"] * out["p_in"], rel=1e-13)
    assert float(out["M_e"]) == 100


def test_fdi_only_sorting_is_a_restriction():
    m = ms.model(FDI_ONLY)
    with pytest.raises(ms.AdmissibilityError, match="FDI firms are a strict subset"):
        m.check(sigma=3, k=3, b=1, f=2, f_I=1, f_e=1, delta=0.1, n=1, L=10)


# ----- asymmetric countries, export fixed costs paid in destination labour ----------------
def _asym_point(rng: random.Random, N: int, dist: str) -> dict:
    """Random N-country parameters: vectors per country, matrices per pair (rows = origin)."""
    def u(lo, hi):
        return rng.uniform(lo, hi)

    sigma = u(2.5, 5)
    p = {"sigma": sigma, "delta": u(0.02, 0.2), "f_e": [u(0.5, 3) for _ in range(N)],
         "L": [u(0.5, 4) for _ in range(N)],
         "tau": [[1.0 if i == j else u(1.1, 2) for j in range(N)] for i in range(N)],
         "f": [[u(0.05, 0.2) if i == j else u(0.2, 0.6) for j in range(N)] for i in range(N)]}
    if dist == "pareto":
        p.update(k=[sigma - 1 + u(0.5, 3) for _ in range(N)], b=[u(0.5, 1.5) for _ in range(N)])
    else:
        p.update(mu=[u(-0.3, 0.3) for _ in range(N)], s=[u(0.4, 0.9) for _ in range(N)])
    return p


def _as_float(v) -> np.ndarray:
    return np.array(v.tolist() if hasattr(v, "tolist") else v, dtype=float)


@pytest.mark.slow
@pytest.mark.parametrize("dist, N", [("pareto", 2), ("pareto", 3), ("lognormal", 2)])
def test_destination_paid_fixed_costs_solve_agrees_with_reference(dist, N):
    """Newton on the derived pair terms (numpy) against mpmath.findroot on the conditions
    written from the primitives (quadrature of the density), at 30 digits."""
    m = ms.model(DEST_ASYM, dist=dist)
    rng = random.Random(zlib.crc32(f"dest-{dist}-{N}".encode()))
    points = []
    for _ in range(40):  # points with a corner (a cutoff outside the support) are redrawn
        p = _asym_point(rng, N, dist)
        try:
            points.append((p, m.solve(**p)))
        except ms.AdmissibilityError:
            continue
        if len(points) == 2:
            break
    assert len(points) == 2
    for p, got in points:
        ref = m.reference(dps=30, **p)
        assert set(ref) == set(m.outputs) - {"eps"}  # eps: a partial elasticity, no reference
        for name, value in ref.items():
            want = np.array([[float(x) for x in row] for row in value] if isinstance(
                value[0], list) else [float(x) for x in value])
            assert np.max(np.abs(_as_float(got[name]) / want - 1)) < 1e-10, (name, p)


def test_destination_paid_fixed_costs_balance_the_markets():
    """From the solved outputs and the Pareto survival (b/phi)^k alone: i's workers earn
    sales net of the fixed costs its firms pay abroad plus the fixed costs foreign firms
    pay in i, sum_j (X_ij - F_ij) + sum_k F_ki = w_i L_i; spending is sum_i X_ij = w_j L_j;
    with fixed costs in origin labour the first would be sum_j X_ij = w_i L_i, which fails."""
    p = _asym_point(random.Random(7), 3, "pareto")
    out = ms.model(DEST_ASYM).solve(**p)
    w, (L, k, b) = out["w"], (np.array(p[x]) for x in ("L", "k", "b"))
    X, phi, f = out["X"], out["phi_star"], np.array(p["f"])
    F = (out["M_e"] / p["delta"])[:, None] * w[None, :] * f * (b[:, None] / phi) ** k[:, None]
    earned = X.sum(axis=1) - F.sum(axis=1) + F.sum(axis=0)
    assert np.max(np.abs(earned / (w * L) - 1)) < 1e-12
    assert np.max(np.abs(X.sum(axis=0) / (w * L) - 1)) < 1e-12
    assert np.max(np.abs(X.sum(axis=1) / (w * L) - 1)) > 1e-4  # the payer matters


def test_destination_paid_fixed_costs_with_identical_countries_change_nothing():
    """Identical countries have equal wages, so who is paid the fixed cost is immaterial:
    the destination-paid model gives the origin-paid (built-in melitz-asym) equilibrium."""
    N = 3
    p = {"sigma": 3.8, "delta": 0.025, "f_e": [2.0] * N, "L": [1.5] * N, "k": [4.2] * N,
         "b": [1.0] * N, "tau": [[1.0 if i == j else 1.4 for j in range(N)] for i in range(N)],
         "f": [[0.1 if i == j else 0.3 for j in range(N)] for i in range(N)]}
    dest, origin = ms.model(DEST_ASYM).solve(**p), ms.model("melitz-asym").solve(**p)
    for name in origin:
        assert np.allclose(dest[name], origin[name], rtol=1e-13, atol=0), name
    assert np.allclose(dest["w"], 1, rtol=1e-13)
