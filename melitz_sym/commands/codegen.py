"""``melitz-sym codegen``: code in another language from a model's derivation."""

from __future__ import annotations

import argparse

from .common import add_force_argument, add_model_arguments

HELP = "generate code (C, Fortran, Rust, JavaScript, Octave, R, NumPy) from a derivation"
EXAMPLE = "melitz-sym codegen melitz --dist lognormal --lang c -o melitz_c"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser)
    parser.add_argument("--lang", required=True,
                        help="c, fortran, rust, js, octave, r or numpy (Julia is not offered: "
                        "it cannot be tested here)")
    parser.add_argument("-o", "--output", required=True, metavar="DIR",
                        help="directory to write (new, empty, or holding only these files)")
    add_force_argument(parser)


def run(args: argparse.Namespace) -> int:
    from ..facade import model

    m = model(args.model, args.dist)
    for path in m.codegen(args.lang, args.output, force=args.force):
        print(path)
    return 0
