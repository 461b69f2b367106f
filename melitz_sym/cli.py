"""Command-line interface: ``melitz-sym models|derive|solve``.

Errors caused by input print one line to stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys

import sympy as sp

from .errors import MelitzError
from .models import describe, model, models
from .symbols import symbol_names

EXAMPLES = """examples:
  melitz-sym models
  melitz-sym derive melitz --dist pareto --format markdown
  melitz-sym solve melitz --dist pareto --set sigma=3.8 --set k=4.6 --set b=1 \\
      --set f=1 --set f_x=1.5 --set f_e=1 --set delta=0.1 --set tau=1.5 --set n=1 --set L=100
"""


def _derivation_text(d, fmt: str) -> str:
    names = symbol_names()
    if fmt == "json":
        return json.dumps({"title": d.title, "steps": [
            {"name": s.name, "equation": sp.sstr(s.eq), "rule": s.rule, "inputs": list(s.inputs),
             "ref": s.ref} for s in d],
            "closed_forms": {k: sp.sstr(v) for k, v in d.closed_forms.items()}}, indent=2)
    lines = []
    if fmt == "markdown":
        lines.append(f"# {d.title}\n")
    elif fmt == "latex":
        lines.append(f"% {d.title}")
    else:
        lines.append(d.title)
        lines.append("=" * len(d.title))
    for s in d:
        uses = f" (uses: {', '.join(s.inputs)})" if s.inputs else ""
        ref = f" [{s.ref}]" if s.ref else ""
        if fmt == "markdown":
            lines.append(f"**{s.name}**: {s.rule}{uses}{ref}\n\n$$"
                         f"{sp.latex(s.eq, symbol_names=names)}$$\n")
        elif fmt == "latex":
            lines.append(f"% {s.name}: {s.rule}{uses}{ref}\n\\begin{{equation}}\\label{{eq:"
                         f"{s.name}}}\n{sp.latex(s.eq, symbol_names=names)}\n\\end{{equation}}")
        else:
            lines.append(f"[{s.name}] {s.rule}{uses}{ref}\n    {sp.sstr(s.eq)}")
    if fmt == "text" and d.closed_forms:
        lines.append("\nClosed forms")
        lines.extend(f"    {k} = {sp.sstr(v)}" for k, v in d.closed_forms.items())
    return "\n".join(lines)


def _parse_sets(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        if "=" not in item:
            raise MelitzError(f"--set expects name=value, got {item!r}")
        key, value = item.split("=", 1)
        out[key.strip()] = value.strip()
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="melitz-sym", description="Derive, check and compute "
                                "heterogeneous-firm trade models.", epilog=EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("models", help="list the built-in models")
    d = sub.add_parser("derive", help="derive a model and print every step",
                       epilog="example: melitz-sym derive melitz --dist pareto --format markdown")
    d.add_argument("model")
    d.add_argument("--dist", default="pareto")
    d.add_argument("--format", choices=["text", "markdown", "latex", "json"], default="text")
    s = sub.add_parser("solve", help="solve a model at given parameters (mpmath, exact input)",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("model")
    s.add_argument("--dist", default="pareto")
    s.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    s.add_argument("--json", action="store_true")
    s.add_argument("--dps", type=int, default=50)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``melitz-sym`` console script."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "models":
            for name in models():
                print(f"{name:15s} {describe(name)}")
            return 0
        m = model(args.model, args.dist)
        if args.command == "derive":
            print(_derivation_text(m.derive(), args.format))
            return 0
        params = _parse_sets(args.set)
        result = m.evaluate(dps=args.dps, **params)
        if args.json:
            print(json.dumps({"model": m.name, "dist": m.dist.name if m.dist else None,
                              "params": params,
                              "results": {k: float(v) for k, v in result.items()}}, indent=2))
        else:
            for k, v in result.items():
                print(f"{k:12s} {sp.Float(v, 17)}")
        return 0
    except MelitzError as exc:
        print(f"melitz-sym: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
