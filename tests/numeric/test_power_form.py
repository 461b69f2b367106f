"""The power form of the stable closed forms (melitz_sym.numeric.power_form).

Expected values: the stable forms themselves (numeric/stable.py, checked against
the 50-digit reference by test_accuracy.py) at the same points, and the counts of
transcendental calls of the expert evaluations in benchmarks/ (issue 19: 7 for
Melitz-Pareto phi* and W; Melitz-Ottaviano c_D: 4).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from sympy.codegen.cfunctions import log1p
from sympy.codegen.numpy_nodes import logaddexp

import melitz_sym as ms
from melitz_sym.numeric import fast, power_form, stable
from melitz_sym.symbols import sym

MELITZ = dict(sigma=3.8, k=4.6, b=0.5, f=1.0, f_x=2.5, f_e=0.05, delta=0.1, tau=1.7,
              n=3.0, L=100.0)


def _forms(name: str, outputs: list[str]) -> tuple[list, list]:
    m = ms.model(name)
    d = m.derive()
    with_k = m.dist is not None and bool(m.dist.reparametrisation(sym("sigma") - 1)[0])
    forms = [stable.closed_form(d.closed_forms[n], with_k) for n in outputs]
    return forms, [power_form.power_form(f) for f in forms]


def _calls(exprs: list) -> int:
    """Transcendental calls once common subexpressions are shared (logaddexp
    counts two: an exp and a log1p)."""
    replacements, reduced = sp.cse(exprs)
    nodes = set()
    for e in [r for _, r in replacements] + reduced:
        nodes |= {a for a in e.atoms(sp.log, sp.exp, log1p, logaddexp)
                  if not all(x.is_Number for x in a.args)}
    return sum(2 if isinstance(a, logaddexp) else 1 for a in nodes)


def test_melitz_phi_star_and_w_take_seven_calls():
    forms, fast_forms = _forms("melitz", ["phi_star", "W"])
    assert _calls(fast_forms) == 7
    assert _calls(forms) > 7


def test_power_form_takes_sigma_and_k_as_given():
    """Where the stable forms have the sums Z + 1 and Z + E of the protected
    quantities, the power forms take the parameters sigma and k: one operation less
    each, and k as given instead of rounded through (k - sigma + 1) + (sigma - 1)."""
    forms, fast_forms = _forms("melitz", ["phi_star", "W"])
    sums = {stable.Z + 1, stable.Z + stable.E}
    assert sums & set().union(*(f.atoms(sp.Add) for f in forms))
    assert not sums & set().union(*(f.atoms(sp.Add) for f in fast_forms))
    assert {sym("sigma"), sym("k")} <= fast_forms[1].free_symbols


def test_melitz_ottaviano_cutoff_takes_four_calls():
    _, fast_forms = _forms("melitz-ottaviano", ["c_D"])
    assert _calls(fast_forms) == 4


@pytest.mark.parametrize("name", ["melitz", "melitz-ottaviano"])
def test_power_form_equals_the_stable_form(name):
    """At random admissible points every output's power form is its stable form
    within a few ulps (the same groups of bases under one log)."""
    m = ms.model(name)
    d = m.derive()
    outputs = list(d.closed_forms)
    forms, fast_forms = _forms(name, outputs)
    order = tuple(d.parameters)
    rng = np.random.default_rng(7)
    if name == "melitz":
        sigma = rng.uniform(1.5, 8, 200)
        p = dict(MELITZ, sigma=sigma, k=sigma - 1 + rng.uniform(0.1, 5, 200),
                 tau=rng.uniform(1, 3, 200), n=rng.integers(1, 11, 200).astype(float))
    else:
        p = dict(alpha=rng.uniform(2, 20, 200), gamma=rng.uniform(0.2, 5, 200), eta=1.0,
                 c_M=rng.uniform(0.5, 2, 200), k=rng.uniform(0.5, 8, 200), f_e=0.005,
                 L=500.0, tau=rng.uniform(1, 3, 200), n=3.0)
    args = [np.broadcast_to(np.asarray(p[s.name], float), (200,)) for s in order]
    syms = (stable.Z, stable.E) + order
    for name_, f, g in zip(outputs, forms, fast_forms):
        want = np.broadcast_to(sp.lambdify(syms, f, fast._MODULES)(
            *fast._protected_args(order, args), *args), (200,))
        got = np.broadcast_to(sp.lambdify(syms, g, fast._MODULES)(
            *fast._protected_args(order, args), *args), (200,))
        assert np.all(np.abs(got / want - 1) < 2e-14), name_


def test_piecewise_forms_are_left_as_they_are():
    forms, fast_forms = _forms("melitz", ["phi_tilde_t", "M_t"])
    assert fast_forms == forms
    assert power_form.guarded_nodes(fast_forms[0], forms[0]) == []


def test_a_point_that_overflows_gets_the_stable_form_whatever_its_block():
    """tau^-k underflows at k = 300, tau = 1e3 (exp(-2072)): there the power form's
    nodes are not normal doubles, and the point gets the stable form.  The other
    points of its block keep the power form: each point's value is the value it
    has alone (no dependence on its neighbours; arrays both times: numpy's
    functions of a single number may round differently)."""
    m = ms.model("melitz")
    size = 100
    k = np.full(size, 4.6)
    tau = np.full(size, 1.7)
    k[37], tau[37] = 300.0, 1e3
    p = dict(MELITZ, k=k, tau=tau)
    together = m.solve(outputs=["phi_star", "W"], **p)
    for i in (0, 37, 99):
        alone = m.solve(outputs=["phi_star", "W"], **dict(MELITZ, k=k[i:i + 1],
                                                          tau=tau[i:i + 1]))
        for n in ("phi_star", "W"):
            assert together[n][i] == alone[n][0], (n, i)
    d = m.derive()
    order = tuple(d.parameters)
    point = [np.array([dict(p, k=300.0, tau=1e3)[s.name]], float) for s in order]
    want = fast._stable_closed(id(d), order, (d.closed_forms["phi_star"],), True, False)(
        *fast._protected_args(order, point), *point)[0]
    assert together["phi_star"][37] == want[0]
