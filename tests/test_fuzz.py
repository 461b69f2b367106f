"""Fuzzing ``solve``, ``evaluate`` and ``reference`` with bad and extreme parameter values.

Issue 20: every input ends in finite numbers or a :class:`~melitz_sym.MelitzError`
subclass, never a traceback, nan, inf or a hang; where the independent reference
gives a number, ``solve`` and ``evaluate`` give the same number (within
:data:`RTOL`: extreme inputs cost digits in double).  Each example changes one or
two parameters of an admissible base point to a value drawn from the troublemakers
of the issue (nan, inf, 0, negatives, 1e308, 5e-324, text, None, complex,
booleans, sigma = 1, k at or near sigma - 1, tau < 1, non-integer n) or to a
random magnitude; each entry point has :data:`SECONDS` per example (SIGALRM), a
budget no healthy call comes near.

The CI profile is derandomised and small (the module runs in about a minute on
one core); ``MELITZ_FUZZ_EXAMPLES=500 pytest tests/test_fuzz.py`` is the longer,
random profile for local runs, and ``python tests/fuzz_table.py --examples 2000``
counts outcomes per entry point over every model, distribution and entry point
(:mod:`fuzz_cases`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import melitz_sym as ms

sys.path.insert(0, str(Path(__file__).parent))
from fuzz_cases import CASES as LONG  # noqa: E402  (shared with the long profile)
from fuzz_cases import guard, points  # noqa: E402

EXAMPLES = int(os.environ.get("MELITZ_FUZZ_EXAMPLES", "0"))
settings.register_profile("fuzz-ci", max_examples=4, deadline=None, derandomize=True,
                          database=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz-long", max_examples=max(EXAMPLES, 1), deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
PROFILE = settings.get_profile("fuzz-long" if EXAMPLES else "fuzz-ci")

#: Agreement asked of solve and evaluate with a finite reference.
RTOL = 1e-8
DPS = 20

CASES = {  # (model, dist): admissible base point
    ("krugman", None): dict(sigma=3.8, b=1.0, f=1.0, tau=1.5, n=1, L=100),
    ("cournot", None): dict(sigma=3.8, f=1.0, phi=1.0, L=100),
    ("melitz", "pareto"): dict(sigma=3.8, k=3.4, b=1.0, f=1.0, f_x=1.5, f_e=1.0, delta=0.1,
                               tau=1.5, n=1, L=100),
    ("melitz", "lognormal"): dict(sigma=3.8, mu=0.0, s=0.5, f=1.0, f_x=1.5, f_e=1.0,
                                  delta=0.1, tau=1.5, n=1, L=100),
    ("hmy", "pareto"): dict(sigma=3.8, k=3.4, b=1.0, f=1.0, f_x=1.5, f_I=8.0, f_e=1.0,
                            delta=0.1, tau=1.5, n=1, L=100),
    ("hmy", "lognormal"): dict(sigma=3.8, mu=0.0, s=0.5, f=1.0, f_x=1.5, f_I=8.0, f_e=1.0,
                               delta=0.1, tau=1.5, n=1, L=100),
    ("melitz", "truncated-pareto"): dict(sigma=3.8, k=3.4, b=1.0, b_H=20.0, f=1.0, f_x=1.5,
                                         f_e=1.0, delta=0.1, tau=1.5, n=1, L=100),
    ("melitz", "frechet"): dict(sigma=3.8, k=4.0, b=1.0, f=1.0, f_x=1.5, f_e=1.0,
                                delta=0.1, tau=1.5, n=1, L=100),
}
#: N-country models: scalars, vectors per country and matrices per pair.
MULTI = {
    ("melitz-asym", "pareto"): dict(sigma=3.8, delta=0.1, k=4.6, b=[1.0, 0.8], f_e=[1.0, 2.0],
                                    L=[100.0, 50.0], tau=[[1, 1.5], [1.4, 1]],
                                    f=[[1.0, 2.0], [2.0, 1.2]]),
    ("chaney", "pareto"): dict(sigma=3.8, k=4.6, alpha=0.6, b=[1.0, 0.8], w=[1.0, 1.2],
                               L=[100.0, 50.0], tau=[[1, 1.5], [1.4, 1]],
                               f=[[1.0, 2.0], [2.0, 1.2]]),
}

def outcome(what: str, call, **params) -> dict | ms.MelitzError:
    """The outputs of ``call`` (mpf, or float arrays from solve: a list is an array
    input there, refused elsewhere), or the MelitzError it raised; any other
    exception, a hang or a non-finite output fails the test."""
    try:
        with guard():
            out = call(**params)
    except ms.MelitzError as exc:
        assert str(exc), f"{what}: {type(exc).__name__} without a message at {params}"
        return exc
    values = {k: v if isinstance(v, mpmath.mpf) else np.asarray(v, float)  # solve: arrays
              for k, v in out.items()}
    bad = {k: v for k, v in values.items()
           if not (mpmath.isfinite(v) if isinstance(v, mpmath.mpf) else np.isfinite(v).all())}
    assert not bad, f"{what} gave non-finite {bad} at {params}"
    return values


def agree(got: dict, want: dict, what: str, params: dict) -> None:
    """``got`` within RTOL of the reference ``want`` wherever its value is a double
    (a value beyond the double range is rightly refused by the double paths)."""
    for k, w in want.items():
        if 2.3e-308 <= abs(w) <= 1.7e308:
            assert abs(got[k] / float(w) - 1) <= RTOL, (
                f"{what} {k} = {got[k]!r}, reference {w} at {params}")


@pytest.fixture(scope="module", params=list(CASES), ids=lambda c: "-".join(filter(None, c)))
def case(request):
    name, dist = request.param
    m = ms.model(name, dist)
    m.derive()  # before the per-call budget: a cold derivation is not a call under test
    return m, CASES[request.param]


def test_fuzz_solve_evaluate_reference(case):
    m, base = case

    @PROFILE
    @given(points(base))
    def check(params):
        ref = outcome("reference", lambda **p: m.reference(dps=DPS, **p), **params)
        ev = outcome("evaluate", lambda **p: m.evaluate(dps=DPS, **p), **params)
        so = outcome("solve", m.solve, **params)
        if isinstance(ref, dict):
            for what, got in (("evaluate", ev), ("solve", so)):
                if isinstance(got, dict):
                    agree(got, ref, what, params)

    check()


def test_fuzz_base_points_are_solved(case):
    """The base points are admissible: the fuzz changes from a point that works."""
    m, base = case
    out = outcome("solve", m.solve, **base)
    assert isinstance(out, dict) and out, out


def test_lognormal_evaluate_dividing_by_zero_is_a_numerical_error():
    """Found by this module: evaluate at s = 1e-300 raised ZeroDivisionError (mpmath)
    from the derived cutoff equation; now a NumericalError (since evaluate reads sums of
    erf as erfc, the quotient is gone and the normal cdf's argument, ~1e300, overflows
    mpmath's exponent instead)."""
    m = ms.model("melitz", "lognormal")
    with pytest.raises(ms.NumericalError, match="divide by zero|overflows mpmath"):
        m.evaluate(dps=DPS, **{**CASES[("melitz", "lognormal")], "s": 1e-300})



def test_reference_dividing_by_zero_is_a_numerical_error():
    """Found by the long profile: the truncated Pareto's density at k = 3.8e-193 divides
    by 1 - (b/b_H)^k, which is 0 at any working precision; the reference raised a bare
    ZeroDivisionError (evaluate and solve: NumericalError, the cutoff is beyond doubles)."""
    m = ms.model("melitz", "truncated-pareto")
    params = {**CASES[("melitz", "truncated-pareto")], "k": 3.826001503769945e-193}
    with pytest.raises(ms.NumericalError, match="divides by zero"):
        m.reference(dps=DPS, **params)
    with pytest.raises(ms.NumericalError):
        m.evaluate(dps=DPS, **params)

@pytest.fixture(scope="module", params=list(MULTI), ids=lambda c: "-".join(c))
def multi(request):
    name, dist = request.param
    m = ms.model(name, dist)
    m.derive()
    return m, MULTI[request.param]


@pytest.mark.parametrize("dist", ["pareto", "truncated-pareto", "lognormal", "frechet",
                                  "weibull"])
def test_every_asymmetric_distribution_solves_at_the_base_point(dist):
    """Found by the long profile: melitz-asym with a truncated Pareto refused every
    point (solve and reference alike, so the fuzz saw two clean errors): the log of its
    tail moment was split into logs of two negative factors.  Every distribution whose
    base point of the long profile is interior solves there, as the reference does."""
    m = ms.model("melitz-asym", dist)
    base = LONG[("melitz-asym", dist)]
    got, ref = m.solve(outputs=["phi_star"], **base), m.reference(dps=DPS, **base)
    want = np.array([[float(x) for x in row] for row in ref["phi_star"]])
    assert np.allclose(got["phi_star"], want, rtol=1e-12, atol=0)


def test_a_degenerate_asymmetric_economy_is_a_corner():
    """With one productivity b, free entry sum_j f_ij ((b/phi*_ij)^(sigma-1) - 1)^+ =
    delta f_e > 0 needs b above the cutoff of some market, so every entrant serves that
    market: here the home market (phi*_00 = 0.71 < b = 1), the corner the solver
    refuses by name (the long profile's base point)."""
    with pytest.raises(ms.AdmissibilityError, match="no selection"):
        ms.model("melitz-asym", "degenerate").solve(**LONG[("melitz-asym", "degenerate")])


def test_fuzz_multi_country_solve_and_reference(multi):
    """N-country models: the same rule, entry by entry; solve's errors="nan" gives nan
    exactly where solve raises for inadmissibility."""
    m, base = multi

    @PROFILE
    @given(points(base))
    def check(params):
        ref = outcome("reference", lambda **p: m.reference(dps=DPS, **p), **params)
        so = outcome("solve", m.solve, **params)
        if isinstance(ref, dict) and isinstance(so, dict):
            for k, w in ref.items():
                want = np.array([[float(x) for x in r] for r in w] if isinstance(w[0], list)
                                else [float(x) for x in w]) if isinstance(w, list) else float(w)
                assert np.allclose(so[k], want, rtol=1e-9, atol=0), (k, params)

    check()


def test_fuzz_cli_solve(case, capsys):
    """CLI solve: a number (exit 0) or one message on stderr and exit 2, never a traceback."""
    from melitz_sym.cli import main

    m, base = case

    @PROFILE
    @given(points(base))
    def check(params):
        argv = ["solve", m.name, "--json", "--dps", "20"]
        if m.dist is not None:
            argv += ["--dist", m.dist.name]
        argv += [f"--set={k}={v}" for k, v in params.items()]
        with guard():
            status = main(argv)
        out, err = capsys.readouterr()
        assert status in (0, 2), (status, argv, err)
        if status == 2:
            lines = err.strip().splitlines()
            assert len(lines) == 1 and "Traceback" not in err, err
        else:
            assert "nan" not in out.lower() and "inf" not in out.lower(), out

    check()


def test_cache_fuzz_damages_the_entry_the_cache_reads(tmp_path, monkeypatch):
    """Issue 20 (long fuzz profile): 'cache (empty): the entry was not rewritten' for
    melitz-closed Weibull.  The harness damaged the first file matching the model's key,
    an entry of an older source digest when the package is edited during a long run;
    nothing reads or rewrites that one.  With such a stale entry sorted first, the
    check damages the current entry, which is re-derived and rewritten."""
    from fuzz_cases import CLEAN, check_cache

    from melitz_sym.cache import entry_path

    monkeypatch.setenv("MELITZ_SYM_CACHE", str(tmp_path))
    key = ms.model("krugman").cache_key
    stale = tmp_path / f"{ms.__version__}-000000000000-{key}.pickle"
    stale.write_bytes(b"an entry of an older source")
    for how in ("empty", "truncate"):
        assert check_cache(("krugman", None), how, 587) == CLEAN
        assert entry_path(key).stat().st_size > 0
    assert stale.read_bytes() == b"an entry of an older source"
