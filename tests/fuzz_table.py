"""The long profile of the fuzz suite: count the outcomes of every entry point (issue 20).

Run from the repository root::

    python tests/fuzz_table.py --examples 2000            # every entry point
    python tests/fuzz_table.py --examples 200 --entries verify,claims --log fuzz.jsonl

For each entry point it tries about ``--examples`` inputs, spread over every
(model, distribution) pair of the registry (:data:`fuzz_cases.CASES`), and prints
the table of the issue: tried / clean or correct / traceback / hang / silently wrong
(the outcomes of :mod:`fuzz_cases`).  Every input that is not clean is written to
``--log`` (one JSON line: entry point, case, input, outcome, detail).  The model entry
points (solve, evaluate, reference, CLI solve, generated NumPy) share their inputs:
one reference per input checks the others.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("MELITZ_SYM_CACHE", tempfile.mkdtemp(prefix="melitz-fuzz-cache-"))
sys.path.insert(0, str(Path(__file__).parent))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import fuzz_cases as fc  # noqa: E402
import melitz_sym as ms  # noqa: E402

ENTRIES = (*fc.MODEL_ENTRIES, "verify", "claims", *(f"cli {c}" for c in fc.COMMANDS if
                                                      c != "solve"), "sweep", "calibrate",
           "cache")
KINDS = ("clean", "traceback", "hang", "wrong")
#: entry points exercised per model (one case each: the model's default distribution)
PER_MODEL = {"verify", "claims"}
#: entry points over the open-economy symmetric models only
CALIBRATED = [c for c in fc.CASES if c[0] in ("melitz", "hmy")]
#: cheap derivations for the cache fuzz
CACHED = [("krugman", None), ("melitz", "pareto"), ("melitz-closed", "weibull"),
          ("melitz-closed", "degenerate")]


def _settings(n: int):
    return settings(max_examples=max(n, 1), deadline=None, database=None,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck))


def explore(strategy, n: int, body) -> None:
    """Call ``body`` on ``n`` inputs drawn from ``strategy`` (generation only, no shrinking)."""
    @_settings(n)
    @given(strategy)
    def one(x):
        body(x)

    one()


class Table:
    def __init__(self, log: Path | None) -> None:
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.log = log.open("a") if log else None

    def add(self, entry: str, case, data, outcome: fc.Outcome) -> None:
        self.counts[entry][outcome.kind] += 1
        if outcome.kind != "clean" and self.log:
            self.log.write(json.dumps({"entry": entry, "case": fc.case_id(case),
                                       "input": repr(data)[:2000], "kind": outcome.kind,
                                       "detail": outcome.detail[:1000]}) + "\n")
            self.log.flush()

    def markdown(self) -> str:
        lines = ["| entry point | tried | clean or correct | traceback | hang | silently wrong |",
                 "|---|---|---|---|---|---|"]
        for entry, c in self.counts.items():
            lines.append(f"| `{entry}` | {sum(c.values())} | "
                         + " | ".join(str(c[k]) for k in KINDS) + " |")
        return "\n".join(lines)


def run(table: Table, entries: set[str], examples: int, only: set[str] | None,
        rounds: int) -> None:
    """Try about ``examples`` inputs per entry point in ``rounds`` rounds; each round
    visits every case (so an interrupted run has tried every case)."""
    cases = [c for c in fc.CASES if not only or fc.case_id(c) in only]
    models = {}
    for c in cases:  # derive first: a cold derivation is not a call under test
        models[c] = ms.model(*c)
        models[c].derive()
    work = Path(tempfile.mkdtemp(prefix="melitz-fuzz-"))
    cli_dir = work / "cli"
    cli_dir.mkdir()
    model_entries = entries & set(fc.MODEL_ENTRIES)
    modules = {c: fc.numpy_module(models[c], work / f"np-{fc.case_id(c)}")
               for c in cases if "numpy" in model_entries and not models[c]._plan.multi_country}
    commands = {e.removeprefix("cli ") for e in entries if e.startswith("cli ")} - {"solve"}
    default = {c[0]: c for c in reversed(cases)}  # one case per model (first listed)
    jobs = []  # (entry, cases, strategy of a case, body(case, input))

    def model_body(c, params):
        for entry, how in fc.check_model(models[c], params, modules.get(c),
                                         model_entries).items():
            table.add(entry, c, params, how)

    def cli_body(c, argv):
        table.add(f"cli {argv[0]}", c, argv, fc.check_cli(argv, cli_dir))

    if model_entries:
        jobs.append((1, cases, lambda c: fc.points(fc.CASES[c]), model_body))
    for entry, over, strategy, check in (
            ("verify", list(default.values()), lambda c: fc.equations(),
             lambda c, x: fc.check_verify(models[c], x)),
            ("claims", list(default.values()), lambda c: fc.claim_texts(models[c]),
             lambda c, x: fc.check_claim(models[c], x)),
            ("sweep", cases, lambda c: fc.sweep_designs(fc.CASES[c]),
             lambda c, x: fc.check_sweep(models[c], *x)),
            ("calibrate", [c for c in CALIBRATED if c in cases],
             lambda c: fc.calibrations(fc.CASES[c]),
             lambda c, x: fc.check_calibrate(models[c], *x)),
            ("cache", [c for c in CACHED if c in cases],
             lambda c: st.tuples(st.sampled_from(fc.DAMAGES), st.integers(0, 2**32)),
             lambda c, x: fc.check_cache(c, *x))):
        if entry in entries and over:
            jobs.append((1, over, strategy,
                         lambda c, x, entry=entry, check=check: table.add(entry, c, x,
                                                                          check(c, x))))
    if commands:
        jobs.append((len(commands), cases,
                     lambda c: fc.cli_argv(cli_dir, c, tuple(sorted(commands))), cli_body))
    for r in range(rounds):
        for weight, over, strategy, body in jobs:
            per = math.ceil(examples * weight / len(over) / rounds)
            for c in over:
                explore(strategy(c), per, lambda x, c=c, body=body: body(c, x))
        print(f"{time.strftime('%H:%M:%S')} round {r + 1} of {rounds}", flush=True)
        print(table.markdown(), flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--examples", type=int, default=200, help="inputs per entry point")
    p.add_argument("--entries", default=",".join(ENTRIES), help="comma-separated")
    p.add_argument("--cases", default="", help="comma-separated case ids (default: all)")
    p.add_argument("--rounds", type=int, default=10,
                   help="rounds over every case (the table is printed after each)")
    p.add_argument("--log", type=Path, default=None, help="JSON lines of every bad outcome")
    args = p.parse_args()
    entries = set(args.entries.split(","))
    unknown = entries - set(ENTRIES)
    if unknown:
        p.error(f"unknown entry points {sorted(unknown)}; choose from {', '.join(ENTRIES)}")
    table = Table(args.log)
    start = time.time()
    try:
        run(table, entries, args.examples, set(filter(None, args.cases.split(","))) or None,
            args.rounds)
    finally:
        print(table.markdown())
        print(f"({time.time() - start:.0f} s)")


if __name__ == "__main__":
    main()
