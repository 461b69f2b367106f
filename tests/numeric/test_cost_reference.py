"""The reference of cost models (melitz_sym.numeric.cost_reference).

Reference values: Melitz and Ottaviano (2008), eq. (9) and section 5, the cutoff of
n + 1 symmetric countries with Pareto costs,
c_D = [2 (k + 1)(k + 2) gamma c_M^k f_e / (L (1 + n tau^-k))]^(1/(k + 2)).
"""

from __future__ import annotations

import mpmath
import pytest

import melitz_sym as ms
from melitz_sym.numeric import cost_reference

BASE = dict(alpha=10, gamma=1, eta=1, c_M=1, k=2, f_e=0.01, L=100, tau=1.5, n=2)


def _paper_c_D(p: dict):
    k, gamma, c_M, f_e, L, tau, n = (mpmath.mpf(p[s]) for s in
                                     ("k", "gamma", "c_M", "f_e", "L", "tau", "n"))
    return (2 * (k + 1) * (k + 2) * gamma * c_M**k * f_e / (L * (1 + n * tau**-k))) ** (
        1 / (k + 2))


@pytest.mark.parametrize("k", [0.001, 1e-14, 1.6e-105])
def test_cost_mass_piled_at_zero_is_integrated(k):
    """Issue 20 (long fuzz): at k = 1e-14 and 1.6e-105 solve and evaluate gave c_D =
    0.011547 while the reference refused a corner (mpmath.quad of k c^(k-1) over
    [0, c_D] found none of the mass near 0), and at k = 0.001 its Newton polish failed."""
    m = ms.model("melitz-ottaviano", dist="pareto")
    p = dict(BASE, k=k)
    with mpmath.workdps(40):
        paper = _paper_c_D(p)
    ref, ev = m.reference(dps=30, **p), m.evaluate(dps=20, **p)
    assert abs(ref["c_D"] / paper - 1) < 1e-28
    for name in ("c_D", "N", "W"):
        assert abs(ev[name] / ref[name] - 1) < 1e-15


def test_ordinary_moments_stay_quadrature_in_cost(monkeypatch):
    """Where c^a g(c) is bounded (k = 2) the moments are mpmath.quad in c, not the
    reflected tail (which needs three times the nodes)."""
    calls = []
    monkeypatch.setattr(cost_reference.Tails, "integral",
                        lambda self, *a: calls.append(a) or mpmath.mpf(0))
    ref = ms.model("melitz-ottaviano", dist="pareto").reference(dps=20, **BASE)
    assert not calls
    assert abs(ref["c_D"] / _paper_c_D(BASE) - 1) < 1e-18
