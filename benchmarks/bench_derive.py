"""Cold and warm `melitz-sym derive melitz --dist pareto` against `import sympy`.

All are timed in fresh subprocesses in the same run, interleaved (one round
runs import sympy, the cold derive and the warm derive in turn), so that a
change in the machine's load affects baseline and derive alike; the best time
of each over the rounds is taken, and ratios are printed.
Targets (issue 2): cold within 15x, warm (disk cache) within 3x.
Run: python benchmarks/bench_derive.py [ROUNDS]
"""

import os
import subprocess
import sys
import tempfile
import time


def timed(cmd: list[str], env: dict) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main(rounds: int = 3) -> None:
    env = dict(os.environ)
    base_cmd = [sys.executable, "-c", "import sympy"]
    derive = [sys.executable, "-m", "melitz_sym.cli", "derive", "melitz", "--dist", "pareto"]
    cold_env = {**env, "MELITZ_SYM_CACHE": "off"}
    base, cold, warm = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        warm_env = {**env, "MELITZ_SYM_CACHE": tmp}
        subprocess.run(derive, env=warm_env, check=True, stdout=subprocess.DEVNULL)
        for _ in range(rounds):
            base.append(timed(base_cmd, env))
            cold.append(timed(derive, cold_env))
            warm.append(timed(derive, warm_env))
    b, c, w = min(base), min(cold), min(warm)
    print(f"import sympy      {b:7.3f} s   (best of {rounds})")
    print(f"derive (cold)     {c:7.3f} s   ratio {c / b:5.1f}x  (target <= 15x)")
    print(f"derive (warm)     {w:7.3f} s   ratio {w / b:5.1f}x  (target <= 3x)")
    rows = ", ".join(f"{y / x:.1f}x" for x, y in zip(base, cold))
    print(f"cold/import per round: {rows}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
