"""Command-line interface ``melitz-sym``; subcommands live in :mod:`melitz_sym.commands`.

Exit statuses, the same for every subcommand:

* 0: done (also when the reader of the output goes away, e.g. ``| head -1``:
  the rest of the output is dropped quietly);
* 1: ``verify`` and ``claims`` only: some equation or claim does not hold;
* 2: bad input (an unknown name, an inadmissible or unreadable parameter, a
  malformed option) or a file that cannot be read or written: one line
  ``melitz-sym: error: ...`` on stderr, never a traceback;
* 130: interrupted (Ctrl-C): one line on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from typing import NoReturn

from . import __version__, interrupt
from .commands import COMMANDS
from .errors import MelitzError, ParseError

EPILOG = """run `melitz-sym COMMAND --help` for a worked example of each command

exit status: 0 done (also when the reader of the output stops early, e.g. `| head -1`);
1 verify/claims: something does not hold; 2 bad input or an unwritable file (one line
`melitz-sym: error: ...` on stderr); 130 interrupted (Ctrl-C)"""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are :class:`ParseError` (one line, exit 2).

    argparse would print the usage and exit; raising instead lets :func:`main`
    report a malformed option like every other bad input.
    """

    def error(self, message: str) -> NoReturn:
        raise ParseError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one subparser per module of ``COMMANDS``."""
    p = Parser(
        prog="melitz-sym", description="Derive, check and compute heterogeneous-firm trade "
        "models.", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG)
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        cmd = importlib.import_module(f".commands.{name}", __package__)
        sp = sub.add_parser(name, help=cmd.HELP, description=cmd.HELP,
                            epilog=f"example:\n  {cmd.EXAMPLE}",
                            formatter_class=argparse.RawDescriptionHelpFormatter)
        cmd.add_arguments(sp)
        sp.set_defaults(run=cmd.run)
    return p


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit does not fail again."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):  # not a real file (e.g. captured)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``melitz-sym`` console script; returns the exit status.

    A floating-point ``RuntimeWarning`` (numpy's overflow in an intermediate, say) is
    not shown: every result is checked for finiteness and admissibility before it is
    printed, and a failure is one error line (exit 2), never a warning beside it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            args = build_parser().parse_args(argv)
            with interrupt.recorded():
                status = args.run(args)
                interrupt.check()  # a Ctrl-C that a finalizer swallowed still stops
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return status
    except MelitzError as exc:  # one line, whatever a message quoted from a library
        print("melitz-sym: error: " + " ".join(str(exc).split()), file=sys.stderr)
        return 2
    except BrokenPipeError:
        _drop_stdout()
        return 0
    except OSError as exc:  # an output that cannot be written, a full disk
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"melitz-sym: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("melitz-sym: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
