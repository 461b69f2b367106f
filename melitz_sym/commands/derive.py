"""``melitz-sym derive``: derive a model and print every step."""

from __future__ import annotations

import argparse
import json

from .common import add_model_arguments

HELP = "derive a model from its primitives and print every step"
EXAMPLE = "melitz-sym derive melitz --dist pareto --format markdown"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser)
    parser.add_argument("--format", choices=["text", "markdown", "latex", "json"],
                        default="text", help="output format (default: text)")


def run(args: argparse.Namespace) -> int:
    from ..models import model

    print(render(model(args.model, args.dist).derive(), args.format))
    return 0


def render(d, fmt: str) -> str:
    """The derivation ``d`` as text, markdown, LaTeX equations or JSON."""
    import sympy as sp

    from ..symbols import symbol_names

    names = symbol_names()
    if fmt == "json":
        return json.dumps({"title": d.title, "steps": [
            {"name": s.name, "equation": sp.sstr(s.eq), "rule": s.rule, "inputs": list(s.inputs),
             "ref": s.ref} for s in d],
            "closed_forms": {k: sp.sstr(v) for k, v in d.closed_forms.items()}}, indent=2)
    lines = []
    if fmt == "markdown":
        lines.append(f"# {d.title}\n")
    elif fmt == "latex":
        lines.append(f"% {d.title}")
    else:
        lines.append(d.title)
        lines.append("=" * len(d.title))
    for s in d:
        uses = f" (uses: {', '.join(s.inputs)})" if s.inputs else ""
        ref = f" [{s.ref}]" if s.ref else ""
        if fmt == "markdown":
            lines.append(f"**{s.name}**: {s.rule}{uses}{ref}\n\n$$"
                         f"{sp.latex(s.eq, symbol_names=names)}$$\n")
        elif fmt == "latex":
            lines.append(f"% {s.name}: {s.rule}{uses}{ref}\n\\begin{{equation}}\\label{{eq:"
                         f"{s.name}}}\n{sp.latex(s.eq, symbol_names=names)}\n\\end{{equation}}")
        else:
            lines.append(f"[{s.name}] {s.rule}{uses}{ref}\n    {sp.sstr(s.eq)}")
    if fmt == "text" and d.closed_forms:
        lines.append("\nClosed forms")
        lines.extend(f"    {k} = {sp.sstr(v)}" for k, v in d.closed_forms.items())
    return "\n".join(lines)
