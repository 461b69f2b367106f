"""Figures: files, labels from the symbol registry, and the plotted numbers.

References: the ACR formula gains = lam^(-1/k) under Pareto (Arkolakis,
Costinot and Rodriguez-Clare 2012, eq. (1)); cutoffs from the mpmath path.
"""

import json

import numpy as np
import pytest

import melitz_sym as ms
from melitz_sym import plot
from melitz_sym.cli import main
from melitz_sym.errors import ParseError

PNG, PDF = b"\x89PNG\r\n\x1a\n", b"%PDF-"


def test_tau_figure_png_and_pdf(tmp_path):
    fig = plot.against_tau(ms.model("melitz"), {"f_e": 0.5}, tau=(1, 2), points=20)
    ax1, ax2, ax3 = fig.axes
    assert [t.get_text() for t in ax1.get_legend().get_texts()] == [r"$\varphi^*$",
                                                                     r"$\varphi_x^*$"]
    assert ax3.get_xlabel() == r"$\tau$" and ax2.get_ylabel() == r"$\tilde{\varphi}_t$"
    assert plot.save(fig, tmp_path / "t.png").read_bytes().startswith(PNG)
    assert plot.save(fig, tmp_path / "t.pdf").read_bytes().startswith(PDF)
    with pytest.raises(ParseError, match="unknown format"):
        plot.save(fig, tmp_path / "t.gif")


def test_gains_figure_three_distributions():
    fig = plot.gains_against_lam(points=15)
    lines = fig.axes[0].get_lines()
    assert [ln.get_label() for ln in lines] == list(plot.DISTRIBUTIONS)
    for ln in lines:
        lam, gains = ln.get_data()
        assert np.all((lam > 0) & (lam <= 1)) and np.all(gains >= 1 - 1e-12)
    lam, gains = lines[0].get_data()  # Pareto: ACR
    np.testing.assert_allclose(gains, lam ** (-1 / plot.EXAMPLE_PARAMS["k"]), rtol=1e-10)


def test_density_marks_the_cutoffs():
    m = ms.model("melitz")
    fig = plot.density(m)
    ax = fig.axes[0]
    marks = sorted(ln.get_xdata()[0] for ln in ax.get_lines()[1:])
    params = {k: repr(v) for k, v in plot.EXAMPLE_PARAMS.items() if k in m.parameters}
    ref = m.evaluate(dps=30, outputs=["phi_star", "phi_x_star"], **params)
    np.testing.assert_allclose(marks, [float(ref["phi_star"]), float(ref["phi_x_star"])],
                               rtol=1e-12)
    x, g = ax.get_lines()[0].get_data()  # Pareto density k b^k / phi^(k+1)
    k, b = plot.EXAMPLE_PARAMS["k"], plot.EXAMPLE_PARAMS["b"]
    np.testing.assert_allclose(g, k * b ** k / x ** (k + 1), rtol=1e-12)


def test_cli_plot(tmp_path, capsys):
    out = tmp_path / "d.pdf"
    assert main(["plot", "density", "--set", "f_x=2", "-o", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["output"] == str(out)
    assert out.read_bytes().startswith(PDF)
    assert main(["plot", "tau", "--set", "nonsense=1", "-o", str(out)]) == 2
    assert capsys.readouterr().err.startswith("melitz-sym: error: ")


def test_pro_competitive_figure():
    # Melitz and Ottaviano (2008), Sec. 3.3 and 5: the average markup c_D/(2(k+1)) and 1/c_bar
    # move with c_D; Krugman's and Melitz's CES markups sigma/(sigma-1) never move
    fig = plot.pro_competitive(points=11)
    (mk_L, mk_tau), (pr_L, pr_tau) = fig.axes[0:2], fig.axes[2:4]
    by = {ax: {ln.get_label(): ln.get_ydata() for ln in ax.get_lines()} for ax in fig.axes}
    assert set(by[mk_L]) == set(by[pr_L]) == set(plot.PRO_COMPETITIVE_MODELS)
    assert set(by[mk_tau]) == set(by[pr_tau]) == {"krugman", "melitz", "melitz-ottaviano"}
    for name in ("krugman", "melitz"):
        np.testing.assert_allclose(by[mk_L][name], 1, rtol=1e-14)
        np.testing.assert_allclose(by[mk_tau][name], 1, rtol=1e-14)
    assert (np.diff(by[mk_L]["melitz-ottaviano"]) < 0).all()
    assert (np.diff(by[mk_L]["cournot"]) < 0).all()
    assert (np.diff(by[mk_tau]["melitz-ottaviano"]) > 0).all()
    assert (np.diff(by[pr_L]["melitz-ottaviano"]) > 0).all()
    # the last point of the MO markup index against L, from the mpmath reference
    m = ms.model("melitz-ottaviano")
    params = {**{k: repr(v) for k, v in plot.EXAMPLE_PARAMS.items() if k in m.parameters},
              **{k: repr(v) for k, v in plot.PRO_COMPETITIVE_MODELS[m.name].items()}}
    ends = [m.reference(dps=30, outputs=["markup_bar"], **{**params, "L": L})["markup_bar"]
            for L in ("50", "500")]
    assert by[mk_L]["melitz-ottaviano"][-1] == pytest.approx(float(ends[1] / ends[0]),
                                                             rel=1e-13)


def _texts(fig) -> list[str]:
    """Every text of a figure (Figure.get_supxlabel is matplotlib >= 3.8; the floor is 3.7)."""
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text)]


def test_figures_state_their_parameters():
    fig = plot.density(ms.model("melitz"), {"f_x": 2})
    [note] = [t for t in _texts(fig) if r"$\sigma$ = 3.8" in t]
    assert r"$f_x$ = 2" in note and r"$\sigma$ = 3.8" in note
    assert note.count("=") == len(ms.model("melitz").parameters)


def test_figures_draw_into_the_axes_given():
    from matplotlib.figure import Figure

    mine = Figure()
    left, right = mine.subplots(1, 2)
    assert plot.density(ms.model("melitz"), ax=right) is mine
    assert not left.get_lines() and len(right.get_lines()) == 3  # density, phi*, phi_x*
    assert r"$\tau$ = 1.5" in right.get_title()
    # the note is under the axes' title only: the user's figure keeps its own layout
    assert [t for t in _texts(mine) if r"$\tau$ = 1.5" in t] == [right.get_title()]
    three = Figure().subplots(1, 3)
    fig = plot.against_tau(ms.model("melitz"), points=10, ax=three)
    assert fig is three[0].get_figure() and all(a.get_lines() for a in three)
    with pytest.raises(ms.MelitzError, match="3 axes, got 2"):
        plot.against_tau(ms.model("melitz"), points=10, ax=[left, right])


def test_tau_figure_of_hmy(tmp_path, capsys):
    """hmy (fuzz, issue 20: KeyError 'f_I'): its FDI fixed cost has an example value, its
    three cutoffs are drawn, and its domestic average phi_tilde (it has no phi_tilde_t);
    the plotted cutoffs are the mpmath path's."""
    m = ms.model("hmy")
    fig = plot.against_tau(m, tau=(1.2, 2.0), points=5)
    ax1, ax2, _ = fig.axes
    assert [t.get_text() for t in ax1.get_legend().get_texts()] == [
        r"$\varphi^*$", r"$\varphi_x^*$", r"$\varphi_I^*$"]
    assert ax2.get_ylabel() == r"$\tilde{\varphi}$"
    params = {k: repr(v) for k, v in plot.EXAMPLE_PARAMS.items() if k in m.parameters}
    ref = m.evaluate(dps=30, outputs=["phi_I_star"], **{**params, "tau": "1.2"})
    assert ax1.get_lines()[2].get_ydata()[0] == pytest.approx(float(ref["phi_I_star"]),
                                                              rel=1e-12)
    out = tmp_path / "h.png"
    assert main(["plot", "tau", "--model", "hmy", "--tau", "1.2:2", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(PNG)


def test_plot_parameters_read_exactly_or_refused(tmp_path, capsys):
    """Parameter values go through the one reading of every entry point (exact text
    such as 19/5 is accepted); a model parameter with no value is named."""
    fig = plot.density(ms.model("melitz"), {"sigma": "17/5"})
    assert any(r"$\sigma$ = 3.4" in t for t in _texts(fig))
    with pytest.raises(ParseError, match="parameter sigma"):
        plot.against_tau(ms.model("melitz"), {"sigma": "abc"}, tau=(1, 2), points=3)
    custom = ms.model("melitz-ottaviano")
    with pytest.raises(ParseError, match="no value for"):
        plot.against_tau(custom, tau=(1, 2), points=3)
