"""``melitz-sym models``: list the built-in models."""

from __future__ import annotations

import argparse

HELP = "list the built-in models"
EXAMPLE = "melitz-sym models"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No arguments."""


def run(args: argparse.Namespace) -> int:
    from ..models import describe, models

    for name in models():
        print(f"{name:15s} {describe(name)}")
    return 0
