"""melitz-asym equilibrium: Newton with the sympy-derived Jacobian vs scipy.optimize.root.

Both solve the same 3N equations (``AsymSystem.residual``) from the same start;
scipy uses MINPACK (``hybr``, its default, and ``lm``) with a finite-difference
Jacobian and tolerances tight enough for 1e-12 relative accuracy.  Two starts:
autarky (what ``solve`` uses) and the solution perturbed by 1% in every log
unknown (where ``hybr`` converges).  Accuracy: max residual and the largest
relative difference of w, M_e, A from our root.  Then the time of ``model.solve``
(start, Newton, outputs, autarky) for N = 2 .. 100.
Target (issue 6): >= 5x faster than scipy at N = 20.
BLAS runs single-threaded (the matrices are small; threads only add overhead).
Run: PYTHONPATH=. python benchmarks/bench_asym.py
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")


import numpy as np  # noqa: E402
from scipy.optimize import root  # noqa: E402
from timing import interleaved  # noqa: E402

import melitz_sym as ms  # noqa: E402
from melitz_sym.numeric.general_equilibrium import AsymSystem, newton  # noqa: E402


def parameters(N: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    tau = rng.uniform(1.1, 2.0, (N, N))
    np.fill_diagonal(tau, 1)
    f = rng.uniform(1.5, 3, (N, N))
    np.fill_diagonal(f, rng.uniform(0.5, 1, N))
    return dict(sigma=3.8, delta=0.05, k=4.6, b=rng.uniform(0.5, 1.5, N),
                f_e=rng.uniform(0.5, 2, N), L=rng.uniform(10, 300, N), tau=tau, f=f)


def main() -> None:
    m = ms.model("melitz-asym")
    d = m.derive()
    N = 20
    system = AsymSystem(d, m.read(parameters(N)))
    autarky = system.start()
    ours, _ = newton(system, autarky)
    near = ours + 0.01 * np.random.default_rng(0).standard_normal(ours.size)

    def F(u):
        return system.residual(u, jacobian=False)[0]

    print(f"N = {N}: {3 * N} unknowns (ln w, ln M_e, ln A)")
    methods = (("hybr", {"xtol": 1e-14}), ("lm", {"xtol": 1e-14, "ftol": 1e-14}))
    for label, u0 in (("autarky start", autarky), ("start 1% off the root", near)):
        print(f"  {label}:")
        runs = {"ours": lambda u0=u0: newton(system, u0)}
        runs.update({m_: lambda u0=u0, m_=m_, o=o: root(F, u0, method=m_, options=o)
                     for m_, o in methods})
        with np.errstate(all="ignore"):
            best = interleaved(runs, rounds=3)
        u, iters = newton(system, u0)
        print(f"    Newton, analytic Jacobian {best['ours'] * 1e3:9.2f} ms  {iters:3d} iterations"
              f"  max residual {np.max(np.abs(F(u))):.1e}")
        for method, opts in methods:
            with np.errstate(all="ignore"):
                sol = root(F, u0, method=method, options=opts)
                gap = np.max(np.abs(np.expm1(sol.x - ours)))
            t = best[method]
            verdict = (f"ratio {t / best['ours']:6.1f}x" if sol.success and gap < 1e-12
                       else "no solution at 1e-12")
            print(f"    scipy root {method:4s} (FD Jac.) {t * 1e3:9.2f} ms  "
                  f"{sol.nfev:4d} evaluations  max residual {np.max(np.abs(sol.fun)):.1e}  "
                  f"rel. gap {gap:.1e}  {verdict}")
    print("  (target >= 5x)")
    print("time of model.solve (all outputs, incl. autarky) by N:")
    prev = None
    for n in (2, 5, 10, 20, 50, 100):
        params = parameters(n, seed=1)
        t = interleaved({"solve": lambda p=params: m.solve(**p)}, 3 if n <= 50 else 2)["solve"]
        growth = "" if prev is None else f"  x{t / prev[1]:.1f} for N x{n / prev[0]:.1f}"
        print(f"  N = {n:3d}  {t * 1e3:9.2f} ms{growth}")
        prev = (n, t)


if __name__ == "__main__":
    main()
