"""Timing shared by the benchmarks: the best time of each function over rounds
in which every function runs once, in turn, so that a change in the machine's
load (it is shared and noisy) affects the baseline and our code alike."""

from __future__ import annotations

import time
from collections.abc import Callable


def interleaved(functions: dict[str, Callable[[], object]], rounds: int = 3) -> dict[str, float]:
    """Best wall time in seconds of each function (name -> seconds)."""
    best = {name: float("inf") for name in functions}
    for _ in range(rounds):
        for name, fn in functions.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best
