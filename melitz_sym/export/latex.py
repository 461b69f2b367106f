r"""LaTeX in the registry's notation, and standalone LaTeX documents of derivations.

Equations are printed by sympy's :class:`~sympy.printing.latex.LatexPrinter`
with the symbol names of :mod:`melitz_sym.symbols` (``phi_star`` becomes
:math:`\varphi^*`).  Two printing rules keep the author-facing form and make
the output unambiguous to read back:

* an undefined function is written as an application,
  :math:`S\left(x\right)`, :math:`r_{d}\left(\varphi^*\right)`;
* a power of a function is parenthesised, :math:`\left(S(x)\right)^{a}`,
  instead of sympy's :math:`S^{a}(x)`, which reads as a function named
  :math:`S^{a}`.

:func:`document` writes a complete article: parameter table (meaning and
domain), admissibility conditions, the derivation step by step (rule, source
and the steps used, cross-referenced with ``\eqref``), and the closed forms or,
without a closed form, the cutoff equation and the outputs as functions of the
cutoff.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter

from ..symbols import REGISTRY, symbol_names

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
            "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
            "^": r"\textasciicircum{}"}


class NotationPrinter(LatexPrinter):
    """LaTeX printer using the registry's notation (see the module docstring)."""

    def __init__(self, settings: dict | None = None) -> None:
        settings = dict(settings or {})
        settings.setdefault("symbol_names", symbol_names())
        super().__init__(settings)

    def _print_Function(self, expr, exp=None):
        if not isinstance(expr, AppliedUndef):
            return super()._print_Function(expr, exp)
        name = self._deal_with_super_sub(expr.func.__name__)
        args = ", ".join(self._print(a) for a in expr.args)
        out = rf"{name}\left({args}\right)"
        return out if exp is None else rf"\left({out}\right)^{{{exp}}}"

    def _print_erf(self, expr, exp=None):
        out = rf"\operatorname{{erf}}\left({self._print(expr.args[0])}\right)"
        return out if exp is None else rf"\left({out}\right)^{{{exp}}}"

    def _print_Pow(self, expr):
        base = expr.base
        if isinstance(base, sp.Function) and not isinstance(base, sp.exp):
            return rf"\left({self._print(base)}\right)^{{{self._print(expr.exp)}}}"
        return super()._print_Pow(expr)


def latex(expr: sp.Basic) -> str:
    """LaTeX of an expression or equation in the registry's notation."""
    return NotationPrinter().doprint(expr)


def escape(text: str) -> str:
    """Text with LaTeX's special characters escaped (for rules and references)."""
    return "".join(_SPECIAL.get(c, c) for c in text)


def label(kind: str, name: str) -> str:
    """Label of an equation: ``eq:step:free_entry``, ``eq:closed:phi_star``, ..."""
    return f"eq:{kind}:{name}"


def equation(eq: sp.Basic, kind: str, name: str) -> str:
    r"""A labelled ``equation`` environment, scaled down to the line width if wider."""
    return (f"\\begin{{equation}}\\label{{{label(kind, name)}}}\n"
            f"\\fit{{{latex(eq)}}}\n\\end{{equation}}")


def output_equations(d) -> list[tuple[str, sp.Eq]]:
    """``(name, Eq(output, expression))`` for the results section of a document.

    The closed forms when the engine found them; otherwise the cutoff
    equation (``residual = 0``) and every output as a function of the cutoff.
    """
    if d.closed_forms:
        return [(k, sp.Eq(_output_symbol(k), v, evaluate=False))
                for k, v in d.closed_forms.items()]
    out = []
    if d.cutoff_residual is not None:
        out.append(("cutoff_residual", sp.Eq(d.cutoff_residual, 0, evaluate=False)))
    out += [(k, sp.Eq(_output_symbol(k), v, evaluate=False)) for k, v in d.outputs.items()
            if _output_symbol(k) != v]
    return out


def _output_symbol(name: str) -> sp.Symbol:
    """The registry symbol of an output (for printing its registered LaTeX)."""
    return REGISTRY[name].symbol if name in REGISTRY else sp.Symbol(name)


def parameter_rows(d) -> list[tuple[str, str, str, str]]:
    """``(name, LaTeX, meaning, domain)`` of each parameter of ``d``."""
    rows = []
    for p in d.parameters:
        if p.name in REGISTRY:
            q = REGISTRY[p.name]
            rows.append((p.name, q.latex, q.meaning, q.domain))
        else:  # a parameter of a Custom density
            rows.append((p.name, sp.latex(p), "parameter of the declared density",
                         f"{p.name} > 0" if p.is_positive else "real"))
    return rows


def restriction_rows(d) -> list[tuple[str, str]]:
    """``(words, LaTeX condition)`` of each admissibility restriction of ``d``."""
    rows = []
    for r in d.restrictions:
        cond = latex(r.condition)
        if r.when is not None:
            cond += rf" \quad \text{{when }} {latex(r.when)}"
        rows.append((r.words, cond))
    return rows


_PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage{amsmath,amssymb}
\usepackage{booktabs,longtable}
\usepackage{graphicx}
\usepackage[margin=2.2cm]{geometry}
\usepackage[colorlinks=true,linkcolor=blue]{hyperref}
\allowdisplaybreaks
\newcommand{\fit}[1]{\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%
$\displaystyle #1$}}
"""


def document(d, version: str | None = None) -> str:
    """A standalone LaTeX article of the derivation ``d`` (compiles with pdflatex)."""
    if version is None:
        from .. import __version__ as version
    lines = [_PREAMBLE, f"\\title{{{escape(d.title)}}}",
             f"\\author{{Generated by melitz-sym {escape(version)}}}", r"\date{}",
             r"\begin{document}", r"\maketitle", "", r"\section{Parameters}",
             r"\begin{longtable}{llp{0.45\linewidth}l}", r"\toprule",
             r"Symbol & Name & Meaning & Domain \\", r"\midrule"]
    for name, tex, meaning, domain in parameter_rows(d):
        lines.append(f"${tex}$ & \\texttt{{{escape(name)}}} & {escape(meaning)} & "
                     f"\\texttt{{{escape(domain)}}} \\\\")
    lines += [r"\bottomrule", r"\end{longtable}", "", r"\section{Admissibility conditions}",
              "The parameters must satisfy every condition below; solvers reject any "
              "other point.", r"\begin{enumerate}"]
    for words, cond in restriction_rows(d):
        lines.append(f"\\item {escape(words)}: $\\displaystyle {cond}$")
    lines += [r"\end{enumerate}", "", r"\section{Derivation}",
              "Each step states the rule that produced it, the steps it uses and its "
              "source in the literature.", ""]
    for s in d:
        lines.append(f"\\subsection*{{{escape(s.name)}}}")
        info = [f"\\textbf{{Rule.}} {escape(s.rule)}."]
        if s.inputs:
            uses = ", ".join(f"\\texttt{{{escape(i)}}}~\\eqref{{{label('step', i)}}}"
                             for i in s.inputs)
            info.append(f"\\textbf{{Uses}} {uses}.")
        if s.ref:
            info.append(f"\\textbf{{Source:}} {escape(s.ref)}.")
        lines += [" ".join(info), equation(s.eq, "step", s.name), ""]
    if d.closed_forms:
        lines += [r"\section{Closed forms}",
                  "Every output in the parameters alone, as solved by the derivation.", ""]
    else:
        lines += [r"\section{Equilibrium}",
                  f"No closed form: the cutoff ${latex(d.cutoff)}$ is the root of the "
                  "cutoff equation below, and the outputs are functions of it.", ""]
    for name, eq in output_equations(d):
        meaning = REGISTRY[name].meaning if name in REGISTRY else "the cutoff equation"
        lines += [f"\\noindent\\texttt{{{escape(name)}}}: {escape(meaning)}",
                  equation(eq, "output", name), ""]
    lines.append(r"\end{document}")
    return "\n".join(lines) + "\n"


def equations(d) -> list[tuple[str, str, sp.Basic]]:
    """Every equation a document of ``d`` shows: ``(label, LaTeX, sympy equation)``.

    The round-trip tests parse the LaTeX back and compare it with the equation.
    """
    out = [(label("step", s.name), latex(s.eq), s.eq) for s in d]
    out += [(label("output", name), latex(eq), eq) for name, eq in output_equations(d)]
    return out


def repr_step(step) -> str:
    """Jupyter display of a step: ``$$ equation $$``."""
    return f"$$\\displaystyle {latex(step.eq)}$$"


def repr_derivation(d) -> str:
    """Jupyter display of a derivation: every step, named, in one aligned block."""
    rows = [rf"\text{{{s.name.replace('_', ' ')}}}: && {latex(s.eq)}" for s in d]
    return "$$\\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}$$"


def build_pdf(text: str) -> bytes:
    """Compile a LaTeX document with pdflatex (twice, for references); return the PDF.

    Raises
    ------
    MelitzError
        If pdflatex is not installed or reports an error (the message quotes it).
    """
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    from ..errors import MelitzError

    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        raise MelitzError("--pdf needs pdflatex (Debian: apt-get install texlive-latex-base "
                          "texlive-latex-recommended)")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "doc.tex").write_text(text)
        for _ in range(2):
            run = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error",
                                  "doc.tex"], cwd=tmp, capture_output=True, text=True)
            if run.returncode != 0:
                errors = [ln for ln in run.stdout.splitlines() if ln.startswith("!")]
                raise MelitzError(f"pdflatex failed: {'; '.join(errors) or 'see its log'}")
        return (Path(tmp) / "doc.pdf").read_bytes()
