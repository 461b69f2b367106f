"""``melitz-sym latex``: a standalone LaTeX document of a derivation (and its PDF)."""

from __future__ import annotations

import argparse

from .common import add_force_argument, add_model_arguments, refuse_overwrite

HELP = "write a standalone LaTeX document of a derivation (optionally build the PDF)"
EXAMPLE = "melitz-sym latex melitz --dist pareto -o melitz.tex --pdf"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser)
    parser.add_argument("-o", "--output", required=True, metavar="FILE.tex",
                        help="the .tex file to write")
    parser.add_argument("--pdf", action="store_true",
                        help="also build FILE.pdf with pdflatex (run twice for references)")
    add_force_argument(parser)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..errors import MelitzError
    from ..facade import model

    out = Path(args.output)
    if out.suffix != ".tex":
        raise MelitzError(f"-o must name a .tex file, got {out}")
    targets = [out] + ([out.with_suffix(".pdf")] if args.pdf else [])
    refuse_overwrite(targets, args.force)
    if not out.parent.is_dir():
        raise MelitzError(f"directory {out.parent} does not exist")
    m = model(args.model, args.dist)
    text = m.latex()
    if args.pdf:
        from ..export.latex import build_pdf

        out.with_suffix(".pdf").write_bytes(build_pdf(text))
    out.write_text(text)
    print(" ".join(str(p) for p in targets))
    return 0
