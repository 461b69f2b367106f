"""Special functions carried by targets whose language lacks them.

A generated file whose expressions call a function its language has no
standard version of carries a private implementation of it, emitted only when
used (:func:`carried`): ``erfc``/``erf`` and ``erfcx`` (Rust, JavaScript; the
normal distribution function ``ndtr``, ``log_ndtr`` and ``exp_ndtr`` on them, also
in C, Fortran, Octave), the regularised
upper and lower incomplete gamma functions ``gammaincc`` and ``gammainc`` (C,
Fortran, Rust, JavaScript; Octave has ``gammainc(x, a)`` and
``gammainc(x, a, 'upper')``) and ``gamma`` (Rust, JavaScript).
Each is one algorithm written out in each target's language; the notes here
document it in the generated file.  These are special functions (numerical
analysis), not model formulas.
"""

from __future__ import annotations

import mpmath
import sympy as sp

#: Functions a target may carry.
SPECIAL = ("erf", "erfc", "gamma", "gammaincc", "gammainc", "ndtr", "log_ndtr", "exp_ndtr",
           "erfcx")


class LogPrinting:
    """Printing methods for a printer of a language that has ``log1p`` and ``expm1``
    under those names (R, Octave), with ``logaddexp`` as the file's own
    ``ms_logaddexp``."""

    def _print_log1p(self, expr):
        return f"log1p({self._print(expr.args[0])})"

    def _print_expm1(self, expr):
        return f"expm1({self._print(expr.args[0])})"

    def _print_logaddexp(self, expr):
        return f"ms_logaddexp({self._print(expr.args[0])}, {self._print(expr.args[1])})"


def carried(plan, codes: dict[str, tuple[str, tuple[str, ...]]],
            solver: bool = False) -> list[str]:
    """The code a target adds for ``plan``.

    ``codes`` maps a function name to (its code in the target's language, the
    names of the carried functions that code calls).  The result holds the
    code of every function in ``codes`` an expression of ``plan`` calls (its
    functions' and, with ``solver`` (a target that prints the cutoff solver), its
    Newton forms') and of those they call, in the order of ``codes``.
    """
    exprs = [x for f in plan.functions for x in f.exprs()]
    if solver and plan.solver:
        exprs += [*plan.newton[1], *plan.newton[3]]
    need = {type(e).__name__ for x in exprs for e in x.atoms(sp.Function)}
    need &= set(codes)
    while True:
        more = need | {d for n in need for d in codes[n][1]}
        if more == need:
            break
        need = more
    return [code.rstrip() for name, (code, _) in codes.items() if name in need]


ERFC_NOTE = [
    'erfc by series / continued fraction, written by melitz-sym (and erf, when used; a special',
    'function, not part of the model):',
    '* |x| < 0.5: Maclaurin series',
    '  erf(x) = 2/sqrt(pi) (x + x sum_{n>=1} (-1)^n x^(2n)/(n! (2n+1))),',
    '  summed from the smallest term (Horner); erfc = 1 - erf >= 0.47 there, no cancellation;',
    '* x >= 0.5: continued fraction',
    '  erfc(x) = x exp(-x^2)/sqrt(pi)',
    '            / (x^2 + 1/2 - (1*1/2)/(x^2 + 5/2 - (2*3/2)/(x^2 + 9/2 - ...)))',
    '  (n-th partial numerator n(2n-1)/2, denominator x^2 + 2n + 1/2), evaluated from the bottom',
    '  with 130/x^2 + 12 levels (converged to the last bit for every x >= 0.5), and',
    '  exp(-x^2) = exp(-h^2) exp(-(x - h)(x + h)) with h = x truncated to a multiple of 1/4096',
    '  (h^2 exact: no loss of relative accuracy in the deep tail); erfc(x) = 0 for x >= 27.3',
    '  (below the smallest double);',
    '* x <= -0.5: erfc(x) = 2 - erfc(-x).',
    'Relative error below 7e-16 (3 units in the last place) wherever the value is a normal',
    'double (tested against mpmath).',
]

NORMAL_NOTE = [
    'The standard normal distribution function Phi and its relatives, as the numeric layer',
    'evaluates them (scipy.special), written by melitz-sym (special functions, not part of the',
    'model):',
    '* ndtr(x) = Phi(x), with z = x/sqrt(2): 1/2 + erf(z)/2 for |z| < 1/sqrt(2), else',
    '  erfc(|z|)/2, or 1 minus it for z > 0;',
    '* log_ndtr(x) = log Phi(x): log(erfcx(-z)/2) - z^2 for x < -1 (no underflow), else',
    '  log1p(-erfc(z)/2);',
    '* exp_ndtr(a, x) = exp(a) Phi(x): that product, or exp(a + log Phi(x)) where it is not',
    '  a normal double;',
    '* erfcx(x) = exp(x^2) erfc(x): for x < 0.5 that product, exp(x^2) as',
    '  exp(h^2) exp((x - h)(x + h)) with h = x truncated to a multiple of 1/4096 (h^2 exact);',
    '  for x >= 0.5 the continued fraction x/sqrt(pi) / (x^2 + 1/2 - (1*1/2)/(x^2 + 5/2 -',
    '  (2*3/2)/(x^2 + 9/2 - ...))) from the bottom with 130/x^2 + 12 levels (converged to',
    '  the last bit), 1/(sqrt(pi) x) above x = 1e8.',
]

GAMMAINCC_NOTE = [
    'gammaincc(a, x) and gammainc(a, x): regularised upper and lower incomplete gamma',
    'functions Q(a, x) = Gamma(a, x)/Gamma(a) and P(a, x) = 1 - Q(a, x) for a > 0, x >= 0,',
    'written by melitz-sym (special functions, not part of the model), on one core',
    'incgamma(a, x, lower) that computes whichever of P and Q is small directly and the',
    'other as 1 minus it (no cancellation), with F(a, x) = x^a exp(-x)/Gamma(a) (as',
    'pow(x, a) exp(-x)/Gamma(a), or exp(a log(x) - x - log Gamma(a)) where that would',
    'overflow or underflow):',
    '* x > 1.1 and x < a, or x <= 1.1 and a above 1.1 x (above -0.4/log(x) for x <= 0.5):',
    '  the series P(a, x) = F(a, x)/a sum_{n>=0} x^n/((a+1)...(a+n)) (P below about 1/2);',
    '* else x <= 1.1: with s = sum_{n>=1} (-x)^n/(n! (a + n)) and',
    '  y = a log(x) - log Gamma(1 + a), P = exp(y) + x^a/Gamma(a) s and',
    '  Q = -expm1(y) - x^a/Gamma(a) s, log Gamma(1 + a) for |a| <= 0.2 from its Taylor',
    '  series -euler a + sum_{k>=2} (-1)^k zeta(k) a^k/k (25 terms, coefficients computed by',
    '  mpmath when the file was generated);',
    '* else (x > 1.1, x >= a): the continued fraction',
    '  Q = F(a, x) / (x + 1 - a - 1(1 - a)/(x + 3 - a - 2(2 - a)/(x + 5 - a - ...)))',
    '  by the modified Lentz algorithm, to a relative step below 1e-16.',
    'Relative error below 1e-14 for a in (0, 12], x in [1e-6, 700] (tested against mpmath',
    'at 50 digits).',
]

GAMMA_NOTE = [
    'gamma(z) and lgamma(z) = log Gamma(z) for z > 0, written by melitz-sym (a special',
    'function, not part of the model): Lanczos approximation (g = 7, 9 terms; coefficients',
    'of P. Godfrey) Gamma(z + 1) = sqrt(2 pi) t^(z + 1/2) exp(-t) A(z), t = z + 7.5, for',
    'z + 1 >= 1/2, and Gamma(z) = Gamma(z + 1)/z below; t^(z + 1/2) as the square of',
    't^(z/2 + 1/4) (no overflow before Gamma itself overflows).',
    'Relative error below 1e-14 for z in (0, 13] (tested against mpmath).',
]

#: Lanczos approximation: g and the coefficients of A(z) (Godfrey's, g = 7, n = 9).
LANCZOS_G = 7.0
LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
           -176.61502916214059, 12.507343278686905, -0.13857109526572012,
           9.9843695780195716e-6, 1.5056327351493116e-7)

#: Terms of the Taylor series of log Gamma(1 + a) used for |a| <= 0.2.
LGAM1P_TERMS = 25


def lgam1p_coefficients() -> list[str]:
    """Taylor coefficients ``c_1 .. c_25`` of :math:`\\log\\Gamma(1 + a) = \\sum_k c_k a^k`
    (:math:`c_1 = -\\gamma`, :math:`c_k = (-1)^k \\zeta(k)/k`), by mpmath, as float
    literals rounded to the nearest double."""
    with mpmath.workdps(30):
        coefs = [-mpmath.euler] + [(-1) ** k * mpmath.zeta(k) / k
                                   for k in range(2, LGAM1P_TERMS + 1)]
        return [repr(float(c)) for c in coefs]


def literals(values, per_line: int = 3, indent: str = "    ") -> str:
    """Float ``values`` (numbers or literal strings) as comma-separated lines."""
    text = [v if isinstance(v, str) else repr(float(v)) for v in values]
    rows = [", ".join(text[i:i + per_line]) for i in range(0, len(text), per_line)]
    return (",\n" + indent).join(rows)
