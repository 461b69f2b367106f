"""``melitz-sym solve``: the equilibrium at given parameters, in mpmath."""

from __future__ import annotations

import argparse
import json

from .common import add_model_arguments, add_parameter_arguments, parameters

HELP = "solve a model at given parameters (mpmath, exact decimal input)"
EXAMPLE = """melitz-sym solve melitz --dist pareto --set sigma=3.8 --set k=4.6 --set b=1 \\
    --set f=1 --set f_x=1.5 --set f_e=1 --set delta=0.1 --set tau=1.5 --set n=1 --set L=100"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser)
    add_parameter_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--dps", type=int, default=50, help="decimal digits (default 50)")


def run(args: argparse.Namespace) -> int:
    import sympy as sp

    from ..facade import model

    m = model(args.model, args.dist)
    params = parameters(args)
    result = m.evaluate(dps=args.dps, **params)
    if args.json:
        print(json.dumps({"model": m.name, "dist": m.dist.name if m.dist else None,
                          "params": params,
                          "results": {k: float(v) for k, v in result.items()}}, indent=2))
    else:
        for k, v in result.items():
            print(f"{k:12s} {sp.Float(v, 17)}")
    return 0
