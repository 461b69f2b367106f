"""Declarations no built-in model has: each derives, every step re-checks, and ``solve``
agrees with the independent mpmath ``reference`` (quadrature of the declared density and
root finding on the generic conditions, never the closed forms) at random admissible
points to 1e-13.

* FDI as the only mode of serving foreign markets (HMY's proximity-concentration
  trade-off with prohibitive trade costs), Pareto (closed forms) and log-normal;
* the fixed-entrants closure of Chaney (2008) with n + 1 symmetric countries, log-normal
  and Pareto (closed forms), and in a closed economy with Frechet productivity.
"""

from __future__ import annotations

import random
import zlib

import pytest

import melitz_sym as ms
from melitz_sym.primitives import FDI, Closed, Declaration, Export, FixedEntrants, Symmetric

FDI_ONLY = Declaration("fdi-only", geography=Symmetric(), modes=(FDI(),))
FIXED_OPEN = Declaration("chaney-symmetric", entry=FixedEntrants(), geography=Symmetric(),
                         modes=(Export(),))
FIXED_CLOSED = Declaration("chaney-closed", entry=FixedEntrants(), geography=Closed())

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


@pytest.mark.parametrize("decl, dist", CASES, ids=[f"{d.name}-{s}" for d, s in CASES])
def test_solve_agrees_with_reference(decl, dist):
    m = ms.model(decl, dist=dist)
    rng = random.Random(zlib.crc32(f"{decl.name}-{dist}".encode()))
    for p, ref in _points(m, rng):
        got = m.solve(**{k: float(v) for k, v in p.items()})
        assert set(ref) == set(m.outputs)  # the reference covers every output
        for name, value in ref.items():
            assert abs(float(got[name]) / float(value) - 1) < 1e-13, (name, p)


@pytest.mark.parametrize("decl, dist", CASES, ids=[f"{d.name}-{s}" for d, s in CASES])
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
