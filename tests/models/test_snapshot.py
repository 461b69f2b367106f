"""Every built-in model still derives what the stored snapshot holds.

The snapshot (``snapshot/<model>[-<dist>].json``, written by make_snapshot.py from
commit c9e53ea, before the declarative refactor of ``melitz_sym/models``) holds each
derivation's title, parameters, step names, outputs, closed forms, cutoff residual,
restrictions and (N-country models) per-pair terms.  One test per file:

- ``title``, ``parameters`` (in order: a documented contract) and ``cutoff`` must be equal;
- every stored step name must still exist (new steps may be added);
- the restrictions must be the same set of (condition, when), by srepr (order is free);
- every stored output, closed form and pair term must exist under the same name
  (new ones may be added) and be equal: ``identical`` (same srepr, Dummy indices
  numbered canonically), else ``symbolic`` (``is_zero_symbolic(new - old)``), else
  ``numeric`` (``is_zero_numeric`` at 8 random admissible points from the derivation's
  sampler, 30 digits, after ``d.concretize``, as ``Step.check`` does; the difference,
  or failing that ``new/old - 1``); otherwise ``FAILED``;
- ``cutoff_residual`` likewise (equal or proven equal; a multiple is not accepted).

Every entry is checked before the test fails, and the failure lists each entry that
differs with the reason and, where it can, both values at one admissible point.

An entry amended after c9e53ea carries the reason in the file's ``amended`` (the
truncated Pareto's ``pair[log_V]``: c9e53ea's form is nan in double).

Known issues (``snapshot_known_issues.json``): an entry that the tree at c9e53ea derives in
a wrong form some of the time (melitz-asym-truncated-pareto ``pair[fe_phi]``: see the file)
is stored in its correct form; a derivation that gives the recorded wrong form instead
(identical or proven equal to it) makes the test xfail with the explanation, any other
difference fails as usual.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import mpmath
import pytest
import sympy as sp
from sympy.core.function import AppliedUndef

import melitz_sym as ms
from melitz_sym.derivation import is_zero_numeric, is_zero_symbolic

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_snapshot import canonical_srepr  # noqa: E402

SNAPSHOT = Path(__file__).resolve().parent / "snapshot"
FILES = sorted(SNAPSHOT.glob("*.json"))
KNOWN = json.loads((SNAPSHOT.parent / "snapshot_known_issues.json").read_text())


def test_snapshot_present():
    assert len(FILES) == 27, f"expected the stored snapshot in {SNAPSHOT}, found {len(FILES)}"


class _Names(Mapping):
    """Namespace for ``eval`` of an srepr: sympy's names, then any sympy or melitz_sym
    module's (e.g. ``ExprCondPair``)."""

    def __init__(self) -> None:
        self._names = dict(vars(sp))

    def __getitem__(self, key: str):
        if key in self._names:
            return self._names[key]
        for mod in list(sys.modules.values()):
            name = getattr(mod, "__name__", "") or ""
            if name.startswith(("sympy", "melitz_sym")) and hasattr(mod, key):
                self._names[key] = getattr(mod, key)
                return self._names[key]
        raise KeyError(key)

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


_NAMES = _Names()


def parse(text: str) -> sp.Expr:
    """The expression an srepr describes."""
    return eval(text, {"__builtins__": {}}, _NAMES)  # our own stored srepr


def _functions(d, new: sp.Basic) -> dict[str, sp.FunctionClass]:
    """Undefined functions (S, V, ...) by name: srepr drops their assumptions, so a
    parsed ``Function('S')`` is replaced by the derivation's own class of that name
    (the one ``d.concretize`` replaces)."""
    out = {f.func.__name__: f.func for f in new.atoms(AppliedUndef)}
    for func, _ in getattr(d.concretize, "replacements", ()):
        out.setdefault(func.__name__, func)
    return out


def _rename(expr: sp.Basic, funcs: Mapping[str, sp.FunctionClass]) -> sp.Basic:
    for applied in expr.atoms(AppliedUndef):
        target = funcs.get(applied.func.__name__)
        if target is not None and target != applied.func:
            expr = expr.replace(applied.func, target)
    return expr


def _short(expr: sp.Basic, width: int = 160) -> str:
    text = str(expr)
    return text if len(text) <= width else text[:width] + " ..."


def _at_a_point(d, new: sp.Expr, old: sp.Expr) -> str:
    """Both expressions at one admissible point (30 digits), for the failure message."""
    if d.sampler is None:
        return ""
    try:
        values = d.sampler()
        out = []
        with mpmath.workdps(30):
            for label, expr in (("new", new), ("old", old)):
                syms = sorted(expr.free_symbols, key=lambda s: s.name)
                missing = [s.name for s in syms if s not in values]
                if missing:
                    out.append(f"{label}: not sampled {missing}")
                    continue
                fn = sp.lambdify(syms, expr, modules="mpmath")
                val = fn(*[mpmath.mpf(values[s].p) / values[s].q for s in syms])
                out.append(f"{label} = {mpmath.nstr(val, 15)}")
        point = ", ".join(f"{s.name}={float(v):.6g}" for s, v in values.items())
        return f"; at {point}: " + ", ".join(out)
    except Exception as exc:  # only decorates the message
        return f"; (could not evaluate at a point: {type(exc).__name__}: {exc})"


def compare(d, new: sp.Basic | None, stored: str | None) -> tuple[str, str]:
    """(verdict, detail): verdict is identical / symbolic / numeric / FAILED."""
    if stored is None or new is None:
        if stored is None and new is None:
            return "identical", ""
        return "FAILED", f"stored {'None' if stored is None else 'an expression'}, " \
                         f"now {'None' if new is None else _short(new)}"
    if canonical_srepr(new) == stored:
        return "identical", ""
    funcs = _functions(d, new)
    try:
        old = _rename(parse(stored), funcs)
        # parse the new one from its canonical srepr too, so that bound Dummies agree
        new_c = _rename(parse(canonical_srepr(new)), funcs)
    except Exception as exc:
        return "FAILED", f"could not parse the stored srepr: {type(exc).__name__}: {exc}"
    if is_zero_symbolic(new_c - old):
        return "symbolic", ""
    if d.sampler is not None:
        a, b = d.concretize(new_c), d.concretize(old)
        if is_zero_numeric(a - b, d.sampler):
            return "numeric", ""
        if is_zero_numeric(a / b - 1, d.sampler):
            return "numeric", "(relative: new/old - 1)"
        a_b = _at_a_point(d, a, b)
    else:
        a_b = " (no sampler: no numeric check)"
    return "FAILED", (f"srepr differs and not proven equal (symbolic, then numeric at 8 "
                      f"points, 30 digits){a_b}\n      new: {_short(new_c)}\n"
                      f"      old: {_short(old)}")


def _derive(stored: dict):
    dist = stored["dist"]
    return ms.model(stored["model"], dist=dist).derive() if dist else \
        ms.model(stored["model"]).derive()


@pytest.mark.slow
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_snapshot(path: Path):
    stored = json.loads(path.read_text())
    known = KNOWN.get(path.stem, {})
    d = _derive(stored)
    problems: list[str] = []
    known_problems: list[str] = []
    verdicts: dict[str, str] = {}

    if d.title != stored["title"]:
        problems.append(f"title: {d.title!r} != stored {stored['title']!r}")
    params = [p.name for p in d.parameters]
    if params != stored["parameters"]:
        problems.append(f"parameters (order is a contract): {params} != stored "
                        f"{stored['parameters']}")
    lost = [s for s in stored["steps"] if s not in d.steps]
    if lost:
        problems.append(f"steps no longer present: {lost}")
    if canonical_srepr(d.cutoff) != stored["cutoff"]:
        problems.append(f"cutoff: {canonical_srepr(d.cutoff)} != stored {stored['cutoff']}")

    now = {(canonical_srepr(r.condition), canonical_srepr(r.when)) for r in d.restrictions}
    before = {tuple(r) for r in stored["restrictions"]}
    if now != before:
        problems.append("restrictions differ (as a set of (condition, when) srepr):"
                        + "".join(f"\n      lost: {c} when {w}" for c, w in sorted(
                            before - now, key=str))
                        + "".join(f"\n      new:  {c} when {w}" for c, w in sorted(
                            now - before, key=str)))

    groups = [("outputs", d.outputs), ("closed_forms", d.closed_forms)]
    if "pair" in stored:
        groups.append(("pair", getattr(d, "pair", None) or {}))
    for group, current in groups:
        for name, text in stored[group].items():
            key = f"{group}[{name}]"
            if name not in current:
                verdicts[key] = "FAILED"
                problems.append(f"{key}: missing (now: {', '.join(current) or 'none'})")
                continue
            verdict, detail = compare(d, current[name], text)
            verdicts[key] = verdict
            if verdict == "FAILED" and key in known:
                as_wrong, _ = compare(d, current[name], known[key]["wrong"])
                if as_wrong != "FAILED":
                    verdicts[key] = "known-wrong"
                    known_problems.append(f"{key}: the known wrong form ({as_wrong}): "
                                          f"{known[key]['why']}")
                    continue
                detail += "\n      (and not the known wrong form either)"
            if verdict == "FAILED":
                problems.append(f"{key}: FAILED, {detail}")
            elif detail:
                verdicts[key] = f"{verdict} {detail}"
    verdict, detail = compare(d, d.cutoff_residual, stored["cutoff_residual"])
    verdicts["cutoff_residual"] = verdict
    if verdict == "FAILED":
        problems.append(f"cutoff_residual: FAILED, {detail}")

    counts = Counter(v.split()[0] for v in verdicts.values())
    summary = f"{path.stem}: " + ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))
    print(summary)
    for key, v in verdicts.items():
        if not v.startswith("identical"):
            print(f"  {key}: {v}")
    if problems:
        pytest.fail(f"{path.stem} differs from the snapshot ({path.name}; "
                    f"{summary.split(': ', 1)[1]}):\n  " + "\n  ".join(problems + known_problems),
                    pytrace=False)
    if known_problems:
        pytest.xfail("known issue, see snapshot_known_issues.json: " + "; ".join(known_problems))
