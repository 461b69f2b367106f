"""Benchmark: Melitz-log-normal phi_star and W (issue 3).

Baselines, written here and run in this process on the same inputs:

1. a hand-written vectorised safeguarded Newton on y = log(phi*) over all points
   (target: ours at most 1.5x its time), 1e6 points;
2. a per-point loop of ``scipy.optimize.brentq`` with ``math.erfc`` on a few
   thousand points (target: ours at least 50x faster per point).

``precision="extended"`` (the root's last Newton step and the outputs in long
double; ``"adaptive"`` is the same for this model) is timed beside them, for
the record.

Cutoff equation (literature.md §1.2): f j(phi*) + n f_x j(phi_x*) = delta f_e, with
j(x) = V(x) x^(1-sigma) - S(x), S(x) = erfc(u/sqrt 2)/2, u = (log x - mu)/s,
V(x) = exp(a mu + a^2 s^2/2) erfc((u - a s)/sqrt 2)/2, a = sigma - 1,
phi_x* = tau (f_x/f)^(1/a) phi*; W = rho phi* (L/(sigma f))^(1/a).

Usage: python3 benchmarks/bench_solve_lognormal.py [N] [N_LOOP]
"""

from __future__ import annotations

import math
import sys

import numpy as np
from scipy.optimize import brentq
from scipy.special import erfc
from timing import interleaved

import melitz_sym as ms

R2 = math.sqrt(2.0)


def inputs(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2007)
    f = rng.uniform(0.5, 3, n)
    return dict(sigma=rng.uniform(1.5, 8, n), mu=rng.uniform(-1, 1, n),
                s=rng.uniform(0.25, 1.5, n), f=f, f_x=f * rng.uniform(1, 5, n),
                f_e=rng.uniform(0.005, 0.05, n), delta=rng.uniform(0.01, 0.1, n),
                tau=rng.uniform(1, 3, n), n=rng.integers(0, 11, n).astype(float),
                L=rng.uniform(1, 1000, n))


def _residual(y, p, c):
    """Residual and its y-derivative at y = log(phi*), vectorised."""
    a, mu, s = c["a"], p["mu"], p["s"]
    out, deriv = -p["delta"] * p["f_e"], 0.0
    for weight, shift in ((p["f"], 0.0), (p["n"] * p["f_x"], c["log_x"])):
        ly = y + shift
        u = (ly - mu) / s
        V = c["mom"] * erfc((u - a * s) / R2) * 0.5
        Vx = V * np.exp(-a * ly)
        out = out + weight * (Vx - 0.5 * erfc(u / R2))
        deriv = deriv - a * weight * Vx
    return out, deriv


def baseline(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Vectorised Newton on y with bisection safeguard inside a doubling bracket."""
    a = p["sigma"] - 1
    c = {"a": a, "mom": np.exp(a * p["mu"] + 0.5 * (a * p["s"]) ** 2),
         "log_x": np.log(p["tau"]) + np.log(p["f_x"] / p["f"]) / a}
    lo = np.full_like(a, -1.0)
    hi = np.full_like(a, 1.0)
    for _ in range(100):
        need = _residual(lo, p, c)[0] <= 0
        if not need.any():
            break
        lo = np.where(need, 2 * lo - 1, lo)
    for _ in range(100):
        need = _residual(hi, p, c)[0] >= 0
        if not need.any():
            break
        hi = np.where(need, 2 * hi + 1, hi)
    y = 0.5 * (lo + hi)
    for _ in range(100):
        r, dr = _residual(y, p, c)
        lo = np.where(r > 0, y, lo)
        hi = np.where(r < 0, y, hi)
        new = y - r / dr
        new = np.where((new <= lo) | (new >= hi) | ~np.isfinite(new), 0.5 * (lo + hi), new)
        done = np.abs(new - y) <= 1e-15 * np.maximum(1, np.abs(y))
        y = new
        if done.all():
            break
    phi = np.exp(y)
    W = phi * (a / p["sigma"]) * (p["L"] / (p["sigma"] * p["f"])) ** (1 / a)
    return {"phi_star": phi, "W": W}


def brentq_loop(p: dict[str, np.ndarray], count: int) -> np.ndarray:
    """phi* point by point: scipy.optimize.brentq on y with math.erfc."""
    out = np.empty(count)
    for i in range(count):
        sig, mu, s, f, f_x, f_e, de, tau, n = (float(p[k][i]) for k in (
            "sigma", "mu", "s", "f", "f_x", "f_e", "delta", "tau", "n"))
        a = sig - 1
        mom = math.exp(a * mu + 0.5 * (a * s) ** 2)
        log_x = math.log(tau) + math.log(f_x / f) / a

        def j(ly, a=a, mu=mu, s=s, mom=mom):
            u = (ly - mu) / s
            return mom * 0.5 * math.erfc((u - a * s) / R2) * math.exp(-a * ly) \
                - 0.5 * math.erfc(u / R2)

        def g(y, f=f, f_x=f_x, n=n, log_x=log_x, fe=de * f_e):
            return f * j(y) + n * f_x * j(y + log_x) - fe

        lo, hi = -1.0, 1.0
        while g(lo) <= 0:
            lo = 2 * lo - 1
        while g(hi) >= 0:
            hi = 2 * hi + 1
        out[i] = math.exp(brentq(g, lo, hi, xtol=1e-15, rtol=8.9e-16))
    return out


def main(n: int = 1_000_000, n_loop: int = 2000) -> None:
    p = inputs(n)
    m = ms.model("melitz", dist="lognormal")
    ours = m.solve(outputs=["phi_star", "W"], **p)
    base = baseline(p)
    for name in ("phi_star", "W"):
        print(f"max relative difference ours vs Newton baseline, {name}: "
              f"{np.max(np.abs(ours[name] / base[name] - 1)):.1e}")
    ext = m.solve(outputs=["phi_star", "W"], precision="extended", **p)
    for name in ("phi_star", "W"):
        print(f"max relative difference default vs precision='extended', {name}: "
              f"{np.max(np.abs(ours[name] / ext[name] - 1)):.1e}")
    small = {k: v[:n_loop] for k, v in p.items()}
    loop = brentq_loop(small, n_loop)
    best = interleaved({"ours": lambda: m.solve(outputs=["phi_star", "W"], **p),
                        "base": lambda: baseline(p),
                        "loop": lambda: brentq_loop(small, n_loop),
                        "extended": lambda: m.solve(outputs=["phi_star", "W"],
                                                    precision="extended", **p)})
    t_ours, t_base, t_loop = best["ours"], best["base"], best["loop"] / n_loop
    print(f"max relative difference ours vs brentq loop, phi_star: "
          f"{np.max(np.abs(ours['phi_star'][:n_loop] / loop - 1)):.1e}")
    print(f"points: {n} (brentq loop: {n_loop})")
    print(f"hand-written vectorised Newton: {t_base * 1e3:9.1f} ms")
    print(f"melitz_sym Model.solve:         {t_ours * 1e3:9.1f} ms")
    print(f"ratio ours/Newton baseline: {t_ours / t_base:.2f} (target <= 1.5)")
    per_point = t_ours / n
    print(f"brentq loop: {t_loop * 1e6:.1f} us/point; ours: {per_point * 1e6:.3f} us/point; "
          f"speed-up {t_loop / per_point:.0f}x (target >= 50)")
    t_ext = best["extended"]
    print(f"precision='extended': {t_ext * 1e3:9.1f} ms, {t_ext / t_ours:.1f}x the default, "
          f"{t_ext / t_base:.2f}x the Newton baseline, {t_loop * n / t_ext:.0f}x the brentq loop")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
