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
    from ..facade import model

    print(render(model(args.model, args.dist).derive(), args.format))
    return 0


def render(d, fmt: str) -> str:
    """The derivation ``d`` as text, a Markdown or LaTeX document, or JSON."""
    import sympy as sp

    if fmt == "markdown":
        from ..export.markdown import document

        return document(d)
    if fmt == "latex":
        from ..export.latex import document

        return document(d)
    if fmt == "json":
        return json.dumps({"title": d.title, "steps": [
            {"name": s.name, "equation": sp.sstr(s.eq), "rule": s.rule, "inputs": list(s.inputs),
             "ref": s.ref} for s in d],
            "closed_forms": {k: sp.sstr(v) for k, v in d.closed_forms.items()}}, indent=2)
    lines = [d.title, "=" * len(d.title)]
    for s in d:
        uses = f" (uses: {', '.join(s.inputs)})" if s.inputs else ""
        ref = f" [{s.ref}]" if s.ref else ""
        lines.append(f"[{s.name}] {s.rule}{uses}{ref}\n    {sp.sstr(s.eq)}")
    if d.closed_forms:
        lines.append("\nClosed forms")
        lines.extend(f"    {k} = {sp.sstr(v)}" for k, v in d.closed_forms.items())
    return "\n".join(lines)
