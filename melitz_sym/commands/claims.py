"""``melitz-sym claims``: check a model's registered claims (or given ones)."""

from __future__ import annotations

import argparse
import json

from .common import add_model_arguments, json_value

HELP = ("check the literature's qualitative claims about a model (comparative statics); "
        "exit 0 all hold, 1 some do not")
EXAMPLE = """melitz-sym claims melitz --dist pareto
  melitz-sym claims melitz --only opening_raises_cutoff --only acr
  melitz-sym claims cournot --claim "d markup/d L < 0\""""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser)
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="check only the registered claim NAME (repeatable)")
    parser.add_argument("--claim", action="append", default=[], metavar="TEXT",
                        help="check a claim of your own, e.g. 'd phi_star/d tau < 0' "
                        "(repeatable; replaces the registered claims)")
    parser.add_argument("--list", action="store_true",
                        help="list the registered claims without checking them")
    parser.add_argument("--json", action="store_true",
                        help="print the claims or verdicts as JSON (numbers as exact text)")


def run(args: argparse.Namespace) -> int:
    from ..claims import check_claims, claim, claims
    from ..facade import model

    m = model(args.model, args.dist)
    if args.list:
        if args.json:
            print(json.dumps(json_value(claims(m)), indent=2))
            return 0
        for c in claims(m):
            print(f"{c.name:28s} {c.text}\n{'':28s} {c.description} [{c.source}]")
        return 0
    if args.claim:
        results = [claim(m, text) for text in args.claim]
    else:
        results = check_claims(m, args.only)
        if not results and not args.json:
            print(f"no registered claims for {m.name}")
    if args.json:
        print(json.dumps({"model": m.name, "dist": m.dist.name if m.dist else None,
                          "results": json_value(results)}, indent=2))
    else:
        print("\n".join(str(r) for r in results))
    return 0 if all(r.holds for r in results) else 1
