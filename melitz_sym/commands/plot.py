"""``melitz-sym plot``: figures of comparative statics and of the productivity density."""

from __future__ import annotations

import argparse
import json

from .common import add_force_argument, add_parameter_arguments, parameters, refuse_overwrite

HELP = ("draw a figure (PNG or PDF): tau, gains, density or pro-competitive (needs the plot "
        "extra)")
EXAMPLE = """melitz-sym plot tau --model melitz --dist pareto --set sigma=3.8 --tau 1:3 -o tau.png

  tau      cutoffs phi*, phi_x*, aggregate productivity and welfare against tau
  gains    gains from trade W/W_A against lam, one curve per --dists entry
           (default pareto,truncated-pareto,lognormal), tau over --tau
  density  the productivity density with phi* and phi_x* marked
  pro-competitive  average markup and productivity against L and tau: krugman, cournot,
           melitz, melitz-ottaviano (each an index, 1 at the first point)

  parameters not set take example values: sigma=3.8 k=4.6 b=1 b_H=8 mu=0 s=0.5
  f=1 f_x=1.5 f_e=1 delta=0.1 tau=1.5 n=1 L=100"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=("tau", "gains", "density", "pro-competitive"),
                        help="which figure")
    parser.add_argument("--model", default="melitz", help="model name (default melitz)")
    parser.add_argument("--dist", default="pareto",
                        help="productivity distribution (default pareto; tau and density)")
    parser.add_argument("--dists", default="pareto,truncated-pareto,lognormal",
                        help="distributions of the gains figure, comma-separated")
    parser.add_argument("--tau", default="1:3", metavar="LOW:HIGH",
                        help="range of tau for the tau and gains figures (default 1:3)")
    add_parameter_arguments(parser)
    parser.add_argument("-o", "--output", required=True, metavar="FILE",
                        help="figure file, .png or .pdf")
    add_force_argument(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON summary")


def run(args: argparse.Namespace) -> int:
    from .. import plot
    from ..errors import ParseError
    from ..facade import model
    from ..sweep import parse_range

    from pathlib import Path

    params = parameters(args)
    _, tau = parse_range(f"tau={args.tau}")
    if tau[0] == tau[1]:
        raise ParseError(f"--tau {args.tau}: LOW and HIGH must differ")
    refuse_overwrite([Path(args.output)], args.force)  # after the input is known good
    if args.kind == "gains":
        fig = plot.gains_against_lam(params, args.dists.split(","), args.model, tau)
    elif args.kind == "pro-competitive":
        fig = plot.pro_competitive(params, tau=tau)
    elif args.kind == "tau":
        fig = plot.against_tau(model(args.model, args.dist), params, tau)
    else:
        fig = plot.density(model(args.model, args.dist), params)
    path = plot.save(fig, args.output)
    if args.json:
        print(json.dumps({"model": args.model, "dist": args.dist, "params": params,
                          "figure": args.kind, "output": str(path)}, indent=2))
    else:
        print(f"wrote {path}")
    return 0
