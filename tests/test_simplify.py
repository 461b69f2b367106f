"""Tests of :mod:`melitz_sym.simplify` (rewriting under the sign restrictions)."""

import sympy as sp

import melitz_sym as ms
from melitz_sym import simplify


def test_rebuild_is_xreplace():
    """The remembering substitution of paper_form equals sympy's xreplace, also on a
    second expression that shares subexpressions with the first (memo hits)."""
    forward, backward = simplify.shifts()
    d = ms.model("melitz", dist="pareto").derive()
    memo = {}
    for name in ("phi_star", "W"):
        z = simplify.shifted(d.closed_forms[name])
        assert simplify._rebuild(z, backward, memo) == z.xreplace(backward)
    assert len(memo) > 0


def test_paper_form_memo_changes_time_not_result():
    """One memo shared by the outputs of a model (sums with and without k) gives the
    forms of separate calls."""
    d = ms.model("melitz", dist="pareto").derive()
    names = ("phi_star", "M", "P", "r_bar")
    memo = {}
    shared = {n: simplify.paper_form(d.closed_forms[n], memo) for n in names}
    alone = {n: simplify.paper_form(d.closed_forms[n]) for n in names}
    assert shared == alone
    assert memo["moves"]  # the rewritings of the sums were kept
    krugman = ms.model("krugman").derive().closed_forms["W"]  # no k: the other mapping
    assert simplify.paper_form(krugman, memo) == simplify.paper_form(krugman)
    assert sp.count_ops(shared["phi_star"]) < sp.count_ops(d.closed_forms["phi_star"])


def test_powdenest_denests_like_sympy_and_keeps_the_symbols():
    a, b, c = sp.symbols("a b c", positive=True)
    n = sp.Symbol("n")  # sign unknown: a positive dummy stands in for it, then n is back
    e = ((a**b) ** c) ** n + (n * a**b) ** c + ((n**2) ** b) ** c
    out = simplify.powdenest(e)
    assert out == sp.powdenest(e, force=True)
    assert out.free_symbols == {a, b, c, n}
    assert a ** (b * c * n) in sp.Add.make_args(out)
