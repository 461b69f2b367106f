"""Verifying users' equations: the literature holds, plausible mistakes do not.

References: the equations are those of /work/shared/reference/literature.md,
sections 1 (Melitz 2003, closed and open economy, in the paper's notation) and
2.1 (closed forms under Pareto, Melitz 2003 / Melitz and Redding 2015 / ACR
2012), written in LaTeX as the papers write them.  They are typed here from the
literature, never produced by the package.
"""

import time

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import melitz_sym as ms
from melitz_sym.cli import main
from melitz_sym.errors import MelitzError, ParseError, UnknownNameError

CLOSED = [  # Melitz (2003), section 3 (literature.md 1.1)
    r"U=\big[\int_{\omega\in\Omega}q(\omega)^{\rho}d\omega\big]^{1/\rho}",               # M1
    r"P=\big[\int_{\omega\in\Omega}p(\omega)^{1-\sigma}d\omega\big]^{\frac{1}{1-\sigma}}",  # M1
    r"p(\varphi)=\dfrac{1}{\rho\varphi}",                                         # M4
    r"r(\varphi)=R(P\rho\varphi)^{\sigma-1}",                                      # M5
    r"\pi(\varphi)=\dfrac{r(\varphi)}{\sigma}-f",                                  # M5
    r"r(\varphi_1)/r(\varphi_2)=(\varphi_1/\varphi_2)^{\sigma-1}",                 # M6
    r"p_{in}=1-G(\varphi^*)",                                                      # M7
    r"\tilde\varphi(\varphi^*)=\Big[\dfrac{1}{1-G(\varphi^*)}\displaystyle\int_{\varphi^*}"
    r"^{\infty}\varphi^{\sigma-1}g(\varphi)d\varphi\Big]^{\frac{1}{\sigma-1}}",    # M8
    r"P=M^{\frac{1}{1-\sigma}}p(\tilde\varphi)",                                   # M9
    r"R=M\,r(\tilde\varphi)",                                                      # M9
    r"\bar r=r(\tilde\varphi)",                                                    # M9
    r"\bar\pi=\pi(\tilde\varphi)",                                                 # M9
    r"\pi(\varphi^*)=0",                                                           # M10
    r"r(\varphi^*)=\sigma f",                                                      # M11
    r"\bar\pi=f\,k(\varphi^*)",                                                    # M11
    r"k(\varphi^*)=\big[\tilde\varphi(\varphi^*)/\varphi^*\big]^{\sigma-1}-1",     # M11
    r"\bar\pi=\dfrac{\delta f_e}{1-G(\varphi^*)}",                                 # M12
    r"f\,j(\varphi^*)=\delta f_e",                                                 # M13
    r"j(\varphi)=[1-G(\varphi)]\,k(\varphi)",                                      # M13
    r"p_{in}M_e=\delta M",                                                         # M14
    r"M_e f_e=M\bar\pi",                                                           # M14 L_e = Pi
    r"R=L",                                                                        # M14
    r"M=\dfrac{L}{\sigma(\bar\pi+f)}",                                             # M15
    r"W=M^{\frac{1}{\sigma-1}}\rho\tilde\varphi",                                  # M16
    r"W=\rho\,\varphi^*\,(L/\sigma f)^{\frac{1}{\sigma-1}}",                       # M16
]

OPEN = [  # Melitz (2003), section 4, n+1 symmetric countries (literature.md 1.2)
    r"p_x(\varphi)=\dfrac{\tau}{\rho\varphi}",                                     # O1
    r"p_x(\varphi)=\tau p_d(\varphi)",                                             # O1
    r"r_x(\varphi)=\tau^{1-\sigma}r_d(\varphi)",                                   # O2
    r"\pi_x(\varphi)=\dfrac{r_x(\varphi)}{\sigma}-f_x",                            # O3
    r"r_d(\varphi^*)=\sigma f",                                                    # O4
    r"r_x(\varphi_x^*)=\sigma f_x",                                                # O4
    r"\varphi_x^*=\tau\,(f_x/f)^{\frac{1}{\sigma-1}}\varphi^*",                    # O5
    r"p_x=\dfrac{1-G(\varphi_x^*)}{1-G(\varphi^*)}",                               # O6
    r"M_x=p_xM",                                                                   # O6
    r"M_t=(1+np_x)M",                                                              # O6
    r"\tilde\varphi_t=\Big\{\dfrac{1}{M_t}\big[M\tilde\varphi^{\sigma-1}+nM_x"
    r"(\tau^{-1}\tilde\varphi_x)^{\sigma-1}\big]\Big\}^{\frac{1}{\sigma-1}}",      # O7
    r"P=M_t^{\frac{1}{1-\sigma}}p(\tilde\varphi_t)",                               # O8
    r"R=M_t r_d(\tilde\varphi_t)",                                                 # O8
    r"W=M_t^{\frac{1}{\sigma-1}}\rho\tilde\varphi_t",                              # O8
    r"\bar r=r_d(\tilde\varphi)+p_xn\,r_x(\tilde\varphi_x)",                       # O9
    r"\bar\pi=\pi_d(\tilde\varphi)+p_xn\,\pi_x(\tilde\varphi_x)",                  # O9
    r"\bar\pi=f\,k(\varphi^*)+p_x n f_x\,k(\varphi_x^*)",                          # O10
    r"\bar\pi=\delta f_e/[1-G(\varphi^*)]",                                        # O11
    r"f\,j(\varphi^*)+n f_x\,j(\varphi_x^*)=\delta f_e",                           # O12
    r"M=\dfrac{L}{\sigma(\bar\pi+f+p_xnf_x)}",                                     # O13
    r"M_e=\delta M/[1-G(\varphi^*)]",                                              # O13
    r"W=\rho\varphi^*(L/\sigma f)^{\frac{1}{\sigma-1}}",                           # O14
    r"\lambda=\dfrac{f[k(\varphi^*)+1]}{f[k(\varphi^*)+1]+np_xf_x[k(\varphi_x^*)+1]}",  # O15
    r"\frac{n r_x(\varphi)}{r_d(\varphi)+n r_x(\varphi)}"
    r"=\frac{n\tau^{1-\sigma}}{1+n\tau^{1-\sigma}}",                               # O16
]

PARETO = [  # literature.md 2.1, untruncated Pareto with shape theta
    r"V(\varphi)=\dfrac{\theta b^\theta}{\theta-\sigma+1}\varphi^{\sigma-1-\theta}",
    r"\tilde\varphi=\big(\tfrac{\theta}{\theta-\sigma+1}\big)^{\frac1{\sigma-1}}\varphi^*",
    r"\tilde\varphi_x=\big(\tfrac{\theta}{\theta-\sigma+1}\big)^{\frac1{\sigma-1}}\varphi_x^*",
    r"k(\varphi)=\dfrac{\sigma-1}{\theta-\sigma+1}",
    r"j(\varphi)=\dfrac{\sigma-1}{\theta-\sigma+1}\Big(\dfrac{b}{\varphi}\Big)^{\theta}",
    r"\varphi^*_A=b\Big[\dfrac{(\sigma-1)f}{(\theta-\sigma+1)\delta f_e}\Big]^{1/\theta}",
    r"\varphi^*=b\Big[\dfrac{(\sigma-1)\,(f+nf_x\tau^{-\theta}(f_x/f)^{-\theta/(\sigma-1)})}"
    r"{(\theta-\sigma+1)\delta f_e}\Big]^{1/\theta}",
    r"p_x=\tau^{-\theta}(f_x/f)^{-\theta/(\sigma-1)}",
    r"\bar\pi=\frac{\sigma-1}{\theta-\sigma+1}(f+np_xf_x)",
    r"M=\dfrac{(\theta-\sigma+1)L}{\sigma\theta(f+np_xf_x)}",
    r"M_t=(1+np_x)M",
    r"M_e=\dfrac{(\sigma-1)L}{\sigma\theta f_e}",
    r"M_ef_e=\frac{\sigma-1}{\sigma\theta}L",
    r"\tilde\varphi_t^{\sigma-1}=\frac{\theta}{\theta-\sigma+1}\varphi^{*\,\sigma-1}\,"
    r"\frac{1+np_xf_x/f}{1+np_x}",
    r"P=\dfrac{(\sigma f/L)^{\frac1{\sigma-1}}}{\rho\varphi^*}",
    r"\lambda=\big[1+n\tau^{-\theta}(f_x/f)^{1-\theta/(\sigma-1)}\big]^{-1}",
    r"W_T/W_A=\lambda^{-1/\theta}",
]

WRONG = [  # (model, equation): plausible mistakes
    ("melitz", r"\varphi_x^*=\tau\,(f_x/f)^{\frac{1}{\sigma}}\varphi^*"),       # sigma for sigma-1
    ("melitz", r"\varphi_x^*=(f_x/f)^{\frac{1}{\sigma-1}}\varphi^*"),            # missing tau
    ("melitz", r"\varphi_x^*=\tau\,(f/f_x)^{\frac{1}{\sigma-1}}\varphi^*"),      # inverted ratio
    ("melitz", r"\bar\pi=f\,k(\varphi^*)+p_x f_x\,k(\varphi_x^*)"),              # missing n
    ("melitz", r"\bar\pi=\dfrac{f_e}{1-G(\varphi^*)}"),                          # missing delta
    ("melitz", r"f\,j(\varphi^*)+f_x\,j(\varphi_x^*)=\delta f_e"),               # missing n
    ("melitz", r"W=\rho\varphi^*(L/\sigma f)^{\frac{1}{\sigma}}"),               # wrong exponent
    ("melitz", r"W=\rho\varphi^*(L/f)^{\frac{1}{\sigma-1}}"),                    # missing sigma
    ("melitz", r"\lambda=\big[1+n\tau^{\theta}(f_x/f)^{1-\theta/(\sigma-1)}\big]^{-1}"),  # sign
    ("melitz", r"W_T/W_A=\lambda^{1/\theta}"),                                   # sign
    ("melitz", r"M_e=\dfrac{\sigma L}{\sigma\theta f_e}"),                       # sigma for s-1
    ("melitz", r"\tilde\varphi(\varphi^*)=\Big[\dfrac{1}{1-G(\varphi^*)}\int_{b}^{\infty}"
               r"\varphi^{\sigma-1}g(\varphi)d\varphi\Big]^{\frac{1}{\sigma-1}}"),  # wrong bound
    ("melitz", r"\tilde\varphi=\big(\tfrac{\theta}{\theta-\sigma+1}\big)^{\frac1{\sigma}}"
               r"\varphi^*"),                                                    # wrong exponent
    ("melitz", r"p_x=\tau^{-\theta}(f_x/f)^{-\theta/\sigma}"),                   # sigma for s-1
    ("melitz", r"r(\varphi_1)/r(\varphi_2)=(\varphi_1/\varphi_2)^{\sigma}"),     # sigma for s-1
    ("melitz", r"p(\varphi)=\dfrac{1}{\varphi}"),                                # missing rho
    ("melitz", r"p_x(\varphi)=p_d(\varphi)/\tau"),                               # tau inverted
    ("melitz", r"r_x(\varphi)=\tau^{\sigma-1}r_d(\varphi)"),                     # sign of exponent
    ("melitz", r"\pi(\varphi)=\dfrac{r(\varphi)}{\sigma}+f"),                    # sign error
    ("melitz", r"M=\dfrac{L}{\sigma(\bar\pi-f+p_xnf_x)}"),                       # sign error
    ("melitz", r"k(\varphi)=\dfrac{\sigma}{\theta-\sigma+1}"),                   # sigma for s-1
    ("melitz", r"V(\varphi)=\dfrac{\theta b^\theta}{\theta-\sigma+1}\varphi^{\sigma-\theta}"),
    ("melitz", r"\tilde\varphi_t^{\sigma-1}=\frac{\theta}{\theta-\sigma+1}\varphi^{*\,\sigma-1}"
               r"\frac{1+p_xf_x/f}{1+p_x}"),                                     # missing n
    ("melitz", r"p_{in}M_e=M"),                                                  # missing delta
    ("melitz", r"\frac{r_x(\varphi)}{r_d(\varphi)+r_x(\varphi)}"
               r"=\frac{n\tau^{1-\sigma}}{1+n\tau^{1-\sigma}}"),                 # missing n
    ("melitz", r"\lambda=\big[1+\tau^{-\theta}(f_x/f)^{1-\theta/(\sigma-1)}\big]^{-1}"),  # n
    ("melitz-closed", r"\varphi^*=b\Big[\dfrac{f}{(\theta-\sigma+1)\delta f_e}\Big]^{1/\theta}"),
    ("melitz-closed", r"M=\dfrac{L}{\sigma\bar\pi}"),                            # missing f
]


@pytest.mark.parametrize("text", CLOSED)
def test_melitz_closed_economy_equations_hold(text):
    v = ms.verify("melitz-closed", text)
    assert v.holds is True, str(v)
    assert v.method in ("symbolic", "numeric", "declared")
    if v.method == "numeric":
        assert v.points >= 30


def _holds(name: str, text: str) -> None:
    v = ms.verify(name, text)
    assert v.holds is True, str(v)
    if v.method == "numeric":
        assert v.points >= 30


@pytest.mark.parametrize("text", OPEN + PARETO)
def test_melitz_open_economy_and_pareto_equations_hold(text):
    _holds("melitz", text)


@pytest.mark.parametrize("text", [
    r"\varphi_x^*=\tau\,(f_x/f)^{\frac{1}{\sigma-1}}\varphi^*",                    # O5
    r"W=\rho\varphi^*(L/\sigma f)^{\frac{1}{\sigma-1}}",                           # O14
])
def test_generic_equations_hold_under_lognormal(text):
    v = ms.verify(ms.model("melitz", dist="lognormal"), text)
    assert v.holds is True, str(v)


@pytest.mark.parametrize("name, text", WRONG)
def test_plausible_mistakes_are_rejected_with_a_counterexample(name, text):
    v = ms.verify(name, text)
    assert v.holds is False, str(v)
    ce = v.counterexample
    assert set(ce) == {"point", "lhs", "rhs"}
    assert abs(ce["lhs"] - ce["rhs"]) > mpmath.mpf(10) ** -20 * abs(ce["rhs"])
    assert "sigma" in ce["point"]
    assert "counterexample" in str(v)


def test_the_verdict_names_the_step_and_how():
    v = ms.verify("melitz", r"\varphi_x^*=\tau\,(f_x/f)^{\frac{1}{\sigma-1}}\varphi^*")
    assert (v.step, v.method) == ("export_cutoff", "symbolic")
    v = ms.verify("melitz", r"\bar\pi=\delta f_e/[1-G(\varphi^*)]")
    assert v.step == "free_entry"
    v = ms.verify("melitz", r"f\,j(\varphi^*)+n f_x\,j(\varphi_x^*)=\delta f_e")
    assert v.step == "cutoff_equation"


def test_an_integral_of_powers_is_integrated_and_proved():
    """M8 under Pareto: the integral is done symbolically (a power-law integrand)."""
    v = ms.verify("melitz-closed", CLOSED[7])
    assert (v.holds, v.method) == (True, "symbolic"), str(v)


def test_sympy_syntax_with_canonical_names():
    v = ms.verify("melitz", "phi_x_star = tau*(f_x/f)**(1/(sigma - 1))*phi_star")
    assert v.holds is True


def test_autarky_only_equation_says_so():
    # the autarky mass of firms (literature.md 2.1) does not hold with trade
    v = ms.verify("melitz", r"M=\dfrac{(\theta-\sigma+1)L}{\sigma\theta f}")
    assert v.holds is False
    assert v.condition is not None and "n = 0" in v.condition
    assert "autarky" in str(v)


def test_a_misstated_primitive_is_an_error_not_a_crash():
    with pytest.raises(MelitzError, match="primitive"):
        ms.verify("melitz-closed", r"P=\big[\int_{\omega\in\Omega}p(\omega)^{-\sigma}"
                  r"d\omega\big]^{\frac{1}{1-\sigma}}")


def test_a_quantity_the_model_does_not_determine_is_an_error():
    with pytest.raises(MelitzError, match="phi_star"):
        ms.verify("krugman", "phi_star = 1")
    with pytest.raises(UnknownNameError, match="phi_star"):
        ms.verify("melitz", "phii_star = 1")


def test_a_derivative_of_an_expression_with_no_value_is_undecided():
    """Fuzz (issue 20): d(tau / (d(-1)/d tau))/d tau divides by a derivative that is 0;
    the numeric path raised KeyError 'ComplexInfinity' (lambdify of zoo), and sympy
    takes the derivative of zoo as 0, which would have read as HOLDS."""
    v = ms.verify(ms.model("chaney", dist="pareto"),
                  r"0 = \frac{d \frac{\tau}{\frac{d -1}{d \tau}}}{d \tau}")
    assert (v.holds, v.method, v.points) == (None, "undecided", 0)


def test_cli_exit_codes(capsys):
    assert main(["verify", "melitz", r"M_x=p_xM"]) == 0
    assert "HOLDS" in capsys.readouterr().out
    assert main(["verify", "melitz", r"M_x=p_xM", r"M_x=M"]) == 1
    out = capsys.readouterr().out
    assert "FALSE" in out and "counterexample" in out
    assert main(["verify", "melitz", r"M_x=\frac{1}{"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("melitz-sym: error:") and "position" in err


_TERMS = st.sampled_from(["M", "W", "lam", "P", "sigma", "tau", "n", "L", "f", "b", "2", "q",
                          "markup", "(", ")", "+", "-", "*", "/", "**", "^", "gains", "=",
                          "d", "x", "k(", "exp(", " "])


@settings(max_examples=15, deadline=None)
@given(st.lists(_TERMS, min_size=1, max_size=12).map("".join) | st.text(max_size=30))
def test_random_equations_give_a_verdict_or_an_error_in_bounded_time(text):
    start = time.monotonic()
    try:
        v = ms.verify("krugman", text, seconds=20)
    except (ParseError, UnknownNameError, MelitzError) as exc:
        assert str(exc)
    else:
        assert v.holds in (True, False, None)
    assert time.monotonic() - start < 60



def test_a_value_beyond_mpmath_exponents_is_not_evaluated_not_a_crash():
    # fuzz (issue 20): exp(exp(sigma^M_e)) at a drawn point has an exponent of more
    # digits than mpmath holds (OverflowError "too many digits in integer"); such a
    # point is skipped like a division by zero, and the verdict comes from the others
    v = ms.verify("hmy", r"1 = \exp(\exp(\sigma^{M_e}))", seconds=20)
    assert v.holds in (False, None)


@pytest.mark.parametrize("text", [r"\sqrt{\exp(\exp(\exp(M)))} = \frac{d W}{d \tau}",
                                  r"W = \exp(\exp(\exp(10 \sigma)))",
                                  r"W = \sigma^{\sigma^{\sigma^{L}}}"])
def test_a_value_beyond_the_working_precision_is_not_evaluated(text):
    """Fuzz long profile (issue 20): mpmath evaluated exp(exp(exp(M))) at a drawn point
    until it ran out of memory (MemoryError, a traceback; exp(exp(exp(10))) alone takes
    it 100 s, 4^(4^(4^10)) over 300 s).  A value whose exponent has more bits than the
    working precision has no correct digit: verify skips such a point (or, matching
    a step, counts the two sides as not proportional), and gives its verdict from the
    others."""
    v = ms.verify("melitz", text)
    assert v.holds in (False, None)

# Melitz and Ottaviano (2008) (literature.md section 8), in the paper's notation (f_E is the
# package's f_e); c is a producer's unit cost, free below the cutoff c_D
MO = [
    r"p(c) = \frac{c_D + c}{2}",                                                   # p. 299
    r"\pi(c) = \frac{L}{4\gamma}(c_D - c)^2",                                      # eq. (4)
    r"c_X = c_D/\tau",                                                             # section 5
    r"c_D = \left[\frac{2(k+1)(k+2)\gamma c_M^k f_e}{L(1 + n\tau^{-k})}\right]^{1/(k+2)}",
    r"N = \frac{2(k+1)\gamma(\alpha - c_D)}{\eta c_D}",                           # eq. (10)
    r"\bar p = \frac{2k+1}{2k+2} c_D",                                             # p. 300
    r"\bar c = \frac{k}{k+1} c_D",                                                 # p. 300
    r"\bar\mu = \frac{c_D}{2(k+1)}",                                               # p. 300
    r"W = 1 + \frac{1}{2\eta}(\alpha - c_D)\left(\alpha - \frac{k+1}{k+2}c_D\right)",
]


@pytest.mark.parametrize("text", MO)
def test_melitz_ottaviano_equations_hold(text):
    _holds("melitz-ottaviano", text)


@pytest.mark.parametrize("text, condition", [
    (r"p(c) = \frac{c_D + c}{3}", None),
    # the closed economy's cutoff (MO 2008 eq. (9)) holds in autarky only
    (r"c_D = \left[\frac{2(k+1)(k+2)\gamma c_M^k f_e}{L}\right]^{1/(k+2)}", "n = 0 (autarky)"),
])
def test_melitz_ottaviano_mistakes_are_rejected(text, condition):
    v = ms.verify("melitz-ottaviano", text)
    assert v.holds is False and v.counterexample is not None, str(v)
    assert v.condition == condition
    if "c" in {s.name for s in v.parsed.free_symbols}:  # a producer's cost below the cutoff
        point = v.counterexample["point"]
        assert 0 < point["c"] < point["c_D"]


# ---------------------------------------------------------------------------------
# The corpus: equations as economists write them, verbatim (issue 18).  Written for
# this test in the styles named (lecture notes, surveys, slides, textbooks, the papers'
# own notation); the mathematics is that of /work/shared/reference/literature.md
# (sections 1, 2.1, 5 and 8), typed by hand, never produced by the package.  Each
# entry: (model, equation, expected verdict, style, aliases or None).
# ---------------------------------------------------------------------------------
CORPUS = [
    # --- lecture-note style: \varphi_d^* for the domestic cutoff, f_d for its fixed cost
    ("melitz", r"\pi_d(\varphi_d^*) = 0", True,
     r"lecture-note style, \varphi_d^* for the domestic cutoff (zero cutoff profit)", None),
    ("melitz", r"r_d(\varphi_d^*) = \sigma f_d", True,
     r"lecture-note style, f_d for the domestic fixed cost", None),
    ("melitz", r"\varphi_x^* = \tau \left(\frac{f_x}{f_d}\right)^{\frac{1}{\sigma-1}} \varphi_d^*",
     True, r"lecture-note style, \varphi_d^* and f_d", None),
    ("melitz", r"r_d(\varphi) = \sigma f \left(\frac{\varphi}{\varphi_d^*}\right)^{\sigma-1}", True,
     "lecture-note style, revenue relative to the cutoff firm", None),
    ("melitz", r"\varphi^*_{x} = \tau (f_x/f)^{1/(\sigma-1)}\varphi^*_{d}", True,
     r"lecture-note style, star before a braced subscript", None),
    # --- survey style with capital subscripts (Helpman 2006, JEL; HMY 2004)
    ("melitz", r"\varphi_X^* = \tau \left(\frac{f_X}{f_D}\right)^{1/(\sigma-1)} \varphi_D^*", True,
     "survey style, capital subscripts D and X (Helpman 2006)", None),
    ("melitz", r"\varphi_X^* = \tau^{-1} \left(\frac{f_X}{f_D}\right)^{1/(\sigma-1)} \varphi_D^*",
     False, "survey style; wrong: tau inverted", None),
    ("melitz", r"\pi_x(\varphi) = f_x\left[\left(\frac{\varphi}{\varphi_X^*}\right)^{\sigma-1}"
     r" - 1\right]", True, "survey style, export profit relative to the export cutoff", None),
    ("melitz", r"\pi_x(\varphi) = f_x\left(\frac{\varphi}{\varphi_X^*}\right)^{\sigma-1}", False,
     "survey style; wrong: the fixed cost is not subtracted", None),
    ("melitz", r"\varphi_D^* = \left(\frac{\sigma-1}{\theta-\sigma+1}\cdot\frac{f_D + n f_X "
     r"\tau^{-\theta}(f_X/f_D)^{-\theta/(\sigma-1)}}{\delta f_E}\right)^{1/\theta} b", True,
     r"survey style, capital subscripts and \cdot", None),
    ("hmy", r"\varphi_X^* = \tau\left(\frac{f_X}{f_D}\right)^{\frac{1}{\sigma-1}}\varphi_D^*", True,
     "HMY (2004) style, subscripts D, X", None),
    # --- averages: \tilde{\varphi_x}, \bar{\varphi}, totals _T
    ("melitz", r"\tilde{\varphi_x} = \left(\frac{\theta}{\theta-\sigma+1}\right)"
     r"^{\frac{1}{\sigma-1}} \varphi_x^*", True,
     r"\tilde{\varphi_x} with the subscript inside the tilde, theta for the shape "
     "(Melitz-Redding 2015)", None),
    ("melitz", r"\bar{\varphi} = \left(\frac{\theta}{\theta-\sigma+1}\right)^{\frac{1}{\sigma-1}}"
     r" \varphi^*", True, r"textbook style, \bar\varphi for the average productivity", None),
    ("melitz", r"\bar{\varphi} = \left(\frac{\theta}{\theta-\sigma+1}\right)^{\frac{1}{\sigma}}"
     r" \varphi^*", False, r"textbook style; wrong: exponent 1/sigma", None),
    ("melitz", r"M_T = (1 + n p_x) M", True, "_T for totals", None),
    ("melitz", r"M_T = M + M_x", False, "_T for totals; wrong: two-country habit, n missing",
     None),
    ("melitz", r"\tilde{\varphi}_T = \left\{\frac{1}{M_T}\left[M\tilde{\varphi}^{\sigma-1} + "
     r"n M_x \left(\tau^{-1}\tilde{\varphi}_x\right)^{\sigma-1}\right]\right\}"
     r"^{\frac{1}{\sigma-1}}", True,
     r"Melitz (2003) eq. (O7) with _T for the total", None),
    # --- the Pareto lower bound and the shape
    ("melitz", r"G(\varphi) = 1 - \left(\frac{\underline{\varphi}}{\varphi}\right)^{\theta}", True,
     r"lecture-note style, \underline\varphi for the lower bound", None),
    ("melitz", r"G(\varphi) = 1 - \left(\frac{\phi_{min}}{\varphi}\right)^{\theta}", True,
     r"problem-set style, \phi_{min} for the lower bound", None),
    ("melitz", r"g(\varphi) = \theta \phi_{min}^\theta \varphi^{-\theta-1}", True,
     r"problem-set style, unbraced exponents", None),
    ("melitz", r"j(\varphi) = \frac{\sigma-1}{\theta-\sigma+1}\left(\frac{\underline{\varphi}}"
     r"{\varphi}\right)^\theta", True, r"\underline\varphi in Melitz's j function", None),
    ("melitz", r"1 - G(\varphi^*) = b^\theta (\varphi^*)^{-\theta}", True,
     "implicit product after an unbraced exponent", None),
    ("melitz", r"p_{in} = b^k (\varphi^*)^{-k}", True,
     "implicit product after an unbraced exponent (the issue's case)", None),
    ("melitz", r"p_{in} = b^k (\varphi^*)^{k}", False,
     "unbraced exponent; wrong: sign of the exponent", None),
    ("melitz", r"p_x = \tau^{-\gamma}\left(\frac{f_x}{f}\right)^{-\frac{\gamma}{\sigma-1}}", True,
     "Chaney (2008) notation, gamma for the Pareto shape", None),
    ("melitz", r"k(\varphi) = \frac{\sigma-1}{\gamma-\sigma+1}", True,
     "Chaney's gamma in Melitz's k function", None),
    ("melitz", r"\frac{W}{W_A} = \lambda^{-1/\gamma}", True,
     "Chaney's gamma in the ACR formula", None),
    ("melitz", r"\lambda = \left[1 + n\tau^{-\theta}\left(\frac{f_x}{f}\right)^{1-\frac{\theta}"
     r"{\sigma-1}}\right]^{-1}", True, "ACR (2012) / Melitz-Redding (2015), theta", None),
    # --- the trade elasticity's sign
    ("melitz", r"\frac{W}{W_A} = \lambda^{1/\varepsilon}", True,
     r"ACR (2012) eq. (1), \varepsilon < 0 as ACR define it", None),
    ("melitz", r"\frac{W_T}{W_A} = \lambda^{-1/\varepsilon}", False,
     r"positive-elasticity convention: false in the package's sign, condition named", None),
    ("melitz", r"\varepsilon = -\theta", True, "ACR: the Melitz-Pareto elasticity", None),
    # --- chains, several equations, aligned lines
    ("melitz", r"W = \frac{1}{P} = M_t^{\frac{1}{\sigma-1}}\rho\tilde\varphi_t = \rho\varphi^*"
     r"\left(\frac{L}{\sigma f}\right)^{\frac{1}{\sigma-1}}", True,
     "chain a = b = c = d, welfare in one line (lecture notes)", None),
    ("melitz", r"W = \frac{1}{P} = M^{\frac{1}{\sigma-1}}\rho\tilde\varphi", False,
     "chain; wrong second link: M for M_t (autarky only)", None),
    ("melitz", r"\bar\pi = \frac{f_e}{1-G(\varphi^*)} = \frac{\delta f_e}{p_{in}}", False,
     "chain; wrong first link: delta missing", None),
    ("melitz", r"P = \frac{1}{\rho\varphi^*}\left(\frac{\sigma f}{L}\right)^{\frac{1}{\sigma-1}}"
     r" = \frac{1}{W}", True, "chain ending in a definition", None),
    ("melitz-closed", r"\pi(\varphi) = \frac{r(\varphi)}{\sigma} - f = \frac{R}{\sigma}"
     r"(P\rho\varphi)^{\sigma-1} - f", True, "chain of a firm's profit (Melitz 2003, sec. 2)",
     None),
    ("melitz", r"p_d(\varphi) = \frac{w}{\rho\varphi} \quad\text{and}\quad p_x(\varphi) = "
     r"\frac{\tau w}{\rho\varphi}", True,
     r"two equations joined by \quad\text{and}\quad, wage w written", None),
    ("melitz", r"p_d(\varphi) = \frac{w}{\rho\varphi} \quad\text{or}\quad p_x(\varphi) = "
     r"\frac{w}{\rho\varphi}", False, r"\text{or}; wrong second equation: tau missing", None),
    ("melitz", r"r_x(\varphi) = \tau^{1-\sigma} r_d(\varphi), \quad \pi_x(\varphi) = "
     r"\frac{r_x(\varphi)}{\sigma} - f_x", True, "two equations separated by a comma", None),
    ("melitz", r"\tilde\varphi = \left(\frac{\theta}{\theta-\sigma+1}\right)^{\frac{1}{\sigma-1}}"
     r"\varphi^* \quad\text{and}\quad \tilde\varphi_x = \left(\frac{\theta}{\theta-\sigma+1}"
     r"\right)^{\frac{1}{\sigma-1}}\varphi_x^*", True, "two averages in one display", None),
    ("melitz", r"M_x = p_x M \\ M_t = (1+np_x)M", True, r"two lines separated by \\", None),
    ("melitz", r"M_x = p_x M \\ M_t = (1+p_x)M", False, r"two lines; wrong second: n missing",
     None),
    ("melitz", r"\begin{aligned} \bar\pi &= f\,k(\varphi^*) + p_x n f_x\, k(\varphi_x^*) \\ "
     r"&= \frac{\sigma-1}{\theta-\sigma+1}\left(f + n p_x f_x\right) \end{aligned}", True,
     "aligned derivation continued on a second line", None),
    ("melitz", r"M_x = p_x M \qquad (14)", True, "equation number after \\qquad", None),
    ("melitz", r"\[ M_e = \frac{\delta M}{1 - G(\varphi^*)} \]", True,
     r"display delimiters \[ \]", None),
    # --- annotations, delimiters, spacing, operators, names in \mathrm
    ("melitz", r"\bar\pi = \underbrace{\frac{\delta f_e}{1-G(\varphi^*)}}_{\text{free entry}}",
     True, r"slides style, \underbrace annotation", None),
    ("melitz", r"\underbrace{f\,j(\varphi^*)}_{\text{domestic}} + \underbrace{n f_x\,"
     r"j(\varphi_x^*)}_{\text{export}} = \delta f_e", True, r"slides style, two \underbrace",
     None),
    ("melitz", r"\overbrace{f\,j(\varphi^*) + f_x\,j(\varphi_x^*)}^{\text{expected profit}} = "
     r"\delta f_e", False, r"\overbrace; wrong: n missing", None),
    ("melitz", r"M \;=\; \frac{L}{\sigma\,(\bar\pi + f + p_x n f_x)}", True,
     "spacing commands", None),
    ("melitz", r"M_x = p_x \cdot M", True, r"\cdot", None),
    ("melitz", r"M_e \times p_{in} = \delta \times M", True, r"\times", None),
    ("melitz", r"M_{\mathrm{x}} = p_{\mathrm{x}}\, M", True, r"\mathrm in subscripts", None),
    ("melitz", r"\left.\frac{r_x(\varphi)}{r_d(\varphi)}\right. = \tau^{1-\sigma}", True,
     r"\left. and \right. delimiters", None),
    ("melitz", r"\bar{r} = \sigma\left(\bar\pi + f + n p_x f_x\right)", True,
     "average revenue (Melitz 2003, O13)", None),
    ("melitz", r"\bar r = \sigma \bar\pi", False, "wrong: the fixed costs are missing", None),
    ("melitz", r"M_e f_e + M\left(\bar r - \bar\pi\right) = L", True,
     "labour market: entry plus production labour", None),
    ("melitz", r"\frac{M_x}{M} = \left(\frac{\varphi^*}{\varphi_x^*}\right)^{\theta}", True,
     "share of exporters, theta", None),
    ("melitz", r"\frac{M_x}{M} = \left(\frac{\varphi_x^*}{\varphi^*}\right)^{\theta}", False,
     "share of exporters; wrong: ratio inverted", None),
    ("melitz", r"W = \frac{w}{P} = \rho \varphi^* \left(\frac{L}{\sigma f}\right)^{\frac{1}"
     r"{\sigma-1}}", True, "textbook style with the wage w (Feenstra 2016, ch. 6)", None),
    # --- variety-level equations in omega (Melitz 2003, sec. 2)
    ("melitz-closed", r"p(\omega) = \frac{w}{\rho\,\varphi(\omega)}", True,
     r"variety level, \varphi(\omega) the producer's productivity", None),
    ("melitz-closed", r"p(\omega) = \frac{w}{\varphi(\omega)}", False,
     "variety level; wrong: the markup is missing", None),
    ("melitz-closed", r"r(\omega) = R\left[\frac{p(\omega)}{P}\right]^{1-\sigma}", True,
     "variety level, Melitz (2003) eq. (2)", None),
    # --- closed economy, autarky
    ("melitz-closed", r"\varphi^* = \phi_{min}\left[\frac{(\sigma-1)f}{(\theta-\sigma+1)\delta f_e}"
     r"\right]^{1/\theta}", True, r"\phi_{min} in the autarky cutoff", None),
    ("melitz-closed", r"M_e = \frac{(\sigma-1)L}{\sigma\theta f_e}", True,
     "entrants (Melitz-Redding 2015)", None),
    ("melitz-closed", r"M = \frac{(\theta - \sigma + 1) L}{\sigma \theta f}", True,
     "mass of producers in autarky", None),
    ("melitz-closed", r"M = \frac{(\theta - \sigma + 1) L}{\sigma \theta f_e}", False,
     "wrong: f_e for f", None),
    # --- Krugman (1980) in ACR's notation
    ("krugman", r"\lambda = \frac{1}{1 + n\tau^{1-\sigma}}", True, "Krugman (1980) as in ACR",
     None),
    ("krugman", r"\frac{W}{W_A} = \lambda^{-1/(\sigma-1)}", True, "ACR formula for Krugman",
     None),
    ("krugman", r"\frac{W}{W_A} = \lambda^{-1/\sigma}", False, "wrong: sigma for sigma - 1",
     None),
    # --- Melitz-Ottaviano (2008) in the paper's notation
    ("melitz-ottaviano", r"\bar{p} = \frac{2k+1}{2k+2}\, c_D", True,
     "Melitz-Ottaviano (2008) notation", None),
    ("melitz-ottaviano", r"\bar c = \frac{k}{k+1} c_D", True, "Melitz-Ottaviano (2008)", None),
    ("melitz-ottaviano", r"\bar\mu = \frac{c_D}{2(k+1)}", True,
     r"Melitz-Ottaviano (2008), \bar\mu the average markup", None),
    ("melitz-ottaviano", r"c_X = c_D/\tau", True, "Melitz-Ottaviano (2008), export cutoff", None),
    ("melitz-ottaviano", r"c_X = \tau c_D", False, "wrong: tau multiplies", None),
    ("melitz-ottaviano", r"N = \frac{2(k+1)\gamma(\alpha - c_D)}{\eta c_D}", True,
     "Melitz-Ottaviano (2008), gamma is product differentiation", None),
    ("melitz-ottaviano", r"U = 1 + \frac{1}{2\eta}(\alpha - c_D)\left(\alpha - \frac{k+1}{k+2}"
     r"c_D\right)", True, "Melitz-Ottaviano (2008), U for welfare (utility)", None),
    ("melitz-ottaviano", r"U = 1 + \frac{1}{2\eta}(\alpha - c_D)^2", False,
     "wrong: the average-price term is missing", None),
    ("melitz-ottaviano", r"c_d = \left[\frac{2(k+1)(k+2)\gamma c_M^k f_E}{L(1 + n\tau^{-k})}"
     r"\right]^{1/(k+2)}", True, "lower-case c_d for the domestic cutoff", None),
    ("melitz-ottaviano", r"c_D = \left[\frac{2(k+1)(k+2)\gamma c_M^k f_E}{L}\right]^{1/(k+2)}",
     False, "closed-economy cutoff in the open economy (holds in autarky)", None),
    ("melitz", r"\varphi_d^* = \tau\left(\frac{f_x}{f_d}\right)^{\frac{1}{\sigma-1}}"
     r"\varphi_x^*", False, r"lecture-note style; wrong: the cutoffs swapped", None),
    ("melitz", r"\tilde{\varphi}_T = \left[\frac{1}{M_T}\left(M\tilde{\varphi}^{\sigma-1}"
     r" + n M_x \tilde{\varphi}_x^{\sigma-1}\right)\right]^{\frac{1}{\sigma-1}}", False,
     r"_T for the total; wrong: the iceberg cost of exporters' productivity is missing", None),
    ("melitz-closed", r"r(\omega) = R\left[\frac{p(\omega)}{P}\right]^{-\sigma}", False,
     "variety level; wrong: the quantity's exponent in the revenue", None),
    ("melitz-ottaviano", r"\bar c = \frac{k+1}{k+2} c_D", False,
     "Melitz-Ottaviano notation; wrong: the average cost's factor", None),
    # --- Chaney (2008), N countries, his notation: a verdict for every pair (i, j)
    ("chaney", r"X_{ij} = \mu\,\frac{Y_i Y_j}{Y}\left(\frac{w_i\tau_{ij}}{\theta_j}\right)"
     r"^{-\gamma} f_{ij}^{-\left(\frac{\gamma}{\sigma-1}-1\right)}", True,
     "Chaney (2008) gravity equation, his notation (literature.md 3)", None),
    ("chaney", r"X_{ij} = \mu\,\frac{Y_i Y_j}{Y}\left(\frac{w_i\tau_{ij}}{\theta_j}\right)"
     r"^{-\gamma} f_{ij}^{-\frac{\gamma}{\sigma-1}}", False,
     "Chaney gravity; wrong: the fixed cost's exponent", None),
    ("chaney", r"\frac{\partial \ln X_{ij}}{\partial \ln \tau_{ij}} = -\gamma", True,
     "Chaney (2008): the trade elasticity is the Pareto shape", None),
    ("chaney", r"\frac{\partial \ln X_{ij}}{\partial \ln \tau_{ij}} = 1 - \sigma", False,
     "Chaney; wrong: Krugman's elasticity", None),
    ("chaney", r"\frac{\partial \ln X_{ij}}{\partial \ln f_{ij}} = -\left(\frac{\gamma}"
     r"{\sigma-1} - 1\right)", True, "Chaney (2008): the elasticity in the fixed cost", None),
    ("chaney", r"N_{ij} = w_i L_i \left(\frac{b}{\bar\varphi_{ij}}\right)^{\gamma}", True,
     "Chaney: the number of exporters, lower bound b kept", None),
    ("chaney", r"\bar\varphi_{ij} = \lambda_3\left(\frac{Y}{Y_j}\right)^{1/\gamma}"
     r"\frac{w_i\tau_{ij}}{\theta_j}f_{ij}^{\frac{1}{\sigma-1}}", True,
     "Chaney (2008) eq. (9): the cutoff with remoteness theta_j", None),
    ("chaney", r"\lambda_3 = \left[\frac{\sigma\gamma-\mu(\sigma-1)}{\mu(\gamma-\sigma+1)}"
     r"\right]^{1/\gamma}", False,
     "Chaney's constant as literature.md writes it, with b = 1: false for b != 1", None),
    ("chaney", r"\pi = \frac{\mu(\sigma-1)}{\sigma\gamma - \mu(\sigma-1)}", True,
     "Chaney: the dividend per unit of labour income", None),
    # --- notation no default covers: user aliases
    ("melitz", r"\varphi_D = \tau^{-1}(f/f_X)^{1/(\sigma-1)} \varphi_X", True,
     "Helpman (2006) survey without stars: aliases",
     {r"\varphi_D": "phi_star", r"\varphi_X": "phi_x_star"}),
    ("melitz", r"\hat{\varphi} = \tau (f_x/f)^{1/(\sigma-1)}\varphi^*", True,
     r"a hat for the export cutoff: alias", {r"\hat{\varphi}": "phi_x_star"}),
    ("melitz", r"\tilde\varphi = \left(\frac{k}{k-\theta+1}\right)^{\frac{1}{\theta-1}}"
     r"\varphi^*", True, "Ghironi-Melitz (2005) style: theta is the elasticity of substitution, "
     "k the shape: alias", {"theta": "sigma"}),
]


def test_the_corpus_is_large_varied_and_mostly_alias_free():
    assert len(CORPUS) >= 60
    assert sum(aliases is None for *_, aliases in CORPUS) >= 0.9 * len(CORPUS)
    assert sum(expected is False for _, _, expected, _, _ in CORPUS) >= 20
    assert len({model for model, *_ in CORPUS}) >= 6


@pytest.mark.parametrize("model, text, expected, style, aliases", CORPUS,
                         ids=[f"{i}-{c[0]}" for i, c in enumerate(CORPUS)])
def test_corpus_equation_gets_the_right_verdict_verbatim(model, text, expected, style, aliases):
    v = ms.verify(model, text, aliases=aliases)
    assert v.holds is expected, f"{style}\n{v}"
    if expected is False:
        assert v.counterexample is not None
    elif v.method == "numeric":
        assert v.points >= 30


def test_a_chain_is_verified_link_by_link_and_names_the_failing_link():
    v = ms.verify("melitz", r"W = \frac{1}{P} = M^{\frac{1}{\sigma-1}}\rho\tilde\varphi")
    assert v.holds is False and len(v.links) == 2
    assert [link.holds for link in v.links] == [True, False]
    assert "link 2 of 2 is false" in v.detail
    assert r"\frac{1}{P} = M^{\frac{1}{\sigma-1}}\rho\tilde\varphi" in v.detail
    assert v.counterexample is not None and v.condition == "n = 0 (autarky)"
    v = ms.verify("melitz", r"M_x = p_x M \quad\text{and}\quad M_t = (1+np_x)M")
    assert v.holds is True and len(v.links) == 2 and "all 2 links hold" in v.detail


def test_the_positive_trade_elasticity_convention_is_named():
    v = ms.verify("melitz", r"\frac{W_T}{W_A} = \lambda^{-1/\varepsilon}")
    assert v.holds is False
    assert "sign convention" in v.condition and "negative" in v.condition


def test_the_numeraire_wage_and_the_variety_index_are_read_and_said():
    v = ms.verify("melitz-closed", r"p(\omega) = \frac{w}{\rho\,\varphi(\omega)}")
    assert v.holds is True and "w = 1" in v.detail and "omega" in v.detail


def test_model_notation_defaults():
    """gamma is the Pareto shape only where the model has no gamma; U is welfare where
    the model's welfare is utility; Chaney's theta is not read as the shape."""
    assert ms.verify("melitz", r"\gamma = \theta").holds is True
    assert ms.verify("melitz-ottaviano", r"\gamma = k").holds is False
    with pytest.raises(ParseError, match="theta"):
        ms.verify("chaney", r"\theta = k")


def test_user_aliases_python_and_cli(capsys):
    text = r"\tilde\varphi = \left(\frac{k}{k-\theta+1}\right)^{\frac{1}{\theta-1}}\varphi^*"
    assert ms.verify("melitz", text, aliases={"theta": "sigma"}).holds is True
    assert ms.verify("melitz", text).holds is False  # theta is the shape by default
    assert main(["verify", "melitz", "--alias", "theta=sigma", text]) == 0
    assert main(["verify", "melitz", "--alias", "varphi_d=phi_star", r"\varphi_d = \varphi^*"]) == 0
    capsys.readouterr()
    assert main(["verify", "melitz", "--alias", "theta=nonsense", text]) == 2
    err = capsys.readouterr().err
    assert err.startswith("melitz-sym: error:") and "nonsense" in err and err.count("\n") <= 2
    assert main(["verify", "melitz", "--alias", "theta", text]) == 2
    assert main(["verify", "melitz", r"\tilde{\varphi}_x^* = \varphi_x^*"]) == 2
    err = capsys.readouterr().err
    assert r"decoration \tilde" in err and "not understood" in err


@pytest.mark.parametrize("text, expected", [
    # literature.md 2.1: phi_tilde = (theta/(theta - sigma + 1))^(1/(sigma-1)) phi*, a line
    # through the origin in the cutoff; O5: phi_x* proportional to phi*; O14: W linear in phi*
    (r"\frac{d\tilde{\varphi}}{d\varphi^*} = \left(\frac{\theta}{\theta-\sigma+1}\right)"
     r"^{\frac{1}{\sigma-1}}", True),
    (r"\frac{d\tilde{\varphi}}{d\varphi^*} = \left(\frac{\theta}{\theta-\sigma+1}\right)"
     r"^{\frac{1}{\sigma}}", False),
    (r"\frac{\partial \varphi_x^*}{\partial \varphi^*} = \tau\left(\frac{f_x}{f}\right)"
     r"^{\frac{1}{\sigma-1}}", True),
    (r"\frac{d \tilde\varphi_x}{d \varphi_x^*} = \frac{\tilde\varphi}{\varphi^*}", True),
    (r"\frac{d \ln W}{d \ln \varphi^*} = 1", True),
    (r"\frac{d \ln W}{d \ln \varphi^*} = \sigma - 1", False),
])
def test_derivatives_with_respect_to_outputs_follow_the_cutoff(text, expected):
    v = ms.verify("melitz", text)
    assert v.holds is expected, str(v)


def test_a_derivative_with_respect_to_an_output_needs_a_cutoff():
    with pytest.raises(MelitzError, match="cutoff"):
        ms.verify("melitz-ottaviano", r"\frac{d N}{d c_D} = 1")


@pytest.mark.parametrize("model, text, constant", [
    ("chaney", r"\exp(\exp(\exp(\exp(e)))) = k", r"exp\(exp\(exp\(exp\(E\)\)\)\)"),
    ("melitz", r"W = \exp(\exp(\exp(100)))", r"exp\(exp\(exp\(100\)\)\)")])
def test_a_constant_beyond_the_working_precision_is_an_error_not_a_hang(model, text, constant):
    """Fuzz long profile (issue 20): verify chaney "exp(exp(exp(exp(e)))) = k" ran past
    its 60 s budget: sympy orders the terms of a sum by their values, and mpmath spent
    minutes on the constant (ln of it is 10^(1.65e6)); the issue's own reproducer,
    melitz "W = exp(exp(exp(100)))", past 900 s.  A constant whose exponent exceeds
    the working precision is now refused, with its name, before any symbolic work."""
    with pytest.raises(ms.NumericalError, match=f"constant {constant}"):
        ms.verify(model, text)
