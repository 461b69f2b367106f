"""Write the stored reference tables used by test_accuracy.py.

Each table holds random points of one region (see points.py) and every output
of ``melitz`` computed by ``Model.reference(dps=50)``: the independent mpmath
path (quadrature of the declared density, root finding on the generic cutoff
equation), never the closed forms or the fast path.  Points where the
reference finds no interior equilibrium (phi* below the Pareto bound) are
dropped.  test_accuracy.py recomputes a sample of rows live to check that the
tables still match the current reference code.

Usage: python3 tests/numeric/make_reference.py REGION DIST COUNT [PROCESSES]
(appends COUNT points to the table of REGION and DIST)
"""

from __future__ import annotations

import json
import multiprocessing
import sys
import time
from pathlib import Path

import mpmath

import melitz_sym as ms
from melitz_sym.errors import AdmissibilityError

sys.path.insert(0, str(Path(__file__).parent))
from points import draw  # noqa: E402

HERE = Path(__file__).parent / "reference_data"
DPS = 50
POOL = 3000  # points drawn per region; tables take them in order


def table_path(region: str, dist: str) -> Path:
    return HERE / f"melitz-{dist}-{region}.json"


def _one(args):
    dist, row = args
    m = ms.model("melitz", dist=dist)
    try:
        out = m.reference(dps=DPS, **row)
    except AdmissibilityError:
        return None
    return {k: mpmath.nstr(v, DPS, min_fixed=1, max_fixed=0) for k, v in out.items()}


def load(region: str, dist: str) -> dict | None:
    path = table_path(region, dist)
    return json.loads(path.read_text()) if path.exists() else None


def main(region: str, dist: str, count: int, processes: int = 2) -> None:
    """Append ``count`` more points of ``region`` to its table (rows are drawn from a
    fixed pool of POOL points, so the table grows reproducibly)."""
    table = load(region, dist) or {
        "model": "melitz", "dist": dist, "region": region, "dps": DPS,
        "source": "Model.reference(dps=50): mpmath quadrature of the declared density "
                  "and root finding on the generic cutoff equation",
        "seconds": 0.0, "next": 0, "params": {}, "results": {}}
    pts = draw(region, dist, POOL)
    names = list(pts)
    start = table["next"]
    rows = [{k: float(pts[k][i]) for k in names} for i in range(start, POOL)]
    ms.model("melitz", dist=dist).derive()  # derive once before forking
    t0 = time.time()
    added = 0
    with multiprocessing.Pool(processes) as pool:
        for i, res in enumerate(pool.imap(_one, [(dist, r) for r in rows])):
            table["next"] = start + i + 1
            if res is not None:
                for k in names:
                    table["params"].setdefault(k, []).append(repr(rows[i][k]))
                for k, v in res.items():
                    table["results"].setdefault(k, []).append(v)
                added += 1
            if added == count:
                break
        pool.terminate()
    table["seconds"] = round(table["seconds"] + time.time() - t0, 1)
    HERE.mkdir(exist_ok=True)
    table_path(region, dist).write_text(json.dumps(table, indent=0))
    print(f"{region} {dist}: +{added} points, {len(table['results']['W'])} in total, "
          f"{table['seconds']:.0f} s of reference computation")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), *map(int, sys.argv[4:]))
