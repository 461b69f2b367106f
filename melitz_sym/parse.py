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

Names are resolved through one table, :func:`spellings`, built from the
symbol registry (:mod:`melitz_sym.symbols`): its LaTeX forms, canonical ASCII
names and aliases (``\theta`` means the Pareto shape ``k``; ``\gamma`` is
Melitz-Ottaviano's ``gamma``), the literature's spellings (``\bar{\varphi}``
for the average productivity, ``\underline{\varphi}`` and ``\phi_{min}`` for
``b``, ``W_T`` for welfare under trade), autarky names (``W_A``: the output in
autarky, ``n = 0``), subscripts in either case (``\varphi_X^*``, ``M_T``) and a
domestic subscript (``\varphi_d^*``).  A name is its decoration, base,
subscript and star together: a combination the table does not list is a
:class:`ParseError` saying which part is not understood, never resolved by
dropping the part (``\tilde{\varphi}^*_x`` is refused, not read as
``\varphi^*_x``).  Users add spellings with ``aliases`` (:func:`alias_table`).
``\rho`` is :math:`(\sigma - 1)/\sigma`.  A name followed by parentheses is a
function application when the name is a function of productivity (``j``,
``k``, ``G``, ``g``, ``S``, ``V``, ``r``, ``r_d``, ``r_x``, ``\pi``, ``\pi_x``,
``p``, ``p_x``, ``q``, ``\tilde{\varphi}``) and the argument is a productivity
(Melitz's function :math:`k(\varphi^*)` versus the shape in
:math:`k(\sigma - 1)`); otherwise it is a product.  A one-token superscript is
that token alone: ``b^k (\varphi^*)^{-k}`` is :math:`b^k` times a power.
``\varphi(\omega)`` is the productivity of the producer of variety ``\omega``.

A text may hold several relations: chains ``a = b = c`` (one link per
relation) and equations separated by commas, ``\quad``, ``\text{or}``,
``\text{and}`` or ``\\`` (an aligned line ``&= c`` continues the chain); see
:func:`parse_equations`.  ``\underbrace{x}_{...}`` and ``\overbrace{x}^{...}``
are ``x``; ``\left.``, ``\right.``, spacing and ``\begin{aligned}`` are ignored.

The parser is a small recursive-descent parser over tokens: it never calls
``eval``, rejects numbers too large to build, and reports errors with the
position in the text and the closest canonical names (difflib).
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp

from .errors import MelitzError, ParseError, UnknownNameError
from .symbols import REGISTRY

#: functions of productivity a user may apply; the model supplies their definitions
FUNCTIONS = ("j", "k", "kappa", "G", "g", "S", "V", "r", "r_d", "r_x", "pi", "pi_d", "pi_x",
             "p", "p_d", "p_x", "q", "phi_tilde")
#: user spellings of functions that are another function (r is domestic revenue;
#: \kappa is Melitz's k as the documents print it, apart from the shape k)
FUNCTION_ALIASES = {"r": "r_d", "pi": "pi_d", "p": "p_d", "kappa": "k"}
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
            "\\!", "\\ ", "\\limits", "&", "\\nonumber", "\\notag"}
#: separators of several equations in one text, at the top level (inside a group
#: the spacing commands are spacing); ``\text{or}``, ``\text{and}`` also separate
_SEPARATORS = {"\\quad", "\\qquad", "\\\\", ","}
_SPACING = {"\\quad", "\\qquad"}
_CONJUNCTIONS = {"or", "and"}
_TEXT_COMMANDS = ("\\text", "\\mathrm", "\\textrm", "\\mbox", "\\textnormal")
#: commands whose braced argument is a name written as a word (\mathrm{min})
_NAME_COMMANDS = ("\\mathrm", "\\text", "\\operatorname", "\\mathit", "\\textrm")
_OPENING = {"(", "[", "{", "\\{"}
_CLOSING = {")", "]", "}", "\\}"}
_DECORATIONS = {"\\tilde": "tilde", "\\widetilde": "tilde", "\\bar": "bar",
                "\\overline": "bar", "\\hat": "hat", "\\widehat": "hat",
                "\\underline": "underline"}
_DECORATION_NAMES = frozenset(_DECORATIONS.values())
#: Greek letters written without their backslash in an alias (``varphi_d^*``)
_GREEK_COMMANDS = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu "
    "nu xi pi varpi rho varrho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta "
    "Lambda Xi Pi Sigma Phi Psi Omega".split())
_MAX_POWER = 64  # |exponent| allowed when both base and exponent are numbers

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<skip>\\(?:left|right)\s*\.|\\(?:begin|end)\s*\{[a-zA-Z*]*\}
      |\\(?:tag\*?|label)\s*\{[^{}]*\})
  | (?P<cmd>\\(?:[a-zA-Z]+|[,;:! {}|\\]))
  | (?P<num>\d+(?:\.\d*)?|\.\d+)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|<=|>=|[-+*/^_=<>(){}\[\],|'!&~])
""", re.VERBOSE)


class _NamePartError(ParseError):
    """A name in sympy syntax with a part not understood (it may be LaTeX: ``p_xM``)."""


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
        if kind in ("space", "skip") or (kind == "op" and tok == "~") or tok in _IGNORED:
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


def segments(toks: list[Token]) -> list[list[Token]]:
    r"""Split tokens at the top-level separators of several equations.

    Separators are ``\quad``, ``\qquad``, ``\\``, commas and ``\text{or}``,
    ``\text{and}`` outside any bracket; inside brackets ``\quad`` is spacing.
    Each segment ends with an ``end`` token; empty segments and equation
    numbers such as ``(12)`` are dropped.
    """
    out: list[list[Token]] = []
    current: list[Token] = []
    depth, i = 0, 0
    while toks[i].kind != "end":
        t = toks[i]
        width = _conjunction(toks, i) if depth == 0 else 0
        if depth == 0 and (width or (t.text in _SEPARATORS and t.kind in ("op", "cmd"))):
            out.append(current)
            current = []
            i += width or 1
            continue
        if t.kind in ("op", "cmd"):
            depth += (t.text in _OPENING) - (t.text in _CLOSING)
        if t.text not in _SPACING:
            current.append(t)
        i += 1
    out.append(current)
    end = toks[-1]
    return [seg + [Token("end", "", seg[-1].pos + len(seg[-1].text))] for seg in out
            if seg and not _equation_number(seg)] or [[end]]


def _conjunction(toks: list[Token], i: int) -> int:
    r"""Number of tokens of ``\text{or}`` / ``\text{and}`` at ``i``, else 0."""
    if toks[i].text not in _TEXT_COMMANDS or toks[i + 1].text != "{":
        return 0
    j = i + 2
    while toks[j].kind == "ident":
        j += 1
    word = "".join(t.text for t in toks[i + 2:j])
    return j + 1 - i if toks[j].text == "}" and word in _CONJUNCTIONS else 0


def _equation_number(seg: list[Token]) -> bool:
    """``(12)``: an equation number, not an equation."""
    return [t.kind for t in seg] == ["op", "num", "op"] and seg[0].text == "(" \
        and seg[2].text == ")"


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


#: spellings of the literature beyond the registry's (name -> quantity): Melitz's
#: utility U is the aggregate Q, welfare under trade W_T is W, a bar over the
#: productivity is its average, the underlined productivity is the lower bound b
_LITERATURE = {"U": "Q", "W_T": "W", "phi_bar": "phi_tilde", "phi_bar_x": "phi_tilde_x",
               "phi_bar_t": "phi_tilde_t", "phi_underline": "b"}
#: productivity variables and other names that are not registry quantities
_SPECIAL = ("rho", "phi_1", "phi_2", "omega")
#: subscripts read in either case: x export, d domestic, t total, e entry, I FDI
_EITHER_CASE = {"x": "X", "d": "D", "t": "T", "e": "E", "I": "i"}
#: subscripts meaning "domestic": the quantity without subscript, for the quantities
#: that are domestic by definition (not pi_bar or r_bar, which average over markets)
_DOMESTIC = ("d", "D")
_DOMESTIC_QUANTITIES = ("phi_star", "phi_tilde", "M", "lam", "f")


def _symbol_of(name: str) -> sp.Expr:
    """Expression of a resolved name (registry name, special, or ``X_A``)."""
    if name == "rho":
        from .models.ces import rho

        return rho()
    if name in _SPECIAL:
        return sp.Symbol(name, positive=True)
    if name in REGISTRY:
        return REGISTRY[name].symbol
    return autarky(REGISTRY[name[:-2]].symbol)


def _ascii_key(name: str) -> tuple:
    """Key (decoration, base, subscript, star) of an ASCII name: ``phi_tilde_x`` is
    (tilde, phi, x, False), ``phi_x_star`` is ('', phi, x, True)."""
    base, *rest = name.split("_")
    deco = next((r for r in rest if r in _DECORATION_NAMES), "")
    if deco:
        rest.remove(deco)
    star = "star" in rest
    if star:
        rest.remove("star")
    return (deco, _GREEK.get(base, base), "_".join(rest), star)


def _spelled(key: tuple) -> str:
    """A key written back in LaTeX, for messages (``\\tilde{phi}^*_x``)."""
    deco, base, sub, star = key
    out = f"\\{deco}{{{base}}}" if deco else base
    return out + ("^*" if star else "") + (f"_{{{sub}}}" if sub else "")


def _build_spellings() -> tuple[dict[tuple, str], dict[tuple, tuple[str, ...]]]:
    """Every accepted spelling of every quantity, and the spellings refused as ambiguous.

    Spellings are claimed in rounds, earlier rounds first: (1) the registry's
    LaTeX and ASCII names of parameters and outputs and the productivity
    variables; (2) those of internal symbols; (3) registry aliases, the
    literature's spellings (:data:`_LITERATURE`) and autarky names (``W_A``);
    (4) a subscript in the other case (:data:`_EITHER_CASE`: ``\\varphi_X^*``,
    ``M_T``, ``c_d``); (5) a domestic subscript ``d``/``D`` on a quantity that is
    domestic by definition (:data:`_DOMESTIC_QUANTITIES`: ``\\varphi_d^*``, ``M_D``;
    not ``\\bar\\pi_d``, which would be the domestic part of the average profit).
    A spelling claimed by two quantities in one round, and by none before, is
    ambiguous and refused.
    """
    rounds: list[list[tuple[tuple, str]]] = [[], [], [], [], []]
    for q in REGISTRY.values():
        first = 1 if q.kind == "internal" else 0
        rounds[first].append((_ascii_key(q.name), q.name))
        key = _latex_key(q.latex)
        if key is not None:
            rounds[first].append((key, q.name))
        rounds[2].extend((_ascii_key(a), q.name) for a in q.aliases)
        if q.kind == "output" and not _ascii_key(q.name)[2]:  # W_A: W in autarky
            rounds[2].append((_ascii_key(f"{q.name}_A"), f"{q.name}_A"))
    rounds[0].extend((_ascii_key(s), s) for s in _SPECIAL)
    rounds[2].extend((_ascii_key(k), v) for k, v in _LITERATURE.items())
    table: dict[tuple, str] = {}
    ambiguous: dict[tuple, tuple[str, ...]] = {}
    for number, claims in enumerate(rounds):
        if number >= 3:
            claims = _variants(table, domestic=number == 4)
        found: dict[tuple, set[str]] = {}
        for key, name in claims:
            if key not in table and key not in ambiguous:
                found.setdefault(key, set()).add(name)
        for key, names in found.items():
            if len(names) == 1:
                table[key] = names.pop()
            else:
                ambiguous[key] = tuple(sorted(names))
    return table, ambiguous


def _variants(table: Mapping[tuple, str], domestic: bool) -> list[tuple[tuple, str]]:
    """Rounds 4 and 5 of :func:`_build_spellings`: a subscript in the other case, or
    (``domestic``) a domestic subscript ``d``/``D`` added."""
    out = []
    for (deco, base, sub, star), name in table.items():
        if domestic and not sub and name in _DOMESTIC_QUANTITIES:
            out.extend(((deco, base, d, star), name) for d in _DOMESTIC)
        elif not domestic and (sub in _EITHER_CASE or sub in _EITHER_CASE.values()):
            other = _EITHER_CASE.get(sub) or next(k for k, v in _EITHER_CASE.items() if v == sub)
            out.append(((deco, base, other, star), name))
    return out


def spellings() -> dict[tuple, str]:
    """Accepted spellings: key (decoration, base, subscript, star) -> resolved name.

    The name is a registry name, an autarky name (``W_A``), or one of
    :data:`_SPECIAL`.  A name is resolved through this table only: a
    decoration, subscript or star it does not list is refused, never dropped.
    """
    if "spellings" not in _TABLES:
        _TABLES["spellings"], _TABLES["ambiguous"] = _build_spellings()
    return _TABLES["spellings"]


def ambiguous_spellings() -> dict[tuple, tuple[str, ...]]:
    """Spellings two quantities claim at the same rank (refused); empty by design."""
    spellings()
    return _TABLES["ambiguous"]


def resolve(name: str, aliases: Mapping[tuple, str] | None = None) -> sp.Expr | None:
    """Expression of an ASCII user name (canonical, alias, ``W_A``), or None if unknown."""
    if name == "oo":
        return sp.oo
    found = _lookup(_ascii_key(name), aliases)
    if isinstance(found, sp.Basic):
        return found
    return None if found is None else _symbol_of(found)


def _lookup(key: tuple, aliases: Mapping[tuple, str | None] | None) -> str | None:
    if aliases and key in aliases:
        if aliases[key] is None:
            raise ParseError(f"the name {_spelled(key)} means another quantity in this model "
                             "than the package's default; name it with an alias")
        return aliases[key]
    if key in ambiguous_spellings():
        raise ParseError(f"the name {_spelled(key)} is ambiguous: it may be "
                         f"{' or '.join(ambiguous_spellings()[key])}; use an alias")
    return spellings().get(key)


def _explain(key: tuple, aliases: Mapping[tuple, str] | None, written: str) -> str | None:
    """Which part of an unresolved name is not understood, or None if none helps.

    The parts (decoration, subscript, star) are dropped one at a time, then two
    at a time; the first name that resolves shows what the rest would mean.
    """
    deco, base, sub, star = key
    parts = [("the decoration \\" + deco, 0, "")] if deco else []
    parts += [(f"the subscript {sub!r}", 2, "")] if sub else []
    parts += [("the star (^*)", 3, False)] if star else []
    for size in (1, 2, 3):
        for dropped in itertools.combinations(parts, size):
            reduced = list(key)
            for _, index, empty in dropped:
                reduced[index] = empty
            found = _lookup(tuple(reduced), aliases)
            if found is not None:
                what = " and ".join(p[0] for p in dropped)
                verb = "is" if size == 1 else "are"
                shown = REGISTRY[found].latex if found in REGISTRY else _spelled(tuple(reduced))
                return (f"{what} of {written} {verb} not understood: without it, "
                        f"{shown} is {found}, but no quantity is written {written} "
                        f"(name one with an alias, e.g. --alias '{written}=NAME')")
    return None


def alias_table(aliases: Mapping[str, str | None] | None) -> dict[tuple, str | None]:
    r"""User aliases ``{spelling: name}`` as keys of :func:`spellings`.

    A spelling is LaTeX (``\varphi_d^*``, also without the backslash:
    ``varphi_d^*``) or ASCII (``theta``, ``phi_d_star``); a name is any name
    :func:`resolve` accepts (``k``, ``phi_star``, ``W_A``), or None: the spelling
    is refused (a model that uses it for a quantity verify does not read).

    Raises
    ------
    ParseError
        For a spelling that is not one name, or a name that is unknown.
    """
    out: dict[tuple, str | None] = {}
    for spelling, target in (aliases or {}).items():
        text = str(spelling).strip()
        if any(c in text for c in "\\{}^"):  # LaTeX, perhaps without its backslash
            word = re.match(r"[A-Za-z]+", text)
            if word and word.group() in _GREEK_COMMANDS:
                text = "\\" + text
            key = _latex_key(text)
        else:
            key = _ascii_key(text) if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", text) else None
        if key is None:
            raise ParseError(f"alias {spelling!r}: the spelling must be one name such as "
                             "\\varphi_d^* or theta")
        if isinstance(target, sp.Basic):  # a model's own symbol (N-country aggregates)
            out[key] = target
            continue
        name = None if target is None else _lookup(_ascii_key(str(target).strip()), None)
        if name is None and target is not None:
            raise ParseError(f"alias {spelling!r}: unknown target {target!r}{suggest(target)}")
        out[key] = name
    return out


def _latex_key(text: str) -> tuple | None:
    """Key of a LaTeX text that is one name, else None."""
    try:
        return _KeyParser(text, latex=True).key_of()
    except (ParseError, UnknownNameError):
        return None


@dataclass(frozen=True)
class _Name:
    """A LaTeX name before resolution: decoration, base, subscript, star, position."""

    base: str
    sub: str = ""
    star: bool = False
    deco: str = ""
    pos: int = 0

    def key(self) -> tuple:
        return (self.deco, self.base, self.sub, self.star)

    def function_name(self) -> str:
        """Name as a function of productivity (``\\pi_X`` is ``pi_x``)."""
        sub = self.sub.lower() if self.sub in ("D", "X") else self.sub
        return self.base + (f"_{self.deco}" if self.deco else "") + (f"_{sub}" if sub else "")


class _Parser:
    """Recursive-descent parser shared by both syntaxes."""

    def __init__(self, text: str, latex: bool, toks: list[Token] | None = None,
                 aliases: Mapping[tuple, str] | None = None) -> None:
        self.text = text
        self.latex = latex
        if toks is None:
            toks = [t for t in tokenize(text, latex) if t.text not in _SPACING]
        self.toks = toks
        self.aliases = aliases
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

    def at_relation(self) -> bool:
        return self.tok.text in _RELATIONS and self.tok.kind in ("op", "cmd")

    # ----- grammar ----------------------------------------------------------------
    def chain(self) -> tuple[list[tuple[sp.Expr, int, int]], list[str]]:
        """``e0 rel e1 rel e2 ...``: the expressions with their spans in the text, and
        the relations between them; a leading relation (``&= e1``, an aligned line)
        continues the previous segment's chain."""
        if self.tok.kind == "end":
            raise self.error("empty equation")
        exprs, rels = [], []
        if not self.at_relation():
            exprs.append(self.spanned())
        while self.at_relation():
            rels.append(self.next().text)
            exprs.append(self.spanned())
        if self.tok.kind != "end":
            raise self.error(f"unexpected {self.tok.text!r}")
        return exprs, rels

    def spanned(self) -> tuple[sp.Expr, int, int]:
        start = self.tok.pos
        value = self.expr()
        last = self.toks[max(self.i - 1, 0)]
        return value, start, last.pos + len(last.text)

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
        if tok.kind == "ident" or (tok.kind == "cmd" and tok.text[1:] in _GREEK_COMMANDS):
            # one token: b^k (x) is b^k times (x), never the function k applied
            self.next()
            name = _Name(_GREEK.get(tok.text.lstrip("\\"), tok.text.lstrip("\\")),
                         pos=tok.pos)
            if name.base == "e":
                return sp.E
            return self.resolve_latex(name)
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
        if c in _NAME_COMMANDS:
            return self.latex_name()
        if c in ("\\underbrace", "\\overbrace"):  # \underbrace{x}_{note}: x
            self.next()
            value = self.group()
            if self.at("_" if c == "\\underbrace" else "^"):
                self.next()
                self.skip_argument()
            return value
        if c in _DECORATIONS or c.lstrip("\\") in _GREEK or c[1:].isalpha():
            return self.latex_name()
        raise self.error(f"unsupported LaTeX {c!r}")

    def skip_argument(self) -> None:
        """Skip a braced group (balanced) or one token: an annotation, not mathematics."""
        if self.at("{"):
            self.braced()
        else:
            self.next()

    def braced(self) -> list[Token]:
        """The tokens inside a balanced braced group (which is consumed)."""
        self.expect("{")
        inside, depth = [], 1
        while True:
            tok = self.next()
            if tok.kind == "end":
                raise self.error("unclosed '{'", tok)
            depth += (tok.text == "{") - (tok.text == "}")
            if depth == 0:
                return inside
            inside.append(tok)

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
            logarithmic = self.at("\\ln", "\\log")  # d ln Y / d ln X: an elasticity
            if logarithmic:
                self.next()
            x = self.atom()
            self.expect("}")
        except ParseError:
            return None
        if not isinstance(x, sp.Symbol):
            raise self.error("a derivative is taken with respect to one quantity")
        derivative = sp.Derivative(y, x, evaluate=False)
        return x * derivative if logarithmic else derivative

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
        r"""A name: ``\tilde{\varphi}_x``, ``\tilde{\varphi_x}``, ``\varphi^*_{x}``, ``f_X``.

        Every decoration, subscript and star is part of the name's key; a key
        :func:`spellings` does not list is refused (see :meth:`resolve_latex`).
        """
        t = self.tok
        deco = ""
        if t.kind == "cmd" and t.text in _DECORATIONS:
            deco = _DECORATIONS[self.next().text]
            braced = self.at("{")
            if braced:
                self.next()
            inner = self.next()
            base = self.base_of(inner)
            sub, star, power = self.suffixes(base, "", False, deco, t) if braced else ("", False,
                                                                                        None)
            if power is not None:
                raise self.error("an exponent inside a decoration", inner)
            if braced:
                self.expect("}")
        else:
            inner = self.next()
            base, sub, star = self.base_of(inner), "", False
        if base == "e" and not deco and not self.at("_"):
            return sp.E
        sub, star, power = self.suffixes(base, sub, star, deco, t)
        return power if power is not None else self.finish_name(_Name(base, sub, star, deco,
                                                                      t.pos))

    def base_of(self, inner: Token) -> str:
        """The base of a name: a letter, a Greek command, or a word in ``\\mathrm{...}``."""
        if inner.text in _NAME_COMMANDS:
            return "".join(tok.text for tok in self.braced())
        if inner.kind == "cmd":
            base = inner.text[1:]
            base = _GREEK.get(base, base)
        elif inner.kind == "ident":
            base = inner.text
        else:
            raise self.error(f"expected a name, found {inner.text!r}", inner)
        if base in ("partial", "in", "to", "mid"):
            raise self.error(f"unexpected {inner.text!r}", inner)
        return base

    def suffixes(self, base: str, sub: str, star: bool, deco: str,
                 start: Token) -> tuple[str, bool, sp.Expr | None]:
        r"""Subscript and star after a name; ``(sub, star, power)`` where ``power`` is
        the whole name raised to an exponent written with the star (``\varphi^{*\,a}``)."""
        while self.at("_", "^"):
            if self.at("_"):
                if sub:
                    raise self.error("a second subscript on one name")
                self.next()
                sub = self.subscript()
                continue
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
                    while self.at("_"):
                        self.next()
                        sub = self.subscript()
                    value = self.finish_name(_Name(base, sub, True, deco, start.pos))
                    exp = self.expr()
                    self.expect("}")
                    return sub, True, sp.Pow(value, exp)
            else:
                break
        return sub, star, None

    def subscript(self) -> str:
        r"""A subscript as text: ``x``, ``{in}``, ``{\min}``, ``{\text{x}}``, ``{i,j}`` (``ij``)."""
        if not self.at("{"):
            tok = self.next()
            if tok.kind not in ("ident", "num", "cmd"):
                raise self.error("expected a subscript", tok)
            return tok.text.lstrip("\\")
        return "".join(tok.text.lstrip("\\") for tok in self.braced()
                       if tok.text not in (",", "{", "}") and tok.text not in _TEXT_COMMANDS)

    def finish_name(self, name: _Name) -> sp.Expr:
        """Resolve a name; apply it as a function if parentheses follow."""
        if self.at("(") and name.function_name() in FUNCTIONS:
            try:
                value = self.resolve_latex(name)
            except MelitzError:
                value = None
            return self.apply(name.function_name(), name.pos, value)
        if name.key() == ("", "phi", "", False) and self.at("(") and \
                self.peek().text == "\\omega" and self.peek(2).text == ")":
            self.i += 3  # \varphi(\omega): the productivity of variety omega's producer
            return _symbol_of("omega")
        return self.resolve_latex(name)

    def resolve_latex(self, name: _Name) -> sp.Expr:
        """The quantity of a name; a part the table cannot account for is an error."""
        found = _lookup(name.key(), self.aliases)
        if isinstance(found, sp.Basic):
            return found
        if found is not None:
            return _symbol_of(found)
        last = self.toks[max(self.i - 1, 0)]
        why = _explain(name.key(), self.aliases, self.text[name.pos:last.pos + len(last.text)])
        if why is not None:
            raise ParseError(_where(self.text, name.pos, why))
        raise _unknown(name.function_name() + ("_star" if name.star else ""), self.text,
                       name.pos)

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
                return self.apply(fname, t.pos, resolve(name, self.aliases))
        value = resolve(name, self.aliases)
        if value is None:
            why = _explain(_ascii_key(name), self.aliases, name)
            if why is not None:
                raise _NamePartError(_where(self.text, t.pos, why))
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


def _defined(expr: sp.Basic, written: str) -> None:
    """Refuse a side with no value: ``1/0``, ``\\ln(0)``, ``0^{-1}`` are complex infinity
    (``zoo``) and ``0/0`` is nan in sympy, which no verdict can be about."""
    if isinstance(expr, sp.Basic) and expr.has(sp.zoo, sp.nan):
        raise ParseError(f"{written.strip()!r} has no value: it divides by zero or takes "
                         "the logarithm of 0")


@dataclass(frozen=True)
class Link:
    """One relation of a text: as written (``a = b`` of ``a = b = c``) and parsed."""

    text: str
    relation: sp.Basic


def _relations(text: str, latex: bool, aliases: Mapping[tuple, str] | None
               ) -> list[Link] | sp.Expr:
    """The relations of ``text`` (chains split into links), or its one expression."""
    links: list[Link] = []
    last = None
    parts = segments(tokenize(text, latex))
    for seg in parts:
        exprs, rels = _Parser(text, latex, seg, aliases).chain()
        if len(exprs) == len(rels):  # '&= c' on an aligned line continues the chain
            if last is None:
                raise ParseError(_where(text, seg[0].pos, "a relation with no left side"))
            exprs = [last, *exprs]
        for e, e0, e1 in exprs:
            _defined(e, text[e0:e1])
        if not rels:
            if len(parts) == 1:
                return exprs[0][0]
            _, start, end = exprs[0]
            raise ParseError(_where(text, start, f"{text[start:end]!r} is not an equation; "
                                    "the text holds several parts (separated by commas, "
                                    "\\quad, \\text{or}, \\\\), each must be a relation"))
        for (a, a0, a1), rel, (b, b0, b1) in zip(exprs, rels, exprs[1:]):
            links.append(Link(f"{text[a0:a1].strip()} {rel} {text[b0:b1].strip()}",
                              _RELATIONS[rel](a, b, evaluate=False)))
        last = exprs[-1]
    return links


def _parse_text(text: str, aliases: Mapping[str, str] | None) -> list[Link] | sp.Expr:
    if not isinstance(text, str):
        raise ParseError(f"expected a string, got {type(text).__name__}")
    table = alias_table(aliases)
    text = text.strip().rstrip(".").strip()
    for junk in ("$$", "\\[", "\\]", "$"):
        if text.startswith(junk) and text.endswith(junk if junk != "\\[" else "\\]"):
            text = text[len(junk):len(text) - (len(junk) if junk != "\\[" else 2)].strip()
    text = text.rstrip(".,;").strip()
    if len(text) > 2000:
        raise ParseError("equation longer than 2000 characters")
    try:
        if is_latex(text):
            return _relations(text, True, table)
        try:
            return _relations(text, False, table)
        except (UnknownNameError, _NamePartError):  # M_x = p_xM: LaTeX without backslashes
            try:
                return _relations(text, True, table)
            except (ParseError, UnknownNameError):
                pass
            raise
    except RecursionError:
        raise ParseError("expression nested too deeply") from None
    except (TypeError, ValueError, ZeroDivisionError, AttributeError) as exc:
        if isinstance(exc, (ParseError, UnknownNameError)):
            raise
        raise ParseError(f"cannot build the expression: {exc}") from None


def parse(text: str, aliases: Mapping[str, str] | None = None) -> sp.Basic:
    """Parse one equation, relation or expression; LaTeX or sympy syntax.

    Parameters
    ----------
    text : the equation.
    aliases : the user's spellings ``{spelling: name}`` (see :func:`alias_table`).

    Returns
    -------
    sympy ``Eq``, an inequality, or an expression, in the registry's canonical
    symbols.  Functions of productivity are undefined sympy functions named as
    in :data:`FUNCTIONS`; integrals and derivatives stay unevaluated.

    Raises
    ------
    ParseError
        Malformed input (the message shows the position), a name part that is not
        understood, or several relations (see :func:`parse_equations`).
    UnknownNameError
        A name that is not in the registry; the message suggests close names.
    """
    result = _parse_text(text, aliases)
    if not isinstance(result, list):
        return result
    if len(result) != 1:
        raise ParseError(f"{text!r} holds {len(result)} relations "
                         f"({'; '.join(link.text for link in result)}); write one")
    return result[0].relation


def parse_equations(text: str, aliases: Mapping[str, str] | None = None) -> list[Link]:
    r"""The equations of ``text``: chains ``a = b = c`` give one link per ``=``;
    several equations are separated by commas, ``\quad``, ``\text{or}``,
    ``\text{and}`` or ``\\`` (an aligned line ``&= c`` continues the chain).

    Raises
    ------
    ParseError
        For an expression without ``=``, or an inequality among the relations.
    """
    result = _parse_text(text, aliases)
    if not isinstance(result, list):
        raise ParseError(f"expected an equation 'lhs = rhs', got the expression {text!r}")
    for link in result:
        if not isinstance(link.relation, sp.Eq):
            raise ParseError(f"expected an equation, got the inequality {link.text!r}; "
                             "use claims for inequalities")
    return result
