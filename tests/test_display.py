"""Display in Jupyter (issue 21): short plain reprs, HTML cards, LaTeX in the paper's
notation through ``ms.init_printing()``."""

import melitz_sym as ms
from melitz_sym.calibrate import Calibration
from melitz_sym.claims import ClaimResult
from melitz_sym.display import card, shorten


def test_a_derivation_repr_is_its_title_step_count_and_outputs():
    d = ms.model("melitz", dist="pareto").derive()
    text = repr(d)
    assert len(text) < 400, len(text)
    assert d.title in text and f"{len(d.names)} steps" in text
    assert "phi_star" in text and "gains" in text
    step = repr(d.step("free_entry"))
    assert step.startswith("Step('free_entry': Eq(") and len(step) <= 100
    multi = repr(ms.model("chaney", dist="pareto").derive())
    assert multi.startswith("<Derivation") and len(multi) < 400


def test_model_card_lists_the_parameters():
    m = ms.model("melitz", dist="lognormal")
    html = m._repr_html_()
    assert "model(&#x27;melitz&#x27;, dist=&#x27;lognormal&#x27;)" in html
    assert all(p in html for p in m.parameters)


def test_verdict_card_shows_the_verdict_and_counterexample():
    m = ms.model("melitz", dist="pareto")
    good = ms.verify(m, "phi_x_star = tau*(f_x/f)**(1/(sigma-1))*phi_star")._repr_html_()
    assert "HOLDS" in good and "#1a7f37" in good
    bad = ms.verify(m, "phi_x_star = tau*phi_star")._repr_html_()
    assert "FALSE" in bad and "counterexample" in bad and "lhs = " in bad


def test_claim_and_calibration_cards_escape_and_report_the_fit():
    claim = ClaimResult("gains > 1", False, "numeric", "violated at a point",
                        {"point": {"tau": 2}, "gains": 0.9}, name="welfare")
    html = claim._repr_html_()
    assert "[welfare] gains &gt; 1" in html and "FALSE" in html and "gains = 0.9" in html
    cal = Calibration({"tau": 1.7, "f_x": 2.0}, ["tau"], "least-squares",
                      {"share_exporters": (0.18, 0.2), "export_intensity": (0.14, 0.13)})
    html = cal._repr_html_()
    assert "calibration (least-squares)" in html and "1.7" in html
    assert f"{cal.objective:.6e}" in html and "gap 2.00e-02" in html


def test_card_and_shorten():
    assert card("t", [("a", 1), ("empty", "")]).count("<tr>") == 1
    assert shorten("a  b\nc") == "a b c"
    assert shorten("x" * 200, 10) == "xxxxxxx..."


def test_init_printing_renders_sympy_objects_in_the_paper_notation():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    ms.init_printing(ip=shell)
    eq = ms.model("melitz", dist="pareto").derive()["free_entry"]
    shown = shell.display_formatter.format(eq)[0]
    assert r"\varphi^*" in shown["text/latex"] and r"\pi_{bar}" not in shown["text/latex"]
