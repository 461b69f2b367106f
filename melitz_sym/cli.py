"""Command-line interface ``melitz-sym``; subcommands live in :mod:`melitz_sym.commands`.

Errors caused by input print one line to stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .commands import COMMANDS
from .errors import MelitzError


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one subparser per module of ``COMMANDS``."""
    p = argparse.ArgumentParser(
        prog="melitz-sym", description="Derive, check and compute heterogeneous-firm trade "
        "models.", formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="run `melitz-sym COMMAND --help` for a worked example of each command")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        cmd = importlib.import_module(f".commands.{name}", __package__)
        sp = sub.add_parser(name, help=cmd.HELP, description=cmd.HELP,
                            epilog=f"example:\n  {cmd.EXAMPLE}",
                            formatter_class=argparse.RawDescriptionHelpFormatter)
        cmd.add_arguments(sp)
        sp.set_defaults(run=cmd.run)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``melitz-sym`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except MelitzError as exc:
        print(f"melitz-sym: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
