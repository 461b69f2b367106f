"""Random parameter points for the accuracy tests (issue 3), as float64 arrays.

Every region is drawn from a fixed seed, so the points are reproducible.  The
values are doubles; the reference converts each double exactly (its binary
value), so fast path and reference solve the same problem.

Regions (issue 3, "What must hold"):

``standard``      sigma 1.5-8, k in (sigma-1+0.1, sigma+5), tau 1-3, f_x/f 1-5,
                  n 0-10, mu -1..1, s 0.25-1.5
``e_small``       k - (sigma-1) from 1e-12 to 1e-1 (log-uniform)
``sigma_large``   sigma up to 60
``k_large``       k up to 300, tau up to 1e3, b from 1e-3 to 1e3
``s_large``       log-normal s up to 4 with sigma up to 10
``deep_tail``     delta f_e down to 1e-12: the cutoff deep in the upper tail
``sigma_near_1``  sigma - 1 from 1e-3 to 0.5 (log-uniform)
"""

from __future__ import annotations

import numpy as np

REGIONS = ("standard", "e_small", "sigma_large", "k_large", "s_large", "deep_tail",
           "sigma_near_1")
#: Which distributions each region applies to.
DISTS = {"standard": ("pareto", "lognormal"), "e_small": ("pareto",),
         "sigma_large": ("pareto", "lognormal"), "k_large": ("pareto",),
         "s_large": ("lognormal",), "deep_tail": ("pareto", "lognormal"),
         "sigma_near_1": ("pareto", "lognormal")}
SEEDS = {r: 3000 + i for i, r in enumerate(REGIONS)}


def _logu(rng, lo, hi, size):
    return np.exp(rng.uniform(np.log(lo), np.log(hi), size))


def draw(region: str, dist: str, size: int) -> dict[str, np.ndarray]:
    """``size`` points of ``region`` for the melitz model with ``dist``."""
    rng = np.random.default_rng([SEEDS[region], 0 if dist == "pareto" else 1])
    u = rng.uniform
    sigma = u(1.5, 8, size)
    p = {"f": u(0.5, 3, size), "L": _logu(rng, 1, 1000, size),
         "tau": u(1, 3, size), "n": rng.integers(0, 11, size).astype(float),
         "delta": u(0.01, 0.1, size), "f_e": u(0.005, 0.05, size)}
    ratio = u(1, 5, size)
    extra = u(0.1, 5, size)  # k - (sigma - 1)
    b = u(0.2, 3, size)
    mu, s = u(-1, 1, size), u(0.25, 1.5, size)
    if region == "e_small":
        extra = _logu(rng, 1e-12, 1e-1, size)
    elif region == "sigma_large":
        sigma = u(8, 60, size) if dist == "pareto" else u(8, 20, size)
    elif region == "k_large":
        extra = u(0, 300, size) - (sigma - 1)
        extra = np.maximum(extra, 0.1)
        p["tau"] = _logu(rng, 1, 1e3, size)
        b = _logu(rng, 1e-3, 1e3, size)
    elif region == "s_large":
        s, sigma = u(1.5, 4, size), u(1.5, 10, size)
    elif region == "deep_tail":
        p["f_e"] = _logu(rng, 1e-12, 1e-4, size) / p["delta"]
    elif region == "sigma_near_1":
        sigma = 1 + _logu(rng, 1e-3, 0.5, size)
        p["f_e"] = p["f_e"] * (sigma - 1)  # keep selection (phi* above b) for Pareto
    p["sigma"] = sigma
    p["f_x"] = ratio * p["f"]
    if dist == "pareto":
        p["k"] = (sigma - 1) + extra
        p["b"] = b
    else:
        p["mu"], p["s"] = mu, s
    return p
