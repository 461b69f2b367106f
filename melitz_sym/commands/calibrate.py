"""``melitz-sym calibrate``: parameters that reproduce observed moments."""

from __future__ import annotations

import argparse
import json

from .common import add_model_arguments, add_parameter_arguments, parameters

HELP = "find parameters (e.g. tau and f_x) that match observed moments"
EXAMPLE = """melitz-sym calibrate melitz --dist pareto \\
    --target share_exporters=0.18 --target export_intensity=0.14 \\
    --set sigma=3.8 --set k=4.6 --set b=0.5 --set f=1 --set f_e=1 --set delta=0.1 \\
    --set n=1 --set L=100

  moments: share_exporters (M_x / M), export_intensity (exports / sales of exporters)
  by default export_intensity sets tau and share_exporters sets f_x; choose others
  with --free NAME (one per target).  Pareto is inverted symbolically (the
  formulas are printed), other distributions numerically.  Fewer --free than
  --target: a least-squares fit (the gaps and their sum of squares are printed)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser)
    add_parameter_arguments(parser)
    parser.add_argument("--target", action="append", default=[], metavar="MOMENT=VALUE",
                        help="an observed moment; repeat for each")
    parser.add_argument("--free", action="append", metavar="NAME",
                        help="a parameter to calibrate (one per target, in order)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    import sympy as sp

    from ..calibrate import calibrate
    from ..errors import ParseError
    from ..facade import model

    targets = {}
    for item in args.target:
        name, sep, value = item.partition("=")
        if not sep:
            raise ParseError(f"--target expects moment=value, got {item!r}")
        try:
            targets[name.strip()] = float(value)
        except ValueError:
            raise ParseError(f"--target {item!r}: {value!r} is not a number") from None
    m = model(args.model, args.dist)
    params = parameters(args)
    c = calibrate(m, targets, args.free, **params)
    if args.json:
        print(json.dumps({"model": m.name, "dist": m.dist.name if m.dist else None,
                          "params": params, "method": c.method, "objective": c.objective,
                          "results": {f: c.params[f] for f in c.free},
                          "formulas": {f: sp.sstr(e) for f, e in c.formulas.items()},
                          "fit": {t: {"target": tv, "model": mv} for t, (tv, mv)
                                  in c.fit.items()}}, indent=2))
        return 0
    how = (f"least-squares fit of {len(c.fit)} moments with {len(c.free)} parameter(s)"
           if c.method == "least-squares" else f"{c.method} inversion")
    print(f"calibrated ({how}):")
    for f in c.free:
        print(f"  {f:10s} {c.params[f]:.12g}")
        if f in c.formulas:
            print(f"  {'':10s} = {sp.sstr(c.formulas[f])}")
    print("fit (moments recomputed on the mpmath path):")
    for t, (target, value) in c.fit.items():
        print(f"  {t:18s} target {target:.12g}  model {value:.12g}  gap {value - target:.2e}")
    if c.method == "least-squares":
        print(f"  sum of squared gaps {c.objective:.6e}")
    return 0
