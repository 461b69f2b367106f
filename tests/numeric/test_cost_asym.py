"""The two-country Melitz-Ottaviano reference (melitz_sym.numeric.cost_asym)."""

from __future__ import annotations

import pytest

import melitz_sym as ms
from melitz_sym.errors import AdmissibilityError, NumericalError
from melitz_sym.numeric import cost_asym

BASE = dict(alpha=10, gamma=1, eta=1, c_M=1, k=2, f_e=0.01, L=[100, 150],
            tau=[[1, 1.6], [1.4, 1]])


@pytest.mark.parametrize("k, error", [(0.001, AdmissibilityError), (1e-14, NumericalError)])
def test_nearly_collinear_free_entry_ends_within_a_budget(monkeypatch, k, error):
    """Issue 20 (long fuzz): at k = 0.001 the reference ran past 60 s (findroot's
    max-norm damping crept for 200 steps of quadratures).  The damped Newton reaches the
    cutoffs, where the entrants of country 1 are negative: the corner solve refuses too.
    At k = 1e-14 the equations are collinear to 1e-14 and the bounded Newton refuses.
    Budget: residual evaluations are counted, not seconds."""
    m = ms.model("melitz-ottaviano-asym", dist="pareto")
    p = dict(BASE, k=k)
    with pytest.raises(AdmissibilityError, match="entrants N_E of country 1"):
        m.solve(**p)
    calls = []
    newton = cost_asym._newton

    def counted(residual, y0, dps):
        return newton(lambda *y: calls.append(y) or residual(*y), y0, dps)

    monkeypatch.setattr(cost_asym, "_newton", counted)
    with pytest.raises(error):
        m.reference(dps=20, **p)
    bound = cost_asym.NEWTON_STEPS * (2 + cost_asym.HALVINGS) + 1
    assert 0 < len(calls) <= bound
    if error is AdmissibilityError:
        assert len(calls) < 60


def test_ordinary_point_takes_few_newton_steps(monkeypatch):
    calls = []
    newton = cost_asym._newton
    monkeypatch.setattr(cost_asym, "_newton", lambda r, y0, dps: newton(
        lambda *y: calls.append(y) or r(*y), y0, dps))
    ref = ms.model("melitz-ottaviano-asym", dist="pareto").reference(dps=20, **BASE)
    fast = ms.model("melitz-ottaviano-asym", dist="pareto").solve(**BASE)
    assert len(calls) < 40
    for i in range(2):
        assert abs(float(ref["c_D"][i]) / fast["c_D"][i] - 1) < 1e-12
