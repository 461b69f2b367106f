"""One module per target language; each defines ``render(plan) -> {file name: text}``.

A target prints every expression with sympy's printer for its language
(temporaries from common-subexpression elimination first) and wraps it in the
language's function syntax; a closed form as the numeric layer evaluates it
(:func:`melitz_sym.export.codegen.evaluation`: the power form, and the stable
form where a guarded value is not a normal double; every target), with the
language's own ``log1p``/``expm1`` or the file's where it has none (Fortran)
and a private ``logaddexp`` (NumPy: numpy's).  Only the solver loops of the C, NumPy
and R targets are written out, as algorithms (the package's own newton_log),
and they call the printed residual in the forms of solve's Newton iteration
(:func:`melitz_sym.export.codegen.newton_functions`).  A Newton model's
residual and outputs are printed as solve evaluates them too (targets with
``NEWTON_FORMS``: all but NumPy, whose outputs are the derivation's).
"""

from __future__ import annotations


def comment(lines: list[str], lead: str) -> str:
    """``lines`` as a comment block, each line starting with ``lead``."""
    return "\n".join(f"{lead} {line}".rstrip() for line in lines)


def function_doc(plan, f) -> list[str]:
    """Comment lines of one generated function: what it computes and its arguments."""
    return [f"{f.name}: {f.doc}.", "Arguments, in order:"] + [
        f"  {a}" for a in plan.describe_args(f)]
