"""``melitz-sym models``: list the built-in models."""

from __future__ import annotations

import argparse
import json

HELP = "list the built-in models"
EXAMPLE = "melitz-sym models\n  melitz-sym models --json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="print {name: description} as JSON")


def run(args: argparse.Namespace) -> int:
    from ..models import describe, models

    if args.json:
        print(json.dumps({name: describe(name) for name in models()}, indent=2))
        return 0
    for name in models():
        print(f"{name:15s} {describe(name)}")
    return 0
