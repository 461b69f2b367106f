"""In-place evaluation of lambdified code (melitz_sym.numeric.inplace): the same
operations in the same order as sympy's lambdify, so the same bits."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import scipy.special
import sympy as sp

import melitz_sym as ms
from melitz_sym.numeric import fast, inplace

sys.path.insert(0, str(Path(__file__).parent))
from points import DISTS, draw  # noqa: E402

x, y, z = sp.symbols("x y z", positive=True)
MODULES = [{"ndtr": scipy.special.ndtr}, "scipy", "numpy"]
#: Shared subexpressions, each power that has a cheaper ufunc (-1, 1/2, 2) and one
#: that has not, a negative, a division, exp and log, a scipy ufunc and a constant.
EXPRS = [x * sp.exp(y / z) + sp.log(x * y) ** 2 / z, x**-1 * sp.sqrt(y) - x**sp.Rational(37, 10),
         sp.exp(y / z) - x * z, sp.Function("ndtr")(x - y) * y**2, sp.Integer(3), y]


def _compiled(exprs=EXPRS):
    return sp.lambdify((x, y, z), exprs, modules=MODULES, cse=True)


def _same(a, b) -> bool:
    return all(np.array_equal(np.broadcast_to(u, np.shape(v)), v, equal_nan=True)
               and np.shape(u) == np.shape(v) for u, v in zip(a, b))


@pytest.mark.parametrize("case", ["arrays", "mixed", "numbers", "extremes"])
def test_in_place_gives_lambdify_bits(case):
    """Every output equals lambdify's, bit for bit, with array and number arguments
    (operations of numbers only are done on numbers), and at extreme values (inf,
    nan, 0, overflow)."""
    rng = np.random.default_rng(7)
    args = [rng.uniform(0.1, 5, 1000) for _ in range(3)]
    if case == "mixed":
        args[1] = np.float64(1.7)
    elif case == "numbers":
        args = [np.float64(a[0]) for a in args]
    elif case == "extremes":
        args[0][:4] = [np.inf, np.nan, 0.0, 1e300]
        args[2][4:6] = [1e-300, np.inf]
    fn = _compiled()
    run = inplace.in_place(fn, 5)
    with np.errstate(all="ignore"):
        want, got = fn(*args)[:5], run(*args)
    assert len(got) == 5 and _same(want, got)


def test_in_place_outputs_are_fresh_arrays_and_scratch_is_per_thread():
    """The outputs are the caller's: a later call (of another size, in another
    thread at the same time) does not change them."""
    fn = _compiled()
    run = inplace.in_place(fn, 3)
    rng = np.random.default_rng(8)
    points = [[rng.uniform(0.1, 5, n) for _ in range(3)] for n in (3000, 500, 5000, 1)]
    first = run(*points[0])
    kept = [v.copy() for v in first]
    results = {}

    def work(i):
        for _ in range(20):
            results[i] = run(*points[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(1, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _same(first, kept)
    for i in range(1, 4):
        assert _same(results[i], fn(*points[i])[:3])


def test_in_place_leaves_what_it_cannot_do_to_lambdify():
    """Code with a conditional, a function that is not a ufunc or a ufunc without a
    loop of doubles gives None (the caller keeps lambdify's code); arrays of
    different shapes (broadcasting) and arguments that are not doubles are passed
    to lambdify's function."""
    piecewise = sp.Piecewise((x, x > y), (y, True))
    assert inplace.in_place(_compiled([piecewise, x * y]), 2) is None
    python = sp.lambdify((x, y, z), [sp.Function("f")(x) + y], cse=True,
                         modules=[{"f": lambda v: v + 1}, "numpy"])
    assert inplace.in_place(python, 1) is None
    objects = sp.lambdify((x, y, z), [sp.Function("g")(x) + y], cse=True,
                          modules=[{"g": np.frompyfunc(lambda v: v + 1, 1, 1)}, "numpy"])
    assert inplace.in_place(objects, 1) is None  # a ufunc of Python objects
    fn = _compiled()
    run = inplace.in_place(fn, 5)
    rows, cols = np.linspace(1, 2, 3)[:, None], np.linspace(1, 3, 4)[None, :]
    assert _same(run(rows, cols, 2.0), fn(rows, cols, 2.0)[:5])
    assert run(rows, cols, 2.0)[0].shape == (3, 4)
    plain = inplace.in_place(_compiled(EXPRS[:3]), 3)  # numpy ufuncs take long double
    wide = np.linspace(1, 2, 3, dtype=np.longdouble)
    assert plain(wide, wide, wide)[0].dtype == np.longdouble


@pytest.mark.parametrize("region", [r for r, dists in DISTS.items() if "pareto" in dists])
def test_solve_in_place_equals_solve_without(region, monkeypatch):
    """Every closed-form output of melitz-Pareto at the accuracy tests' points is the
    same, bit for bit, with the power forms evaluated in place and by lambdify."""
    m = ms.model("melitz", "pareto")
    names = sorted(m.derive().closed_forms)
    params = draw(region, "pareto", 400)
    made, real = [], inplace.in_place
    monkeypatch.setattr(inplace, "in_place", lambda fn, count: made.append(real(fn, count))
                        or made[-1])
    fast._power_closed.cache_clear()
    with_in_place = m.solve(outputs=names, errors="nan", **params)
    assert made and all(made)  # every power form is evaluated in place
    monkeypatch.setattr(inplace, "in_place", lambda fn, count: None)
    fast._power_closed.cache_clear()
    try:
        without = m.solve(outputs=names, errors="nan", **params)
    finally:
        fast._power_closed.cache_clear()
    assert all(np.array_equal(with_in_place[n], without[n], equal_nan=True) for n in names)
    assert np.isfinite(with_in_place["phi_star"]).mean() > 0.9
