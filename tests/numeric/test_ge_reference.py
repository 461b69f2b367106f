"""The mpmath reference of the N-country models (melitz_sym.numeric.ge_reference).

Its agreement with solve and with published implementations is tested with each
model (tests/models/test_melitz_asym.py, test_chaney.py); here, how it ends where
it cannot solve.
"""

from __future__ import annotations

import mpmath
import pytest

import melitz_sym as ms
from melitz_sym.numeric import ge_reference


def test_a_nearly_singular_system_is_refused_within_the_evaluation_budget(monkeypatch):
    """Issue 20 (fuzz): melitz-asym Weibull with a country of L = 5.8e-198.  The
    Jacobian is singular up to some 1e-15 there (the wage of the large country is
    tied to the numeraire only through a negligible economy), mpmath's line search
    halved each Newton step some 130 times without decreasing the residual, and the
    reference took 38 s of CPU (over a minute on a loaded machine) to say so.  Now
    it stops after its budget of evaluations, the same on every machine."""
    calls = []
    findroot = mpmath.findroot

    def counting(f, x0, **options):
        def g(*x):
            calls.append(x)
            return f(*x)
        return findroot(g, x0, **options)

    monkeypatch.setattr(mpmath, "findroot", counting)
    p = dict(sigma=3.8, delta=0.1, f_e=[1.0, 2.0], L=[5.843895982338882e-198, 50.0],
             tau=[[1, 1.5], [1.4, 1]], f=[[1.0, 2.0], [2.0, 1.2]], k=1.5, b=[1.0, 0.8])
    with pytest.raises(ms.NumericalError, match=r"no root within 72 evaluations"):
        ms.model("melitz-asym", "weibull").reference(dps=20, **p)
    assert len(calls) == ge_reference.EVALUATIONS * 6 + 1  # 5 unknowns; the last one raises
