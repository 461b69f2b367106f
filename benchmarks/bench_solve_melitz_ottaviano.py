"""Benchmark: Melitz-Ottaviano (Pareto in cost) c_D, N, p_bar, markup_bar and W for 1e6
points (issue 17).

Baseline: a hand-written, fused, in-place numpy evaluation of the same outputs with
the fewest transcendental calls an expert needs (4 per point: the earlier baseline
took 6 and allocated a temporary per operation), from the closed forms of Melitz and
Ottaviano 2008, eqs. (9), (10) and p. 300, literature.md section 8, typed here for
the baseline only.  Both run in this process on the same
inputs; the ratio ours/baseline is printed (target: at most 1.5), and the two results
are compared.

Usage: python3 benchmarks/bench_solve_melitz_ottaviano.py [N]
"""

from __future__ import annotations

import sys

import numpy as np
from timing import interleaved

import melitz_sym as ms

OUTPUTS = ["c_D", "N", "p_bar", "markup_bar", "W"]


def inputs(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2008)
    return dict(alpha=rng.uniform(2, 20, n), gamma=rng.uniform(0.2, 5, n),
                eta=rng.uniform(0.2, 5, n), c_M=rng.uniform(0.5, 2, n),
                k=rng.uniform(0.5, 8, n), f_e=rng.uniform(0.001, 0.01, n),
                L=rng.uniform(100, 1000, n), tau=rng.uniform(1, 3, n),
                n=rng.integers(0, 11, n).astype(float))


def baseline(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """By hand, fused and in place, with 4 transcendental calls per point (log tau,
    one exp, the log of the bracket, one exp):
    c_D = c_M [2 (k+1)(k+2) gamma f_e / (L c_M^2 (1 + n tau^-k))]^(1/(k+2))
    (the paper's c_D^(k+2) = 2 (k+1)(k+2) gamma f_e c_M^k / (L (1 + n tau^-k)));
    N = 2 (k+1) gamma (alpha - c_D)/(eta c_D); p_bar = (2k+1)/(2k+2) c_D;
    markup_bar = c_D/(2(k+1)); W = 1 + (alpha - c_D)(alpha - (k+1)/(k+2) c_D)/(2 eta)."""
    k, gamma, alpha, eta, c_M = p["k"], p["gamma"], p["alpha"], p["eta"], p["c_M"]
    t = np.log(p["tau"])     # 1: log tau
    t *= -k
    np.exp(t, out=t)         # 2: tau^-k
    t *= p["n"]
    t += 1
    t *= c_M
    t *= c_M
    t *= p["L"]              # L c_M^2 (1 + n tau^-k)
    k1 = k + 1
    k2 = k + 2
    c_D = k1 * k2
    c_D *= gamma
    c_D *= p["f_e"]
    c_D *= 2
    c_D /= t
    np.log(c_D, out=c_D)     # 3: log of the bracket
    c_D /= k2
    np.exp(c_D, out=c_D)     # 4
    c_D *= c_M
    gap = alpha - c_D
    N = gap * gamma
    N *= k1
    N *= 2
    t = np.multiply(eta, c_D, out=t)
    N /= t
    markup = c_D / k1
    markup *= 0.5
    p_bar = k + k
    p_bar += 1
    p_bar *= markup
    W = np.divide(k1, k2, out=k1)
    W *= c_D
    np.subtract(alpha, W, out=W)
    W *= gap
    W /= eta
    W *= 0.5
    W += 1
    return {"c_D": c_D, "N": N, "p_bar": p_bar, "markup_bar": markup, "W": W}


def main(n: int = 1_000_000) -> None:
    p = inputs(n)
    m = ms.model("melitz-ottaviano")
    ours = m.solve(outputs=OUTPUTS, **p)  # derive and compile once
    base = baseline(p)
    for name in OUTPUTS:
        err = np.max(np.abs(ours[name] / base[name] - 1))
        print(f"max relative difference ours vs baseline, {name}: {err:.1e}")
    best = interleaved({"ours": lambda: m.solve(outputs=OUTPUTS, **p),
                        "base": lambda: baseline(p)}, rounds=5)
    print(f"points: {n}")
    print(f"baseline (fused in-place numpy): {best['base'] * 1e3:8.1f} ms")
    print(f"melitz_sym Model.solve:          {best['ours'] * 1e3:8.1f} ms")
    print(f"ratio ours/baseline: {best['ours'] / best['base']:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
