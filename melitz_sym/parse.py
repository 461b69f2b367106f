r"""Parse equations written in LaTeX (as papers write them) or in sympy syntax.

Two input syntaxes are recognised:

* **LaTeX** (any text containing a backslash or a brace, or text with names
  unknown in sympy syntax that parse as LaTeX, ``M_x = p_xM``): single letters are
  symbols, ``\varphi^*``, ``\varphi^*_x``, ``\tilde{\varphi}``, ``\bar{\pi}``,
  ``f_x``, ``f_e``, ``\frac{a}{b}``, ``\left[ ... \right]^{1/k}``, ``\sqrt``,
  ``\ln``, ``\exp``, ``\max\{0, x\}``, integrals
  ``\int_{\varphi^*}^{\infty} \varphi^{\sigma-1} g(\varphi) d\varphi`` (also the
  Stieltjes form ``dG(\varphi)``) and derivatives ``\frac{\partial W}{\partial \tau}``.
* **sympy syntax** with the canonical names (``phi_star**(sigma - 1)``),
  ``^`` accepted for ``**``, ``Integral(e, (x, lo, hi))``, ``Derivative(e, x)``,
  ``d Y/d X`` and ``elasticity(Y, X)`` (:math:`X\,\partial_X Y / Y`).

Names are resolved through the symbol registry (:mod:`melitz_sym.symbols`):
its LaTeX forms, canonical ASCII names and aliases (``\theta`` means the Pareto
shape ``k``; ``\gamma`` is Melitz-Ottaviano's ``gamma``); ``\rho`` is :math:`(\sigma - 1)/\sigma`.
An output name with subscript ``A`` (``W_A``) means the output in autarky,
``n = 0``.  A name followed by parentheses is a function application when the
name is a function of productivity (``j``, ``k``, ``G``, ``g``, ``S``, ``V``,
``r``, ``r_d``, ``r_x``, ``\pi``, ``\pi_x``, ``p``, ``p_x``, ``q``,
``\tilde{\varphi}``) and the argument is a productivity (Melitz's function
:math:`k(\varphi^*)` versus the shape in :math:`k(\sigma - 1)`); otherwise it is
a product.

The parser is a small recursive-descent parser over tokens: it never calls
``eval``, rejects numbers too large to build, and reports errors with the
position in the text and the closest canonical names (difflib).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import sympy as sp

from .errors import ParseError, UnknownNameError
from .symbols import REGISTRY, canonical

#: functions of productivity a user may apply; the model supplies their definitions
FUNCTIONS = ("j", "k", "G", "g", "S", "V", "r", "r_d", "r_x", "pi", "pi_d", "pi_x", "p",
             "p_d", "p_x", "q", "phi_tilde")
#: user spellings of functions that are another function (r is domestic revenue)
FUNCTION_ALIASES = {"r": "r_d", "pi": "pi_d", "p": "p_d"}
#: symbols that stand for a productivity level (free variables of an equation)
VARIABLES = ("phi", "phi_1", "phi_2", "x", "omega")
_PRODUCTIVITY = {"phi", "phi_1", "phi_2", "x", "phi_star", "phi_x_star", "phi_star_A",
                 "phi_tilde", "phi_tilde_x", "phi_tilde_t", "omega"}
#: unit costs (Melitz and Ottaviano 2008): ``p(c)`` is the price of a firm of cost c
_COST = {"c", "c_D", "c_X", "c_bar"}
_GREEK = {"varphi": "phi", "phi": "phi", "vartheta": "theta", "varepsilon": "epsilon",
          "epsilon": "epsilon", "varrho": "rho", "varpi": "pi"}
_RELATIONS = {"=": sp.Eq, "<": sp.Lt, ">": sp.Gt, "<=": sp.Le, ">=": sp.Ge,
              "\\le": sp.Le, "\\leq": sp.Le, "\\ge": sp.Ge, "\\geq": sp.Ge, "\\lt": sp.Lt,
              "\\gt": sp.Gt, "\\equiv": sp.Eq, "\\leqslant": sp.Le, "\\geqslant": sp.Ge}
_IGNORED = {"\\left", "\\right", "\\big", "\\Big", "\\bigg", "\\Bigg", "\\bigl", "\\bigr",
            "\\Bigl", "\\Bigr", "\\biggl", "\\biggr", "\\displaystyle", "\\,", "\\;", "\\:",
            "\\!", "\\ ", "\\quad", "\\qquad", "\\limits", "&"}
_DECORATIONS = {"\\tilde": "tilde", "\\widetilde": "tilde", "\\bar": "bar",
                "\\overline": "bar", "\\hat": "hat", "\\widehat": "hat"}
_MAX_POWER = 64  # |exponent| allowed when both base and exponent are numbers

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<cmd>\\(?:[a-zA-Z]+|[,;:! {}|]))
  | (?P<num>\d+(?:\.\d*)?|\.\d+)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|<=|>=|[-+*/^_=<>(){}\[\],|'!&~])
""", re.VERBOSE)


@dataclass(frozen=True)
class Token:
    """A token: its kind, text and character position."""

    kind: str
    text: str
    pos: int


def is_latex(text: str) -> bool:
    """True if ``text`` is LaTeX (it holds a backslash or a brace)."""
    return any(c in text for c in "\\{}")


def tokenize(text: str, latex: bool) -> list[Token]:
    """Split ``text`` into tokens; in LaTeX identifiers split into letters."""
    out: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ParseError(_where(text, pos, f"unexpected character {text[pos]!r}"))
        kind = m.lastgroup
        tok = m.group()
        if kind == "space" or (kind == "op" and tok == "~") or tok in _IGNORED:
            pass
        elif kind == "ident" and latex:
            for i, ch in enumerate(tok):  # in LaTeX, 'ab' is a times b; '_' separates
                out.append(Token("op" if ch == "_" else ("num" if ch.isdigit() else "ident"),
                                 ch, pos + i))
        else:
            out.append(Token(kind, tok, pos))
        pos = m.end()
    out.append(Token("end", "", len(text)))
    return out


def _where(text: str, pos: int, message: str) -> str:
    return f"{message} at position {pos}:\n  {text}\n  {' ' * pos}^"


def known_names() -> list[str]:
    """Canonical names, aliases and function names a user may write."""
    names = set(REGISTRY) | set(FUNCTIONS) | set(VARIABLES)
    names |= {a for q in REGISTRY.values() for a in q.aliases}
    return sorted(names)


def suggest(name: str) -> str:
    """``"; did you mean ..."`` with the closest known names, or ``""``."""
    close = difflib.get_close_matches(name, known_names(), n=4, cutoff=0.5)
    return f"; did you mean {', '.join(close)}?" if close else ""


def _unknown(name: str, text: str, pos: int) -> UnknownNameError:
    params = ", ".join(q.name for q in REGISTRY.values() if q.kind == "parameter")
    outputs = ", ".join(q.name for q in REGISTRY.values() if q.kind == "output")
    return UnknownNameError(_where(
        text, pos, f"unknown name {name!r}{suggest(name)} (parameters: {params}; outputs: "
        f"{outputs}; functions: {', '.join(FUNCTIONS)})"))


def autarky(symbol: sp.Symbol) -> sp.Symbol:
    """The symbol standing for output ``symbol`` in autarky (``W`` -> ``W_A``)."""
    return sp.Symbol(f"{symbol.name}_A", positive=True)


def autarky_base(symbol: sp.Symbol) -> str | None:
    """Name of the output an autarky symbol (``W_A``, ``phi_star_A``) refers to, or None."""
    if symbol.name.endswith("_A"):
        base = symbol.name[:-2]
        if base in REGISTRY and REGISTRY[base].kind == "output":
            return base
    return None


#: paper notation for package names: Melitz's utility U is the aggregate Q,
#: welfare under trade W_T is W
_PAPER_NAMES = {"U": "Q", "W_T": "W"}


def _symbol_of(name: str) -> sp.Expr:
    name = _PAPER_NAMES.get(name, name)
    if name == "rho":
        from .models.ces import rho

        return rho()
    if name in ("phi_1", "phi_2", "omega"):
        return sp.Symbol(name, positive=True)
    if name == "oo":
        return sp.oo
    return REGISTRY[canonical(name)].symbol


def resolve(name: str) -> sp.Expr | None:
    """Expression of a user name (canonical, alias, ``W_A``), or None if unknown."""
    if name in ("rho", "phi_1", "phi_2", "omega", "oo") or name in _PAPER_NAMES:
        return _symbol_of(name)
    try:
        return _symbol_of(name)
    except UnknownNameError:
        pass
    if name.endswith("_A"):
        base = resolve(name[:-2])
        if isinstance(base, sp.Symbol) and REGISTRY.get(base.name) is not None \
                and REGISTRY[base.name].kind == "output":
            return autarky(base)
    return None


@dataclass(frozen=True)
class _Name:
    """A LaTeX name before resolution: decoration, base, subscript, star."""

    base: str
    sub: str = ""
    star: bool = False
    deco: str = ""
    pos: int = 0

    def candidates(self) -> list[str]:
        base = self.base
        parts = [base + (f"_{self.deco}" if self.deco else "")]
        if self.star:
            parts.append(parts[0] + "_star")
        out = []
        for p in parts[::-1] if self.star else parts:
            out.append(p + (f"_{self.sub}" if self.sub else ""))
            if self.sub and self.star:
                out.append(f"{base}_{self.sub}_star")
        return out

    def key(self) -> tuple:
        return (self.deco, self.base, self.sub, self.star)

    def function_name(self) -> str:
        name = self.base + (f"_{self.deco}" if self.deco else "") + (
            f"_{self.sub}" if self.sub else "")
        return name


class _Parser:
    """Recursive-descent parser shared by both syntaxes."""

    def __init__(self, text: str, latex: bool) -> None:
        self.text = text
        self.latex = latex
        self.toks = tokenize(text, latex)
        self.i = 0
        self.in_integral = 0

    # ----- token helpers -------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def peek(self, k: int = 1) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self) -> Token:
        t = self.tok
        self.i = min(self.i + 1, len(self.toks) - 1)
        return t

    def error(self, message: str, tok: Token | None = None) -> ParseError:
        tok = tok or self.tok
        return ParseError(_where(self.text, tok.pos, message))

    def expect(self, text: str) -> Token:
        if self.tok.text != text:
            found = repr(self.tok.text) if self.tok.kind != "end" else "end of input"
            raise self.error(f"expected {text!r}, found {found}")
        return self.next()

    def at(self, *texts: str) -> bool:
        return self.tok.text in texts and self.tok.kind != "end"

    # ----- grammar ----------------------------------------------------------------
    def parse(self) -> sp.Basic:
        if self.tok.kind == "end":
            raise self.error("empty equation")
        left = self.expr()
        if self.tok.text in _RELATIONS and self.tok.kind in ("op", "cmd"):
            rel = _RELATIONS[self.next().text]
            right = self.expr()
            if self.tok.text in _RELATIONS and self.tok.kind in ("op", "cmd"):
                raise self.error("chained relations are not supported; write one equation")
            result = rel(left, right, evaluate=False)
        else:
            result = left
        if self.tok.kind != "end":
            raise self.error(f"unexpected {self.tok.text!r}")
        return result

    def expr(self) -> sp.Expr:
        if self.at("+", "-"):
            sign = -1 if self.next().text == "-" else 1
            value = sign * self.term()
        else:
            value = self.term()
        while self.at("+", "-"):
            sign = -1 if self.next().text == "-" else 1
            value = value + sign * self.term()
        return value

    def term(self) -> sp.Expr:
        """Products and quotients; juxtaposition binds tighter than ``/``
        (``L/\\sigma f`` is :math:`L/(\\sigma f)`, as papers mean it)."""
        value = self.juxtaposed()
        while True:
            if self.at("*", "\\cdot", "\\times"):
                self.next()
                value = value * self.juxtaposed()
            elif self.at("/"):
                self.next()
                value = value / self.juxtaposed()
            else:
                return value

    def juxtaposed(self) -> sp.Expr:
        value = self.unary()
        while self.starts_atom() and not self.at_differential():
            value = value * self.power()
        return value

    def unary(self) -> sp.Expr:
        if self.at("-"):
            self.next()
            return -self.unary()
        if self.at("+"):
            self.next()
            return self.unary()
        return self.power()

    def power(self) -> sp.Expr:
        base = self.atom()
        if self.at("^", "**"):
            op = self.next()
            exp = self.unary() if op.text == "**" or not self.latex else self.script()
            if base.is_Number and exp.is_Number and abs(exp) > _MAX_POWER:
                raise self.error("number too large: exponent of a number above "
                                 f"{_MAX_POWER}", op)
            return sp.Pow(base, exp)
        return base

    def script(self) -> sp.Expr:
        """A LaTeX superscript: a braced group or a single token."""
        if self.at("{"):
            return self.group()
        if self.at("-"):  # tolerated: x^-1
            self.next()
            return -self.script()
        tok = self.tok
        if tok.kind == "num" and len(tok.text) > 1:  # x^23 is x^2 3 in LaTeX
            self.toks[self.i] = Token("num", tok.text[1:], tok.pos + 1)
            return _number(tok.text[0])
        return self.atom()

    def group(self) -> sp.Expr:
        self.expect("{")
        value = self.expr()
        self.expect("}")
        return value

    def starts_atom(self) -> bool:
        t = self.tok
        if t.kind in ("num", "ident"):
            return True
        if t.kind == "op":
            return t.text in ("(", "[", "{")
        if t.kind == "cmd":
            return t.text not in _RELATIONS and t.text not in (
                "\\cdot", "\\times", "\\}", "\\right", "\\in")
        return False

    def at_differential(self) -> bool:
        """Inside an integral: ``d`` followed by a variable ends the integrand."""
        if not self.in_integral:
            return False
        t = self.tok
        if t.kind == "cmd" and t.text in ("\\mathrm", "\\text", "\\operatorname") and \
                self.peek().text == "{" and self.peek(2).text == "d" and self.peek(3).text == "}":
            return True
        if t.text != "d" or t.kind != "ident":
            return False
        nxt = self.peek()
        return nxt.kind in ("ident", "cmd") and nxt.text not in _RELATIONS

    # ----- atoms --------------------------------------------------------------------
    def atom(self) -> sp.Expr:
        t = self.tok
        if t.kind == "num":
            self.next()
            return _number(t.text)
        if t.text in ("(", "["):
            close = ")" if t.text == "(" else "]"
            self.next()
            value = self.expr()
            self.expect(close)
            return value
        if t.text in ("{", "\\{"):
            self.next()
            value = self.expr()
            self.expect("}" if t.text == "{" else "\\}")
            return value
        if t.kind == "cmd":
            return self.command()
        if t.kind == "ident":
            return self.latex_name() if self.latex else self.identifier()
        if t.kind == "end":
            raise self.error("unexpected end of input")
        raise self.error(f"unexpected {t.text!r}")

    def command(self) -> sp.Expr:
        t = self.tok
        c = t.text
        if c in ("\\frac", "\\dfrac", "\\tfrac"):
            self.next()
            return self.fraction()
        if c == "\\sqrt":
            self.next()
            degree = sp.Integer(2)
            if self.at("["):
                self.next()
                degree = self.expr()
                self.expect("]")
            return sp.Pow(self.group(), 1 / degree)
        if c == "\\int":
            self.next()
            return self.integral()
        if c in ("\\ln", "\\log", "\\exp"):
            self.next()
            arg = self.function_argument()
            return sp.exp(arg) if c == "\\exp" else sp.log(arg)
        if c in ("\\max", "\\min"):
            self.next()
            args = self.brace_args()
            return (sp.Max if c == "\\max" else sp.Min)(*args)
        if c == "\\infty":
            self.next()
            return sp.oo
        if c in ("\\mathrm", "\\text", "\\operatorname", "\\mathit"):
            self.next()
            self.expect("{")
            words = []
            while not self.at("}"):
                if self.tok.kind == "end":
                    raise self.error("unclosed '{'")
                words.append(self.next().text)
            self.expect("}")
            word = "".join(words)
            return self.finish_name(_Name(word, pos=t.pos))
        if c in _DECORATIONS or c.lstrip("\\") in _GREEK or c[1:].isalpha():
            return self.latex_name()
        raise self.error(f"unsupported LaTeX {c!r}")

    def fraction(self) -> sp.Expr:
        start = self.i
        derivative = self.derivative_fraction()
        if derivative is not None:
            return derivative
        self.i = start
        num = self.argument()
        den = self.argument()
        return num / den

    def argument(self) -> sp.Expr:
        """A LaTeX macro argument: a braced group or one token (``\\frac1{\\sigma-1}``)."""
        if self.at("{"):
            return self.group()
        tok = self.tok
        if tok.kind == "num" and len(tok.text) > 1:
            self.toks[self.i] = Token("num", tok.text[1:], tok.pos + 1)
            return _number(tok.text[0])
        return self.atom()

    def derivative_fraction(self) -> sp.Expr | None:
        r"""``\frac{\partial Y}{\partial X}`` or ``\frac{dY}{dX}``, else None."""
        if not self.at("{"):
            return None
        first = self.peek()
        if first.text not in ("\\partial", "d"):
            return None
        self.next()
        self.next()
        if self.at("}"):
            return None
        try:
            y = self.expr()
            self.expect("}")
            self.expect("{")
            if self.tok.text not in ("\\partial", "d"):
                return None
            self.next()
            x = self.atom()
            self.expect("}")
        except ParseError:
            return None
        if not isinstance(x, sp.Symbol):
            raise self.error("a derivative is taken with respect to one parameter")
        return sp.Derivative(y, x, evaluate=False)

    def function_argument(self) -> sp.Expr:
        if self.at("(", "[", "{", "\\{"):
            return self.atom()
        return self.power()

    def brace_args(self) -> list[sp.Expr]:
        opener = self.tok.text
        closer = {"\\{": "\\}", "(": ")", "[": "]", "{": "}"}.get(opener)
        if closer is None:
            raise self.error("expected a bracketed argument list")
        self.next()
        args = [self.expr()]
        while self.at(","):
            self.next()
            args.append(self.expr())
        self.expect(closer)
        return args

    def integral(self) -> sp.Expr:
        lower = upper = None
        for _ in range(2):
            if self.at("_"):
                self.next()
                lower = self.bound()
            elif self.at("^"):
                self.next()
                upper = self.bound()
        self.in_integral += 1
        try:
            body = self.expr() if not self.at_differential() else sp.Integer(1)
            if not self.at_differential():
                raise self.error("integral without a differential such as d\\varphi")
        finally:
            self.in_integral -= 1
        if self.tok.kind == "cmd":  # \mathrm{d}
            self.i += 4
        else:
            self.next()
        start = self.tok
        measure = self.atom()
        if isinstance(measure, sp.Symbol):
            var = measure
        elif isinstance(measure, sp.core.function.AppliedUndef) and len(measure.args) == 1 \
                and isinstance(measure.args[0], sp.Symbol):
            var = measure.args[0]  # Stieltjes: dG(x) = G'(x) dx
            body = body * sp.Derivative(measure, var)
        else:
            raise self.error("the differential must be d<variable> or dG(<variable>)", start)
        if lower is None and upper is None:
            return sp.Integral(body, var)
        if lower is None or upper is None:
            raise self.error("an integral needs both bounds or none", start)
        return sp.Integral(body, (var, lower, upper))

    def bound(self) -> sp.Expr | None:
        """An integral bound; None for an index set such as ``_{\\omega \\in \\Omega}``."""
        if not self.at("{"):
            return self.script()
        j, depth, index_set = self.i, 0, False
        while True:
            tok = self.toks[j]
            if tok.kind == "end":
                raise self.error("unclosed '{'", self.tok)
            depth += tok.text == "{"
            depth -= tok.text == "}"
            index_set |= tok.text == "\\in"
            if depth == 0:
                break
            j += 1
        if index_set:
            self.i = j + 1
            return None
        return self.group()

    # ----- names --------------------------------------------------------------------
    def latex_name(self) -> sp.Expr:
        t = self.tok
        deco = ""
        if t.kind == "cmd" and t.text in _DECORATIONS:
            deco = _DECORATIONS[self.next().text]
            if self.at("{"):
                self.next()
                inner = self.next()
                self.expect("}")
            else:
                inner = self.next()
        else:
            inner = self.next()
        if inner.kind == "cmd":
            base = inner.text[1:]
            base = _GREEK.get(base, base)
        elif inner.kind == "ident":
            base = inner.text
        else:
            raise self.error(f"expected a name, found {inner.text!r}", inner)
        if base == "e" and not deco and not self.at("_"):
            return sp.E
        if base in ("partial", "in", "to", "mid"):
            raise self.error(f"unexpected {inner.text!r}", inner)
        sub, star = "", False
        while self.at("_", "^"):
            if self.at("_"):
                if sub:
                    break
                self.next()
                sub = self.subscript()
            else:
                nxt = self.peek()
                if nxt.text == "*":
                    self.i += 2
                    star = True
                elif nxt.text == "{" and self.peek(2).text == "*":
                    if self.peek(3).text == "}":
                        self.i += 4
                        star = True
                    else:  # \varphi^{*\,\sigma-1}: star, then an exponent
                        self.i += 3
                        value = self.finish_name(_Name(base, sub, True, deco, t.pos))
                        exp = self.expr()
                        self.expect("}")
                        return sp.Pow(value, exp)
                else:
                    break
        return self.finish_name(_Name(base, sub, star, deco, t.pos))

    def subscript(self) -> str:
        if self.at("{"):
            self.next()
            parts = []
            while not self.at("}"):
                tok = self.next()
                if tok.kind == "end":
                    raise self.error("unclosed '{' in a subscript", tok)
                if tok.text not in (",",):
                    parts.append(tok.text.lstrip("\\"))
            self.next()
            return "".join(parts)
        tok = self.next()
        if tok.kind not in ("ident", "num", "cmd"):
            raise self.error("expected a subscript", tok)
        return tok.text.lstrip("\\")

    def finish_name(self, name: _Name) -> sp.Expr:
        """Resolve a name; apply it as a function if parentheses follow."""
        if self.at("(") and name.function_name() in FUNCTIONS:
            return self.apply(name.function_name(), name.pos,
                              self.resolve_latex(name, allow_missing=True))
        return self.resolve_latex(name)

    def resolve_latex(self, name: _Name, allow_missing: bool = False) -> sp.Expr | None:
        table = _latex_table()
        if name.key() in table:
            return table[name.key()]
        for cand in name.candidates():
            value = resolve(cand)
            if value is not None:
                return value
        if allow_missing:
            return None
        raise _unknown(name.candidates()[0], self.text, name.pos)

    def identifier(self) -> sp.Expr:
        t = self.next()
        name = t.text
        if name == "d" and (self.tok.kind == "ident" or self.at("(")):
            return self.plain_derivative(t)
        if self.at("("):
            if name in ("exp", "log", "ln", "sqrt", "Max", "Min", "Abs"):
                args = self.brace_args()
                fn = {"exp": sp.exp, "log": sp.log, "ln": sp.log, "sqrt": sp.sqrt,
                      "Max": sp.Max, "Min": sp.Min, "Abs": sp.Abs}[name]
                return fn(*args)
            if name in ("Derivative", "diff", "elasticity"):
                args = self.brace_args()
                if len(args) != 2 or not isinstance(args[1], sp.Symbol):
                    raise self.error(f"{name}(expression, parameter) expected", t)
                d = sp.Derivative(args[0], args[1], evaluate=False)
                return d if name != "elasticity" else args[1] * d / args[0]
            if name == "Integral":
                return self.plain_integral(t)
            fname = FUNCTION_ALIASES.get(name, name) if name in FUNCTIONS else None
            if fname is not None:
                return self.apply(fname, t.pos, resolve(name))
        value = resolve(name)
        if value is None:
            raise _unknown(name, self.text, t.pos)
        return value

    def plain_derivative(self, t: Token) -> sp.Expr:
        """``d Y/d X`` in sympy syntax."""
        y = self.atom()
        self.expect("/")
        if self.tok.text != "d":
            raise self.error("expected 'd' of the derivative's denominator (d Y/d X)")
        self.next()
        x = self.atom()
        if not isinstance(x, sp.Symbol):
            raise self.error("a derivative is taken with respect to one parameter", t)
        return sp.Derivative(y, x, evaluate=False)

    def plain_integral(self, t: Token) -> sp.Expr:
        self.expect("(")
        body = self.expr()
        self.expect(",")
        self.expect("(")
        var = self.expr()
        self.expect(",")
        lo = self.expr()
        self.expect(",")
        hi = self.expr()
        self.expect(")")
        self.expect(")")
        if not isinstance(var, sp.Symbol):
            raise self.error("the integration variable must be a name", t)
        return sp.Integral(body, (var, lo, hi))

    def apply(self, fname: str, pos: int, as_symbol: sp.Expr | None) -> sp.Expr:
        """``name(arg)``: a function of productivity (or unit cost), or a product for a
    symbol."""
        open_tok = self.tok
        args = self.brace_args()
        productivity = all(any(s.name in _PRODUCTIVITY | _COST for s in a.free_symbols)
                           for a in args)
        if as_symbol is not None and (not productivity or len(args) != 1):
            if len(args) != 1:
                raise self.error("a product needs one parenthesised factor", open_tok)
            return as_symbol * args[0]
        if len(args) != 1:
            raise self.error(f"{fname} takes one argument", open_tok)
        return sp.Function(FUNCTION_ALIASES.get(fname, fname))(args[0])


def _number(text: str) -> sp.Rational:
    if len(text.replace(".", "")) > 30:
        raise ParseError(f"number {text[:20]}... has too many digits")
    return sp.Rational(text)


_TABLES: dict[str, dict] = {}


def _latex_table() -> dict[tuple, sp.Symbol]:
    """(decoration, base, subscript, star) -> symbol, from the registry's LaTeX."""
    if "latex" not in _TABLES:
        table = {}
        for q in REGISTRY.values():
            try:
                key = _KeyParser(q.latex, latex=True).key_of()
            except (ParseError, UnknownNameError):
                continue
            if key is not None:
                table.setdefault(key, q.symbol)
        _TABLES["latex"] = table
    return _TABLES["latex"]


class _KeyParser(_Parser):
    """Reads a registry LaTeX string as a single name and returns its key."""

    def finish_name(self, name: _Name) -> sp.Expr:
        self.found = name
        return sp.Integer(0)

    def key_of(self) -> tuple | None:
        self.found = None
        if self.tok.kind not in ("ident", "cmd"):
            return None
        self.latex_name()
        if self.tok.kind != "end" or self.found is None:
            return None
        return self.found.key()


def parse(text: str) -> sp.Basic:
    """Parse an equation, relation or expression; LaTeX or sympy syntax.

    Returns
    -------
    sympy ``Eq``, an inequality, or an expression, in the registry's canonical
    symbols.  Functions of productivity are undefined sympy functions named as
    in :data:`FUNCTIONS`; integrals and derivatives stay unevaluated.

    Raises
    ------
    ParseError
        Malformed input; the message shows the position.
    UnknownNameError
        A name that is not in the registry; the message suggests close names.
    """
    if not isinstance(text, str):
        raise ParseError(f"expected a string, got {type(text).__name__}")
    text = text.strip().rstrip(".").strip()
    for junk in ("$$", "\\[", "\\]", "$"):
        if text.startswith(junk) and text.endswith(junk if junk != "\\[" else "\\]"):
            text = text[len(junk):len(text) - (len(junk) if junk != "\\[" else 2)].strip()
    if len(text) > 2000:
        raise ParseError("equation longer than 2000 characters")
    try:
        if is_latex(text):
            return _Parser(text, latex=True).parse()
        try:
            return _Parser(text, latex=False).parse()
        except UnknownNameError:  # M_x = p_xM: LaTeX without backslashes
            try:
                return _Parser(text, latex=True).parse()
            except (ParseError, UnknownNameError):
                pass
            raise
    except RecursionError:
        raise ParseError("expression nested too deeply") from None
    except (TypeError, ValueError, ZeroDivisionError, AttributeError) as exc:
        if isinstance(exc, (ParseError, UnknownNameError)):
            raise
        raise ParseError(f"cannot build the expression: {exc}") from None


def parse_equation(text: str) -> sp.Eq:
    """Parse ``text`` and require an equation ``lhs = rhs``."""
    result = parse(text)
    if not isinstance(result, sp.Eq):
        if isinstance(result, sp.core.relational.Relational):
            raise ParseError(f"expected an equation, got the inequality {text!r}; "
                             "use claims for inequalities")
        raise ParseError(f"expected an equation 'lhs = rhs', got the expression {text!r}")
    return result
