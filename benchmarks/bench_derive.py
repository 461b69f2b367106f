"""Cold and warm `melitz-sym derive melitz --dist pareto` against `import sympy`.

All are timed in fresh subprocesses in the same run, interleaved (one round
runs import sympy, the cold derive and the warm derive in turn: timing.py);
the best time of each over the rounds is taken, and ratios are printed.
Targets (issue 2): cold within 15x, warm (disk cache) within 3x.
Run: python benchmarks/bench_derive.py [ROUNDS]
"""

import os
import subprocess
import sys
import tempfile

from timing import interleaved


def run(cmd: list[str], env: dict) -> None:
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)


def main(rounds: int = 3) -> None:
    env = dict(os.environ)
    base_cmd = [sys.executable, "-c", "import sympy"]
    derive = [sys.executable, "-m", "melitz_sym.cli", "derive", "melitz", "--dist", "pareto"]
    cold_env = {**env, "MELITZ_SYM_CACHE": "off"}
    with tempfile.TemporaryDirectory() as tmp:
        warm_env = {**env, "MELITZ_SYM_CACHE": tmp}
        run(derive, warm_env)
        best = interleaved({"base": lambda: run(base_cmd, env),
                            "cold": lambda: run(derive, cold_env),
                            "warm": lambda: run(derive, warm_env)}, rounds)
    b, c, w = best["base"], best["cold"], best["warm"]
    print(f"import sympy      {b:7.3f} s   (best of {rounds})")
    print(f"derive (cold)     {c:7.3f} s   ratio {c / b:5.1f}x  (target <= 15x)")
    print(f"derive (warm)     {w:7.3f} s   ratio {w / b:5.1f}x  (target <= 3x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
