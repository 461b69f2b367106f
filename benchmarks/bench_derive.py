"""Cold and warm `melitz-sym derive melitz --dist pareto` against `import sympy`.

All three are timed in fresh subprocesses in the same run; ratios are printed.
Targets (issue 2): cold within 15x, warm (disk cache) within 3x.
Run: python benchmarks/bench_derive.py
"""

import os
import subprocess
import sys
import tempfile
import time


def timed(cmd: list[str], env: dict, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    env = dict(os.environ)
    base = timed([sys.executable, "-c", "import sympy"], env)
    derive = [sys.executable, "-m", "melitz_sym.cli", "derive", "melitz", "--dist", "pareto"]
    cold = timed(derive, {**env, "MELITZ_SYM_CACHE": "off"}, repeat=2)
    with tempfile.TemporaryDirectory() as tmp:
        warm_env = {**env, "MELITZ_SYM_CACHE": tmp}
        subprocess.run(derive, env=warm_env, check=True, stdout=subprocess.DEVNULL)
        warm = timed(derive, warm_env)
    print(f"import sympy      {base:7.3f} s")
    print(f"derive (cold)     {cold:7.3f} s   ratio {cold / base:5.1f}x  (target <= 15x)")
    print(f"derive (warm)     {warm:7.3f} s   ratio {warm / base:5.1f}x  (target <= 3x)")


if __name__ == "__main__":
    main()
