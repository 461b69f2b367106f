"""Benchmark: Melitz-Ottaviano (Pareto in cost) c_D, N, p_bar, markup_bar and W for 1e6
points (issue 17).

Baseline: a hand-written, fused, in-place numpy evaluation of the same outputs (the
closed forms of Melitz and Ottaviano 2008, eqs. (9), (10) and p. 300, literature.md
section 8, typed here for the baseline only).  Both run in this process on the same
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
    """By hand, in place: log c_D = [log(2 (k+1)(k+2) gamma f_e / L) + k log c_M
    - log(1 + n tau^-k)] / (k + 2); N = 2 (k+1) gamma (alpha - c_D)/(eta c_D);
    p_bar = (2k+1)/(2k+2) c_D; markup_bar = c_D/(2(k+1));
    W = 1 + (alpha - c_D)(alpha - (k+1)/(k+2) c_D)/(2 eta)."""
    k, gamma, alpha, eta = p["k"], p["gamma"], p["alpha"], p["eta"]
    k1 = k + 1
    k2 = k + 2
    y = np.log(p["tau"])
    y *= -k
    np.exp(y, out=y)
    y *= p["n"]
    np.log1p(y, out=y)                       # log(1 + n tau^-k)
    y -= np.log(p["c_M"]) * k
    y -= np.log(2 * k1 * k2 * gamma * p["f_e"] / p["L"])
    y /= -k2
    c_D = np.exp(y, out=y)
    gap = alpha - c_D
    N = gap * (2 * k1) * gamma / (eta * c_D)
    p_bar = c_D * (2 * k + 1) / (2 * k1)
    markup = c_D / (2 * k1)
    W = gap * (alpha - k1 / k2 * c_D) / (2 * eta)
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
