"""Benchmark: Melitz-Pareto phi_star and W for 1e6 points (issue 3).

Baseline (issue 19): what an expert writes for these two outputs, fused and
in place in numpy with 7 transcendental calls per point -- log(f_x/f), log tau,
one exp, log of the bracket, log(L/(sigma f)), two exp -- from the formulas of
literature.md §2.1 (typed here for the baseline only).  The earlier baseline,
which takes a log of every parameter (about 13 calls, :func:`baseline_logs`),
is timed beside it for the record: it overstated our speed.  All run in this
process on the same inputs, interleaved; the ratio ours/baseline is printed
(target: at most 1.5), with ours on the default threads (one per core, as a user
gets it) and on one thread (as the baseline runs).  The results are also compared.  The
``precision="adaptive"`` path (long double where the error estimate is large)
and the ``precision="extended"`` path (long double) are timed beside them, for
the record.

Usage: python3 benchmarks/bench_solve_pareto.py [N]
"""

from __future__ import annotations

import sys

import numpy as np
from timing import interleaved

import melitz_sym as ms
from melitz_sym.numeric import fast


def inputs(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2003)
    sigma = rng.uniform(1.5, 8, n)
    f = rng.uniform(0.5, 3, n)
    return dict(sigma=sigma, k=sigma - 1 + rng.uniform(0.1, 5, n), b=rng.uniform(0.2, 3, n),
                f=f, f_x=f * rng.uniform(1, 5, n), f_e=rng.uniform(0.005, 0.05, n),
                delta=rng.uniform(0.01, 0.1, n), tau=rng.uniform(1, 3, n),
                n=rng.integers(0, 11, n).astype(float), L=rng.uniform(1, 1000, n))


def baseline(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """phi* and W by hand with 7 transcendental calls per point, fused, in place
    (literature.md §2.1, n+1 countries): with z = sigma - 1, e = k - z,

    phi* = b (z f B / (e delta f_e))^(1/k), B = 1 + n (f_x/f) exp(-k (log tau + log(f_x/f)/z)),
    W = (z/sigma) phi* exp(log(L/(sigma f))/z).
    """
    sigma, k, f = p["sigma"], p["k"], p["f"]
    z = sigma - 1
    a = p["f_x"] / f
    r = np.log(a)            # 1: log(f_x/f)
    t = r / z
    t += np.log(p["tau"])    # 2: log tau
    t *= -k
    np.exp(t, out=t)         # 3: (tau^z f_x/f)^(-k/z)
    t *= a
    t *= p["n"]
    t += 1                   # B
    t *= z
    t *= f
    e = k - sigma
    e += 1
    e *= p["delta"]
    e *= p["f_e"]
    t /= e
    np.log(t, out=t)         # 4: log of the bracket
    t /= k
    np.exp(t, out=t)         # 5
    t *= p["b"]              # phi*
    w = sigma * f
    np.divide(p["L"], w, out=w)
    np.log(w, out=w)         # 6: log(L/(sigma f))
    w /= z
    np.exp(w, out=w)         # 7
    w *= t
    w *= z
    w /= sigma
    return {"phi_star": t, "W": w}


def baseline_logs(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """phi* and W by hand, log domain, in place (literature.md §2.1, n+1 countries):

    j(phi*) f + n f_x j(phi_x*) = delta f_e with j(x) = (z/e) (b/x)^k, z = sigma-1,
    e = k - z, phi_x* = tau (f_x/f)^(1/z) phi*, so
    k log phi* = k log b + log(z/(e delta f_e)) + log(f + n f_x (tau^z f_x/f)^(-k/z));
    W = rho phi* (L/(sigma f))^(1/z).
    """
    sigma, k, b, f, f_x = p["sigma"], p["k"], p["b"], p["f"], p["f_x"]
    z = sigma - 1
    e = (k - sigma) + 1
    lf = np.log(f)
    t = np.log(f_x)          # t = log(n f_x (tau^z f_x/f)^(-k/z))
    t -= lf
    t /= z
    t += np.log(p["tau"])
    t *= -k
    t += np.log(f_x)
    t += np.log(p["n"], where=p["n"] > 0, out=np.full_like(t, -np.inf))
    y = np.logaddexp(lf, t)  # log(f + n f_x ...)
    y += np.log(z)
    y -= np.log(e)
    y -= np.log(p["delta"])
    y -= np.log(p["f_e"])
    y /= k
    y += np.log(b)           # y = log phi*
    w = np.log(p["L"])       # log W = log rho + y + log(L/(sigma f))/z
    w -= np.log(sigma)
    w -= lf
    w /= z
    w += y
    w += np.log(z)
    w -= np.log(sigma)
    return {"phi_star": np.exp(y, out=y), "W": np.exp(w, out=w)}


def main(n: int = 1_000_000) -> None:
    p = inputs(n)
    m = ms.model("melitz")
    ours = m.solve(outputs=["phi_star", "W"], **p)  # compile once
    base, logs = baseline(p), baseline_logs(p)
    for name in ("phi_star", "W"):
        err = np.max(np.abs(ours[name] / base[name] - 1))
        err_logs = np.max(np.abs(ours[name] / logs[name] - 1))
        print(f"max relative difference ours vs baseline, {name}: {err:.1e} "
              f"(vs the 13-call baseline: {err_logs:.1e})")
    def one_thread() -> None:  # the baseline runs on one core: so does this
        threads, fast.THREADS = fast.THREADS, 1
        try:
            m.solve(outputs=["phi_star", "W"], **p)
        finally:
            fast.THREADS = threads

    best = interleaved({
        "ours": lambda: m.solve(outputs=["phi_star", "W"], **p),
        "ours, one thread": one_thread,
        "base": lambda: baseline(p),
        "logs": lambda: baseline_logs(p),
        "adaptive": lambda: m.solve(outputs=["phi_star", "W"], precision="adaptive", **p),
        "extended": lambda: m.solve(outputs=["phi_star", "W"], precision="extended", **p)},
        rounds=5)
    t_ours, t_base, t_ext = best["ours"], best["base"], best["extended"]
    t_adapt = best["adaptive"]
    print(f"points: {n}")
    print(f"baseline (fused in-place numpy, 7 calls): {t_base * 1e3:8.1f} ms")
    print(f"earlier baseline (a log of every parameter): {best['logs'] * 1e3:8.1f} ms")
    print(f"melitz_sym Model.solve:                   {t_ours * 1e3:8.1f} ms")
    print(f"ratio ours/baseline: {t_ours / t_base:.2f} (target <= 1.5); ours/earlier "
          f"baseline: {t_ours / best['logs']:.2f}")
    print(f"on one thread (MELITZ_SYM_THREADS=1; the default uses {fast.THREADS}): "
          f"{best['ours, one thread'] * 1e3:8.1f} ms, "
          f"ratio {best['ours, one thread'] / t_base:.2f}")
    print(f"Model.solve(precision='adaptive'): {t_adapt * 1e3:8.1f} ms, "
          f"{t_adapt / t_base:.1f}x the baseline (no target: long double where the "
          "estimate exceeds 1.8e-15)")
    print(f"Model.solve(precision='extended'), long double: {t_ext * 1e3:8.1f} ms, "
          f"{t_ext / t_base:.1f}x the baseline (no target: within an ulp instead of "
          "|log y| ulps)")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
