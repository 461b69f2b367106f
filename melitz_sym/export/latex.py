r"""Standalone LaTeX documents of derivations, in the registry's notation
(:mod:`melitz_sym.notation`).

:func:`document` writes a complete article: parameter table (meaning and
domain), admissibility conditions, the derivation step by step (rule, source
and the steps used, cross-referenced with ``\eqref``), and the closed forms or,
without a closed form, the cutoff equation and the outputs as functions of the
cutoff.
"""

from __future__ import annotations

import hashlib

import sympy as sp

from ..cache import cached
from ..notation import latex
from ..simplify import paper_form
from ..symbols import REGISTRY

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
            "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
            "^": r"\textasciicircum{}"}


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

    The closed forms when the engine found them, in the shortest form of
    :func:`~melitz_sym.simplify.paper_form` (sums normalised by one term, collected,
    powers of ratios); otherwise the cutoff equation (``residual = 0``) and every
    output as a function of the cutoff.
    """
    if d.closed_forms:
        return [(k, sp.Eq(_output_symbol(k), v, evaluate=False))
                for k, v in printed_closed_forms(d).items()]
    out = []
    if d.cutoff_residual is not None:
        out.append(("cutoff_residual", sp.Eq(d.cutoff_residual, 0, evaluate=False)))
    out += [(k, sp.Eq(_output_symbol(k), v, evaluate=False)) for k, v in d.outputs.items()
            if _output_symbol(k) != v]
    return out


def printed_closed_forms(d) -> dict[str, sp.Expr]:
    """The closed forms of ``d`` as documents print them: for each output the shorter
    (by ``count_ops``) of its :func:`~melitz_sym.simplify.paper_form` and, the way
    papers write an output in terms of the cutoff, the output's expression in the
    cutoff with the cutoff's printed closed form inserted (``c_bar = k/(k + 1) c_D``).
    A matrix of N-country closed forms is printed as derived.

    The search for the shortest forms takes a while in a large model (hmy Pareto:
    30 s), so its result is kept in the derivation cache (:mod:`melitz_sym.cache`)
    under a digest of everything it reads: the closed forms, the outputs and the
    cutoff."""
    what = sp.srepr((d.cutoff, sorted(d.closed_forms.items()), sorted(d.outputs.items()),
                     tuple(d.parameters)))
    key = "printed-" + hashlib.sha256(what.encode()).hexdigest()[:20]
    return cached(key, lambda: _printed_closed_forms(d), dict)


def _printed_closed_forms(d) -> dict[str, sp.Expr]:
    cut, memo = d.cutoff, {}
    cut_form = (paper_form(d.closed_forms[cut.name], memo)
                if cut is not None and cut.name in d.closed_forms else None)
    out = {}
    for name, closed in d.closed_forms.items():
        if not isinstance(closed, sp.Expr):
            out[name] = closed
        elif cut_form is not None and name == cut.name:
            out[name] = cut_form
        else:
            forms = [paper_form(closed, memo)]
            if cut_form is not None and name in d.outputs:
                inserted = d.outputs[name].xreplace({cut: cut_form})
                if inserted.free_symbols <= set(d.parameters):
                    forms.append(inserted)
            out[name] = min(forms, key=sp.count_ops)
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
