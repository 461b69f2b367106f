"""Length of each derived closed form against the literature's form (issue 18, item 7).

For every formula of /work/shared/reference/literature.md that has a closed form in
the package, the operation count (``sympy.count_ops``) of the closed form the
documents print (:func:`melitz_sym.export.latex.output_equations`: the derived
closed form in :func:`melitz_sym.simplify.paper_form`) is divided by that of the form the
literature writes.  The target is a ratio of at most 1.2.  The literature forms are
typed in independently: Melitz (2003) / Melitz-Redding (2015) under Pareto
(section 2.1) come from tests/models/test_melitz_pareto_literature.py; the others
are typed below with their section.  Nothing here is timed.
Run: python benchmarks/closed_form_lengths.py [--markdown docs/closed-form-lengths.md]
(the page under docs/ is this script's output, written with --markdown).
"""

import sys
from pathlib import Path

import sympy as sp

import melitz_sym as ms
from melitz_sym.export.latex import output_equations
from melitz_sym.symbols import sym

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "models"))
from test_melitz_pareto_literature import LITERATURE  # noqa: E402

TARGET = 1.2
sigma, k, b, f, f_e, delta, L, tau, n = (
    sym(s) for s in ["sigma", "k", "b", "f", "f_e", "delta", "L", "tau", "n"])
alpha, gamma, eta, c_M = (sym(s) for s in ["alpha", "gamma", "eta", "c_M"])
w = sym("w")
Y_i, Y_j, Y, theta_j = sp.symbols("Y_i Y_j Y theta_j", positive=True)

# literature.md 2.1 (autarky): phi*_A = b [(sigma-1) f / ((theta-sigma+1) delta f_e)]^(1/theta)
CLOSED = {"phi_star": b * ((sigma - 1) * f / ((k - sigma + 1) * delta * f_e)) ** (1 / k),
          # literature.md 2.1 (autarky): M = (theta-sigma+1) L / (sigma theta f)
          "M": (k - sigma + 1) * L / (sigma * k * f),
          # literature.md 2.1: M_e = (sigma-1) L / (sigma theta f_e)
          "M_e": (sigma - 1) * L / (sigma * k * f_e)}
# literature.md 5 (Krugman 1980, symmetric n+1 countries)
KRUGMAN = {"lam": 1 / (1 + n * tau ** (1 - sigma)),
           "gains": (1 / (1 + n * tau ** (1 - sigma))) ** (-1 / (sigma - 1))}
# literature.md 8 (Melitz-Ottaviano 2008, open economy, Pareto in cost)
C_D = (2 * (k + 1) * (k + 2) * gamma * c_M ** k * f_e / (L * (1 + n * tau ** (-k)))) ** (
    1 / (k + 2))
OTTAVIANO = {"c_D": C_D,
             "c_X": C_D / tau,
             "N": 2 * (k + 1) * gamma * (alpha - C_D) / (eta * C_D),
             "p_bar": (2 * k + 1) / (2 * k + 2) * C_D,
             "c_bar": k / (k + 1) * C_D,
             "markup_bar": C_D / (2 * (k + 1)),
             "W": 1 + (alpha - C_D) * (alpha - (k + 1) / (k + 2) * C_D) / (2 * eta)}
# literature.md 3 (Chaney 2008): gravity, mu = alpha, gamma = k, f_ij = f, w_i = w
CHANEY = {"X": alpha * Y_i * Y_j / Y * (w * tau / theta_j) ** (-k)
          * f ** (-(k / (sigma - 1) - 1))}

TABLES = [("melitz", "pareto", LITERATURE, "2.1"), ("melitz-closed", "pareto", CLOSED, "2.1"),
          ("krugman", "degenerate", KRUGMAN, "5"),
          ("melitz-ottaviano", None, OTTAVIANO, "8"), ("chaney", "pareto", CHANEY, "3")]


def rows() -> list[tuple[str, str, str, int, int, float]]:
    """(model, output, literature section, ops of the literature, ops printed, ratio)."""
    out = []
    for name, dist, forms, section in TABLES:
        d = (ms.model(name, dist=dist) if dist else ms.model(name)).derive()
        printed_forms = {k: eq.rhs for k, eq in output_equations(d)}
        for output, literature in forms.items():
            printed = printed_forms[output]
            a, c = sp.count_ops(literature), sp.count_ops(printed)
            out.append((name, output, section, a, c, c / a))
    return out


def markdown(table: list[tuple[str, str, str, int, int, float]]) -> str:
    """The table as a Markdown page."""
    lines = ["# Closed forms: length against the literature", "",
             "Operation count (`sympy.count_ops`) of each closed form the derivation "
             "documents print, against the form of /work/shared/reference/literature.md "
             f"(section given); target: at most {TARGET}x.  Written by "
             "`python benchmarks/closed_form_lengths.py --markdown "
             "docs/closed-form-lengths.md`.", "",
             "| model | output | literature.md | ops (literature) | ops (printed) | ratio |",
             "|---|---|---|---:|---:|---:|"]
    lines += [f"| {name} | `{output}` | {section} | {a} | {c} | {ratio:.2f} |"
              for name, output, section, a, c, ratio in table]
    met = sum(r[-1] <= TARGET for r in table)
    lines += ["", f"{met} of {len(table)} within {TARGET}x; the worst is "
              f"{max(r[-1] for r in table):.2f}x.", ""]
    return "\n".join(lines)


def main() -> None:
    table = rows()
    if "--markdown" in sys.argv:
        Path(sys.argv[sys.argv.index("--markdown") + 1]).write_text(markdown(table))
    print(f"{'model':18s} {'output':10s} {'lit.md':6s} {'ops lit':>7s} {'ops pkg':>7s} "
          f"{'ratio':>6s}")
    for name, output, section, a, c, ratio in table:
        flag = "" if ratio <= TARGET else "  > 1.2"
        print(f"{name:18s} {output:10s} {section:6s} {a:7d} {c:7d} {ratio:6.2f}{flag}")
    met = sum(r[-1] <= TARGET for r in table)
    print(f"{met} of {len(table)} closed forms within {TARGET}x of the literature's length; "
          f"worst {max(r[-1] for r in table):.2f}x")


if __name__ == "__main__":
    main()
