"""Write the snapshot of every built-in model's derivation that test_snapshot.py compares against.

The stored snapshot (``tests/models/snapshot/``) was made from commit c9e53ea, the tree
before the declarative refactor of ``melitz_sym/models``; it pins what that tree derived,
so the refactor can show it derives the same.

For every built-in model (``melitz_sym.models()``) and, for a model that uses a
productivity distribution, every distribution it accepts (a distribution the model
refuses with ``AdmissibilityError``, e.g. chaney with anything but pareto, is skipped),
``ms.model(name, dist=dist).derive()`` is written to ``snapshot/<model>[-<dist>].json``
(sorted keys, one line per entry) holding:

- ``model``, ``dist`` (null for representative-firm models), ``title``;
- ``parameters``: parameter names, in order;
- ``steps``: step names, in derivation order;
- ``outputs``, ``closed_forms``: name -> ``sympy.srepr`` of the expression;
- ``cutoff``, ``cutoff_residual``: srepr, or null for a model without a cutoff;
- ``restrictions``: ``[srepr(condition), srepr(when) or null]`` per restriction,
  sorted (the order of restrictions carries no meaning);
- ``pair`` (N-country models only, ``d.pair``): name -> srepr of the per-pair terms;
- ``source``: the commit the files were made from, ``sympy``: the sympy version.

Dummy symbols (whose srepr carries a per-process ``dummy_index``) are numbered in the
order ``srepr`` meets them, so Dummies cannot make two runs differ (no stored expression
has one at c9e53ea); see :func:`canonical_srepr`, which test_snapshot.py applies to the new
expressions as well.

The derivations themselves are not fully reproducible at c9e53ea: some forms depend on
wall-clock limits inside the package (``melitz_asym._neat`` abandons ``tidy`` after 5 s,
``solving.solve_power_law`` simplifies within 10 s, ``is_zero_symbolic`` within 5 s decides
optional steps such as ``k_constant`` and ``M_e_invariant``) and on sympy's ordering of sets
(hash seed; Dummy counters, i.e. what the process derived before).  Seen over three full
runs, five single runs and the test: hmy-pareto's closed forms (M_e, P, W, p_in,
phi_I_star, phi_star, phi_tilde, phi_x_star, pi_bar) and output ``gains``, and
melitz-asym-lognormal ``pair[fe_phi]``, come in two equal forms; melitz-asym-truncated-pareto
``pair[fe_phi]`` in two forms of which the tidied one is wrong (stored: the correct one; see
``snapshot_known_issues.json``).  The script re-executes itself with ``PYTHONHASHSEED=0``,
which removes the hash-seed part only; the stored files are from one such full run.
test_snapshot.py proves differing forms equal, so it does not depend on which form it meets.

Derivation caching is turned off (``MELITZ_SYM_CACHE=off``) so nothing stale is read.
All models take about 3-4 minutes in one process.  Run from the repository root::

    PYTHONPATH=. python tests/models/make_snapshot.py [--out DIR] [MODEL[-DIST] ...]

With names, only those files are written (e.g. ``melitz-lognormal krugman``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import sympy as sp

HERE = Path(__file__).resolve().parent
SNAPSHOT = HERE / "snapshot"

_DUMMY = re.compile(r"""(Dummy\((?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
                    r"(?:, \w+=\w+)*?, dummy_index=)(\d+)")


def canonical_srepr(expr: sp.Basic | None) -> str | None:
    """``sympy.srepr`` with each Dummy's ``dummy_index`` replaced by its order of
    appearance (0, 1, ...), so that equal trees give equal strings in every process."""
    if expr is None:
        return None
    text = sp.srepr(expr)
    seen: dict[str, int] = {}

    def number(m: re.Match) -> str:
        return f"{m.group(1)}{seen.setdefault(m.group(0), len(seen))}"

    return _DUMMY.sub(number, text)


def cases() -> list[tuple[str, str | None]]:
    """Every (model, distribution) pair: distribution None for models without one."""
    from melitz_sym.distributions import DISTRIBUTIONS
    from melitz_sym.models import _BUILDERS, models

    out = []
    for name in models():
        uses_dist = _BUILDERS[name][1]
        for dist in (DISTRIBUTIONS if uses_dist else [None]):
            out.append((name, dist))
    return out


def file_name(name: str, dist: str | None) -> str:
    return f"{name}-{dist}.json" if dist else f"{name}.json"


def snapshot(name: str, dist: str | None) -> dict | None:
    """The stored form of one derivation, or None if the model refuses ``dist``."""
    import melitz_sym as ms
    from melitz_sym.errors import AdmissibilityError

    try:
        d = ms.model(name, dist=dist).derive() if dist else ms.model(name).derive()
    except AdmissibilityError:
        return None
    s = canonical_srepr
    data = {
        "model": name,
        "dist": dist,
        "title": d.title,
        "parameters": [p.name for p in d.parameters],
        "steps": list(d.names),
        "outputs": {k: s(v) for k, v in d.outputs.items()},
        "closed_forms": {k: s(v) for k, v in d.closed_forms.items()},
        "cutoff": s(d.cutoff),
        "cutoff_residual": s(d.cutoff_residual),
        "restrictions": sorted(([s(r.condition), s(r.when)] for r in d.restrictions),
                               key=lambda r: (r[0], r[1] or "")),
        "source": _source(),
        "sympy": sp.__version__,
    }
    pair = getattr(d, "pair", None)
    if pair is not None:
        data["pair"] = {k: s(v) for k, v in pair.items()}
    return data


def _source() -> str:
    """Short commit of the tree the package was imported from, '+dirty' if its
    ``melitz_sym`` differs from that commit."""
    import melitz_sym

    root = Path(melitz_sym.__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=7", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "melitz_sym"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def dump(data: dict) -> str:
    """Compact JSON: sorted keys, one line per entry of each mapping."""
    return json.dumps(data, sort_keys=True, indent=1, ensure_ascii=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SNAPSHOT, help="output directory")
    parser.add_argument("only", nargs="*", help="write only these (model or model-dist)")
    args = parser.parse_args(argv)
    if os.environ.get("PYTHONHASHSEED") != "0":  # see the module docstring
        env = dict(os.environ, PYTHONHASHSEED="0")
        argv = sys.argv[1:] if argv is None else argv
        os.execve(sys.executable, [sys.executable, str(Path(__file__).resolve()), *argv], env)
    os.environ["MELITZ_SYM_CACHE"] = "off"  # read when deriving; set here, not on import
    args.out.mkdir(parents=True, exist_ok=True)
    todo = [(n, d) for n, d in cases()
            if not args.only or file_name(n, d)[:-5] in args.only]
    start = time.perf_counter()
    for name, dist in todo:
        t = time.perf_counter()
        data = snapshot(name, dist)
        label = file_name(name, dist)[:-5]
        if data is None:
            print(f"{label:32s} refused (AdmissibilityError): skipped", flush=True)
            continue
        (args.out / file_name(name, dist)).write_text(dump(data))
        print(f"{label:32s} {time.perf_counter() - t:6.1f} s", flush=True)
    print(f"total {time.perf_counter() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
