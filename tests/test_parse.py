"""Parsing equations in LaTeX (as papers write them) and in sympy syntax."""

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from melitz_sym.errors import ParseError, UnknownNameError
from melitz_sym.parse import (_GREEK_COMMANDS, _symbol_of, ambiguous_spellings, parse,
                              parse_equations, resolve, spellings)
from melitz_sym.symbols import REGISTRY
from melitz_sym.symbols import sym

sigma, k, tau, f, f_x, f_e, delta, n, L = (sym(s) for s in
                                           "sigma k tau f f_x f_e delta n L".split())
phi_s, phi_x, phi = sym("phi_star"), sym("phi_x_star"), sym("phi")


@pytest.mark.parametrize("text, expected", [
    (r"\varphi^*", phi_s),
    (r"\varphi^{*}", phi_s),
    (r"\varphi^*_x", phi_x),
    (r"\varphi_x^*", phi_x),
    (r"\tilde{\varphi}", sym("phi_tilde")),
    (r"\tilde\varphi_x", sym("phi_tilde_x")),
    (r"\bar{\pi}", sym("pi_bar")),
    (r"\bar r", sym("r_bar")),
    (r"f_x + f_e", f_x + f_e),
    (r"f_{X}", f_x),
    (r"\theta", k),
    (r"\gamma", sym("gamma")),  # Melitz-Ottaviano's gamma, no longer an alias of k
    (r"k", k),
    (r"\lambda", sym("lam")),
    (r"p_{in}", sym("p_in")),
    (r"M_t", sym("M_t")),
    (r"\rho", (sigma - 1) / sigma),
    (r"\frac{1}{\sigma-1}", 1 / (sigma - 1)),
    (r"\dfrac{\theta}{\theta-\sigma+1}", k / (k - sigma + 1)),
    (r"\left[\frac{f}{\delta f_e}\right]^{1/k}", (f / (delta * f_e)) ** (1 / k)),
    (r"L/\sigma f", L / (sigma * f)),  # juxtaposition binds tighter than /
    (r"\tau^{-\theta}", tau ** -k),
    (r"\varphi^{*\,\sigma-1}", phi_s ** (sigma - 1)),
    (r"k(\sigma-1)", k * (sigma - 1)),  # the shape times sigma - 1
    (r"k(\varphi^*)", sp.Function("k")(phi_s)),  # Melitz's function k
    (r"\kappa(\varphi^*)", sp.Function("k")(phi_s)),  # as the documents print it
    (r"j(\varphi_x^*)", sp.Function("j")(phi_x)),
    (r"\pi(\varphi)", sp.Function("pi_d")(phi)),
    (r"\tilde{\varphi}(\varphi^*)", sp.Function("phi_tilde")(phi_s)),
    (r"\max\{0, \pi(\varphi)/\delta\}", sp.Max(0, sp.Function("pi_d")(phi) / delta)),
    (r"\sqrt[3]{L}", L ** sp.Rational(1, 3)),
    (r"e^{\sigma}", sp.exp(sigma)),
    (r"\ln \tau", sp.log(tau)),
    (r"\frac{\partial \varphi^*}{\partial \tau}", sp.Derivative(phi_s, tau)),
    ("phi_star**(sigma - 1)", phi_s ** (sigma - 1)),
    ("phi_star^(sigma - 1)", phi_s ** (sigma - 1)),
    ("theta + gamma", k + sym("gamma")),
    ("d phi_star/d tau", sp.Derivative(phi_s, tau)),
    ("elasticity(M, tau)", tau * sp.Derivative(sym("M"), tau) / sym("M")),
    ("2.5*f", sp.Rational(5, 2) * f),
    # the literature's spellings of cutoffs, averages, totals and the lower bound
    (r"\varphi_d^*", phi_s),  # lecture-note style: d for domestic
    (r"\varphi_D^*", phi_s),
    (r"\varphi^*_d", phi_s),
    (r"\varphi_X^*", phi_x),
    (r"\varphi^*_{x}", phi_x),
    (r"\varphi^{*}_{X}", phi_x),
    (r"\tilde{\varphi_x}", sym("phi_tilde_x")),
    (r"\tilde{\varphi}_X", sym("phi_tilde_x")),
    (r"\bar{\varphi}", sym("phi_tilde")),
    (r"\tilde{\varphi}_T", sym("phi_tilde_t")),
    (r"M_T", sym("M_t")),
    (r"M_X", sym("M_x")),
    (r"\phi_{min}", sym("b")),
    (r"\varphi_{\min}", sym("b")),
    (r"\underline{\varphi}", sym("b")),
    (r"f_{\mathrm{x}}", f_x),
    (r"f_{\text{X}}", f_x),
    (r"\pi_X(\varphi)", sp.Function("pi_x")(phi)),
    (r"r_D(\varphi)", sp.Function("r_d")(phi)),
    (r"c_d", sym("c_D")),  # Melitz-Ottaviano's domestic cost cutoff
    (r"W_A", sp.Symbol("W_A", positive=True)),
    (r"W_T", sym("W")),
    (r"\varphi(\omega)", sp.Symbol("omega", positive=True)),
])
def test_latex_and_sympy_names_map_to_canonical_symbols(text, expected):
    assert parse(text) == expected


def test_integral_over_the_distribution_from_the_cutoff():
    e = parse(r"\int_{\varphi^*}^{\infty}\varphi^{\sigma-1}g(\varphi)d\varphi")
    assert e == sp.Integral(phi ** (sigma - 1) * sp.Function("g")(phi), (phi, phi_s, sp.oo))


def test_stieltjes_integral_dG():
    x = sym("x")
    e = parse(r"\int_{\varphi}^{\infty} x^{\sigma-1} dG(x)")
    G = sp.Function("G")
    assert e == sp.Integral(x ** (sigma - 1) * sp.Derivative(G(x), x), (x, phi, sp.oo))


def test_integral_over_an_index_set_is_indefinite():
    e = parse(r"\int_{\omega\in\Omega} q(\omega)^{\rho} d\omega")
    assert isinstance(e, sp.Integral) and len(e.limits[0]) == 1


def test_equation_and_inequality():
    (link,) = parse_equations(r"\varphi_x^* = \tau \varphi^*")
    assert link.relation == sp.Eq(phi_x, tau * phi_s)
    assert link.text == r"\varphi_x^* = \tau \varphi^*"
    assert parse("d phi_star/d tau < 0") == sp.Lt(sp.Derivative(phi_s, tau), 0)
    with pytest.raises(ParseError, match="inequality"):
        parse_equations("phi_star > 1")
    with pytest.raises(ParseError, match="equation"):
        parse_equations("phi_star")


def test_display_math_delimiters_are_stripped():
    assert parse(r"$$\varphi^* = 1$$") == sp.Eq(phi_s, 1)


def test_unknown_name_is_named_with_suggestions():
    with pytest.raises(UnknownNameError) as err:
        parse("phii_star = 1")
    msg = str(err.value)
    assert "'phii_star'" in msg and "phi_star" in msg and "position 0" in msg


def test_unknown_latex_command_is_named():
    with pytest.raises(UnknownNameError, match="Phi"):
        parse(r"\Phi(z)")


@pytest.mark.parametrize("text, pos", [
    (r"\frac{1}{", 9),
    ("phi_star = (1 + f", 17),
    ("f + * f", 4),
    ("f = = f", 4),
])
def test_malformed_input_gives_the_position(text, pos):
    with pytest.raises(ParseError) as err:
        parse(text)
    assert f"position {pos}" in str(err.value)


def test_huge_numbers_are_refused_not_computed():
    with pytest.raises(ParseError, match="too large"):
        parse("2^2^2^2^2")
    with pytest.raises(ParseError, match="digits"):
        parse("1" * 40)


_ALPHABET = st.sampled_from([
    "\\varphi", "^*", "_x", "\\frac", "{", "}", "(", ")", "[", "]", "\\left[", "\\right]",
    "\\int", "d", "\\sigma", "f", "f_x", "k", "j(", "=", "+", "-", "/", "^", "_", "*", "1",
    "2.5", "\\tilde", "\\bar{\\pi}", "\\theta", " ", "\\partial", "\\max\\{", "\\}", "\\in",
    "phi_star", "**", "tau", "\\sqrt", ",", "e", "<", "\\Big", "x", "G", "g(", "&", "'"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=25).map("".join) | st.text(max_size=40))
def test_random_text_parses_or_raises_parse_error(text):
    try:
        result = parse(text)
    except (ParseError, UnknownNameError) as exc:
        assert str(exc)
    else:
        assert isinstance(result, sp.Basic)


def _latex_of(key: tuple) -> str:
    """A spelling key written in LaTeX (Greek bases as commands, words in \\mathrm)."""
    deco, base, sub, star = key
    if base == "phi":
        name = r"\varphi"
    elif base in _GREEK_COMMANDS:
        name = "\\" + base
    else:
        name = base if len(base) == 1 else rf"\mathrm{{{base}}}"
    if deco:
        name = rf"\{deco}{{{name}}}"
    return name + (f"_{{{sub}}}" if sub else "") + ("^*" if star else "")


def test_every_accepted_spelling_maps_to_exactly_one_quantity():
    """The resolver is one table: every spelling in it, written in LaTeX and in ASCII,
    parses to its quantity and to nothing else; no spelling is ambiguous; every
    parameter and output is reached by its registry LaTeX and its ASCII name."""
    table = spellings()
    assert ambiguous_spellings() == {}
    assert len(table) > 100  # every registry quantity, its aliases and variants
    checked = 0
    for key, name in table.items():
        expected = _symbol_of(name)
        if key != ("", "e", "", False):  # LaTeX e is Euler's number
            assert parse(_latex_of(key)) == expected, (key, name)
        deco, base, sub, star = key
        ascii_name = "_".join(p for p in (base, deco, sub, "star" if star else "") if p)
        assert resolve(ascii_name) == expected, (ascii_name, name)
        checked += 1
    assert checked == len(table)
    for q in REGISTRY.values():
        if q.kind in ("parameter", "output"):
            assert resolve(q.name) == q.symbol
            if not q.latex.startswith(r"\frac"):
                assert parse(q.latex) == q.symbol, q.name


@pytest.mark.parametrize("text, part", [
    # the four cases: each was resolved by dropping a decoration or the star
    (r"\tilde{\varphi}_x^* = \varphi_x^*", r"decoration \tilde"),
    (r"\tilde{\varphi}^* = \tilde{\varphi}", r"decoration \tilde"),
    (r"\tilde{\varphi}^*_x", r"decoration \tilde"),
    (r"\tilde{\varphi}^*", r"decoration \tilde"),
    # and more: decorations, subscripts and stars no quantity has
    (r"\bar{\varphi}^*", r"decoration \bar"),
    (r"\hat{\tau}", r"decoration \hat"),
    (r"\tilde{M}", r"decoration \tilde"),
    (r"\underline{\tau}", r"decoration \underline"),
    (r"\tau_{ij}", "subscript 'ij'"),
    (r"f_{xx}", "subscript 'xx'"),
    (r"\varphi_d", "subscript 'd'"),  # a productivity, not the domestic cutoff
    (r"\varphi_x", "subscript 'x'"),
    (r"M^{*}", "star"),
    (r"\pi^*", "star"),
    (r"\lambda^*_x", "subscript 'x' and the star"),
    ("phi_tilde_star = 1", r"decoration \tilde"),
    ("tau_ij = 1", "subscript 'ij'"),
    # a domestic subscript only where the quantity is domestic by definition: the
    # average profit and revenue average over all markets, pi_bar_d would be a part
    (r"\bar{\pi}_d", "subscript 'd'"),
    (r"\bar{r}_D", "subscript 'D'"),
])
def test_a_name_part_that_is_not_understood_is_refused_never_dropped(text, part):
    with pytest.raises(ParseError) as err:
        parse(text)
    msg = str(err.value)
    assert part in msg and "not understood" in msg and "alias" in msg, msg



def test_user_aliases_add_spellings_and_bad_aliases_are_refused():
    aliases = {"theta": "sigma", "varphi_d": "phi_star", r"\hat{\varphi}": "phi_x_star",
               "phi_D_star": "phi_x_star"}
    assert parse(r"\theta + \varphi_d + \hat\varphi", aliases) == sigma + phi_s + phi_x
    assert parse(r"\varphi_D^*", aliases) == phi_x  # the user's alias wins over the default
    assert parse(r"\varphi_D^*") == phi_s
    for bad, match in [({"a b": "k"}, "one name"), ({"theta": "kk"}, "unknown target"),
                       ({"x+y": "k"}, "one name")]:
        with pytest.raises(ParseError, match=match):
            parse("k", bad)


@pytest.mark.parametrize("text, links", [
    ("a = b = c", 2),
    (r"M_x = p_x M \quad\text{or}\quad M_t = M", 2),
    (r"M_x = p_x M \qquad\text{and}\qquad M_t = M", 2),
    (r"M_x = p_x M, \quad M_t = M, \quad M = M", 3),
    (r"M_x = p_x M \\ M_t = M", 2),
    (r"\begin{aligned} M_x &= p_x M \\ &= M \end{aligned}", 2),
    (r"M_x = p_x M \qquad (12)", 1),
    (r"\max\{0, M\} = M", 1),  # a comma inside braces separates nothing
])
def test_chains_and_several_equations_give_one_link_per_relation(text, links):
    found = parse_equations(text)
    assert len(found) == links
    assert all(isinstance(link.relation, sp.Eq) for link in found)
    if links > 1:
        with pytest.raises(ParseError, match="relations"):
            parse(text)


def test_a_part_without_a_relation_among_several_is_refused():
    with pytest.raises(UnknownNameError, match="where"):
        parse_equations(r"M_x = p_x M \quad\text{where}\quad p_x")
    with pytest.raises(ParseError, match="not an equation"):
        parse_equations(r"M_x = p_x M, \quad p_x")


@pytest.mark.parametrize("text", [r"W = 1/0", r"W = \ln(0)", r"W = 0^{-1}", "W = 0/0",
                                  r"\left(\log(0)\right)/\sigma = \varphi^*", r"W = \frac{1}{0}"])
def test_a_side_without_a_value_is_refused(text):
    """Issue 20: verify "W = 1/0", \\ln(0), 0^{-1} gave KeyError 'ComplexInfinity' from
    lambdify (found again by the fuzz suite inside \\left( \\right)); sympy reads them as
    zoo or nan, and no verdict can be about them."""
    with pytest.raises(ParseError, match="has no value"):
        parse(text)
