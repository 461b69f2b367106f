"""One module per target language; each defines ``render(plan) -> {file name: text}``.

A target prints every expression with sympy's printer for its language
(temporaries from common-subexpression elimination first) and wraps it in the
language's function syntax; only the solver loop of the C and NumPy targets is
written out, as an algorithm, and it calls the printed residual and derivative.
"""

from __future__ import annotations


def comment(lines: list[str], lead: str) -> str:
    """``lines`` as a comment block, each line starting with ``lead``."""
    return "\n".join(f"{lead} {line}".rstrip() for line in lines)


def function_doc(plan, f) -> list[str]:
    """Comment lines of one generated function: what it computes and its arguments."""
    return [f"{f.name}: {f.doc}.", "Arguments, in order:"] + [
        f"  {a}" for a in plan.describe_args(f)]
