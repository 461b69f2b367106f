"""Independent values of the melitz cutoff and phi_tilde_t at the extreme points of
issue 20 (log-normal, Frechet), for test_fast.py and test_precise.py.

Nothing of the package is used: the partial moment of the log-normal,
:math:`\\int_a^\\infty x^z g = e^{z\\mu + z^2 s^2/2}\\Phi((\\mu + z s^2 - \\log a)/s)`, and of
the Frechet, :math:`b^z\\gamma(1 - z/k, (a/b)^{-k})` (lower incomplete gamma), with
:math:`z = \\sigma - 1`; the cutoff equation :math:`f J(\\varphi^*) + n f_x J(\\varphi_x^*) =
\\delta f_e`, :math:`J(a) = a^{-z}\\int_a^\\infty x^z g - S(a)`,
:math:`\\varphi_x^* = \\tau (f_x/f)^{1/z}\\varphi^*` (literature.md section 1.2), solved by
bisection in log(phi*); :math:`\\tilde\\varphi_t^z = (V(\\varphi^*) + n\\tau^{-z}V(\\varphi_x^*))
/(S(\\varphi^*) + n S(\\varphi_x^*))`.  The parameters are the doubles as given.

Usage: python3 tests/numeric/extreme_tails.py (prints at 30 and 60 digits)
"""

from __future__ import annotations

import mpmath as mp

BASE = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100, tau=1.5, f_x=1.5, n=1)
DIST = {"lognormal": dict(mu=0.0, s=0.5), "frechet": dict(k=4.0, b=1.0)}
POINTS = [("lognormal", dict(f_e=5.7e-162)), ("lognormal", dict(f=5e-324)),
          ("frechet", dict(delta=7.449807581310619e-160))]


def solve(dist: str, p: dict, dps: int) -> dict:
    """phi_star, phi_x_star and phi_tilde_t at ``dps`` digits."""
    mp.mp.dps = dps
    z = mp.mpf(p["sigma"]) - 1
    f, f_e, delta, tau, f_x, n = (mp.mpf(p[k]) for k in ("f", "f_e", "delta", "tau", "f_x", "n"))
    if dist == "lognormal":
        mu, s = mp.mpf(p["mu"]), mp.mpf(p["s"])

        def survival(a):
            return mp.erfc((mp.log(a) - mu) / (s * mp.sqrt(2))) / 2

        def moment(a):
            return mp.exp(z * mu + z * z * s * s / 2) * mp.erfc(
                (mp.log(a) - mu - z * s * s) / (s * mp.sqrt(2))) / 2
    else:
        k, b = mp.mpf(p["k"]), mp.mpf(p["b"])

        def survival(a):
            return -mp.expm1(-(a / b) ** (-k))

        def moment(a):
            return b ** z * mp.gammainc(1 - z / k, 0, (a / b) ** (-k))

    def residual(y):
        phi = mp.exp(y)
        return sum(w * (moment(a) / a ** z - survival(a)) for w, a in (
            (f, phi), (n * f_x, phi * tau * (f_x / f) ** (1 / z)))) - delta * f_e

    lo, hi = mp.mpf(-5), mp.mpf(5)
    while residual(lo) < 0:
        lo -= 10
    while residual(hi) > 0:
        hi += 10
    for _ in range(int(dps * 3.5) + 20):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if residual(mid) > 0 else (lo, mid)
    phi = mp.exp((lo + hi) / 2)
    phi_x = phi * tau * (f_x / f) ** (1 / z)
    tilde = ((moment(phi) + n * tau ** (-z) * moment(phi_x))
             / (survival(phi) + n * survival(phi_x))) ** (1 / z)
    return dict(phi_star=phi, phi_x_star=phi_x, phi_tilde_t=tilde)


if __name__ == "__main__":
    for dist, change in POINTS:
        for dps in (30, 60):
            got = solve(dist, {**BASE, **DIST[dist], **change}, dps)
            print(dist, change, dps, {k: mp.nstr(v, 20) for k, v in got.items()})
