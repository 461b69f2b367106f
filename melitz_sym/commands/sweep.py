"""``melitz-sym sweep``: solve a model on a grid or on random / Latin-hypercube draws."""

from __future__ import annotations

import argparse
import json

from .common import (add_force_argument, add_model_arguments, add_parameter_arguments,
                     parameters, refuse_overwrite)

HELP = "solve a model on a grid or random draws of parameters; write CSV, NPZ or Parquet"
EXAMPLE = """melitz-sym sweep melitz --dist pareto --grid tau=1:3:200 \\
    --set sigma=3.8 --set k=4.6 --set b=0.5 --set f=1 --set f_x=1.5 --set f_e=0.05 \\
    --set delta=0.1 --set n=1 --set L=100 -o results.csv

  two grids span their product:   --grid tau=1:3:50 --grid n=0,1,5
  500 Latin-hypercube draws:      --lhs 500 --range tau=1:3 --range f_x=1.5:4
  on a dask cluster:              --backend dask --scheduler tcp://10.0.0.1:8786

An interrupted sweep (Ctrl-C, exit 130) keeps its finished chunks in OUTPUT.parts/;
rerun the same command to resume (a damaged chunk is computed again).
--errors nan: an inadmissible point (or one without an interior equilibrium) gets nan
outputs and the text column `reason` says why, instead of stopping the sweep."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser)
    add_parameter_arguments(parser)
    parser.add_argument("--grid", action="append", default=[], metavar="NAME=START:STOP:COUNT",
                        help="evenly spaced values (or NAME=V1,V2,...); repeat for a product")
    draws = parser.add_mutually_exclusive_group()
    draws.add_argument("--random", type=int, metavar="N", help="N uniform random draws "
                       "on the --range box")
    draws.add_argument("--lhs", type=int, metavar="N", help="N Latin-hypercube draws on the "
                       "--range box")
    parser.add_argument("--range", action="append", default=[], metavar="NAME=LOW:HIGH",
                        help="interval of a drawn parameter; repeat for each")
    parser.add_argument("--seed", type=int, default=0, help="seed of the draws (default 0)")
    parser.add_argument("--outputs", metavar="NAME,NAME",
                        help="outputs to compute (default: all; see `melitz-sym derive`)")
    parser.add_argument("-o", "--output", required=True, metavar="FILE",
                        help="results file: .csv, .npz or .parquet (needs pyarrow)")
    add_force_argument(parser)
    parser.add_argument("--chunk-size", type=int, default=16384, metavar="ROWS",
                        help="points per chunk (default 16384)")
    parser.add_argument("--precision", choices=("double", "adaptive", "extended"),
                        default="double", help="double (default, fastest); adaptive (long "
                        "double where double would miss about 2e-15); extended (long double)")
    parser.add_argument("--errors", choices=("raise", "nan"), default="raise",
                        help="raise (default): an inadmissible point stops the sweep before "
                        "it starts; nan: its outputs are nan and the column `reason` says why")
    parser.add_argument("--backend", choices=("local", "dask"), default="local",
                        help="where chunks are computed (default local)")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="dask scheduler address")
    bar = parser.add_mutually_exclusive_group()
    bar.add_argument("--progress", action="store_true", default=None,
                     help="always show the progress bar (default: when stderr is a terminal)")
    bar.add_argument("--no-progress", dest="progress", action="store_false")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    import numpy as np

    from .. import sweep
    from ..errors import ParseError
    from ..facade import model

    m = model(args.model, args.dist)
    count = args.random or args.lhs
    if args.grid and count:
        raise ParseError("use either --grid or --random/--lhs draws, not both")
    if args.grid:
        design = sweep.grid_design(sweep.parse_grid(g) for g in args.grid)
    elif count is not None:
        ranges = dict(sweep.parse_range(r) for r in args.range)
        design = sweep.draw_design(ranges, count, "lhs" if args.lhs else "random", args.seed)
    else:
        raise ParseError("nothing to sweep: give --grid NAME=START:STOP:COUNT, or --random N "
                         "or --lhs N with --range NAME=LOW:HIGH")
    params = parameters(args, swept=design)
    outputs = args.outputs.split(",") if args.outputs else None
    refuse_overwrite([Path(args.output)], args.force)  # after the input is known good
    try:
        result = sweep.run(m, design, params, outputs, args.output, args.chunk_size,
                           args.progress, args.backend, args.scheduler, args.precision,
                           args.errors)
    except KeyboardInterrupt:
        print(f"melitz-sym: finished chunks are kept in {sweep.workdir_for(Path(args.output))}/;"
              " rerun the same command to resume", file=sys.stderr)
        raise
    rows = len(next(iter(result.values())))
    failed = int(np.count_nonzero(result[sweep.REASON])) if sweep.REASON in result else 0
    if args.json:
        print(json.dumps({"model": m.name, "dist": m.dist.name if m.dist else None,
                          "params": params, "swept": list(design), "rows": rows,
                          "failed_rows": failed, "columns": list(result),
                          "output": args.output}, indent=2))
    else:
        without = f" ({failed} without results: see the column {sweep.REASON})" if failed else ""
        print(f"wrote {rows} rows x {len(result)} columns to {args.output}{without}")
    return 0
