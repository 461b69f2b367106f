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
