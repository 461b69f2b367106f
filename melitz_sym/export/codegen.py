"""Code generation: the derivation's expressions printed by sympy's code printers.

:func:`plan` collects what a generated library exposes, one function per
output, each an expression taken from the derivation (never typed into a
template).  For an N-country model it is :func:`pair_plan` (pair-level
building blocks, below); for the others:

* with a closed form (Pareto, Krugman): every output as a function of the
  parameters;
* without one (log-normal, ...): the cutoff equation's residual
  :math:`F(\\varphi^*)` and its derivative :math:`F'(\\varphi^*)` (by
  ``sympy.diff``), the lower end of the cutoff search (the support's lower
  bound), and every other output as a function of :math:`\\varphi^*` (and of
  the autarky cutoff :math:`\\varphi^*_A` for ``gains``), with survival
  terms ``1 - erf(u)`` as ``erfc(u)``
  (:func:`~melitz_sym.numeric.stable.code_form`); with ``newton`` (every
  target but NumPy), the residual and its derivative in the forms of solve's
  Newton iteration (:func:`newton_residual`) and the outputs as solve evaluates
  them after the root (:func:`output_forms`).  The C, R and NumPy targets add
  solve's safeguarded Newton solver for the cutoff (C and R print its residual
  with :func:`newton_functions`: parameter-only parts once, the rest per step).

Every target prints a closed form as the numeric layer evaluates it
(:class:`Forms`): :func:`evaluation` lays out the computation once (protected
quantities, common subexpressions with one call each, the power forms, the
guarded values and the stable forms, a Piecewise selection a temporary of its
own) and :func:`straight_line` (scalar targets: C, Fortran, Rust, JavaScript)
or :func:`vectorised` (R, Octave, NumPy) turns it into lines of the target's syntax;
the targets differ only in printing.

An N-country model (a :class:`~melitz_sym.models.multicountry.MultiDerivation`)
gets the building blocks of its equilibrium instead of a solver: one scalar
function per closed-form output and per pair expression of the numeric layer,
for a generic pair (origin ``i``, destination ``j``), taking the symbols it
uses (origin, pair and common parameters, destination and world aggregates);
the header says how they assemble into the equilibrium, quoting the
derivation's aggregation steps.

:func:`generate` renders a plan in one language (the targets live in
:mod:`melitz_sym.export.targets`); :func:`write` writes the files, refusing to
overwrite files without ``force`` and to write into a directory that holds
other files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import sympy as sp
from sympy.logic.boolalg import Boolean

from ..derivation import MultiDerivation
from ..errors import MelitzError, UnknownNameError
from ..numeric import power_form, stable
from ..numeric.fast import newton_forms, newton_tails, output_form
from ..numeric.stable import code_form
from ..symbols import REGISTRY, sym

LANGUAGES = ("c", "fortran", "rust", "js", "octave", "r", "numpy")


#: The protected quantities of the stable forms (:data:`melitz_sym.numeric.stable.Z`
#: and ``E``) and how a target computes them from the parameters, as the numeric
#: layer does: ``(k - sigma) + 1`` is exact when it is small (Sterbenz), and is
#: printed as it is written here (its order of operations matters).
PROTECTED = ((stable.Z, "sigma - 1", ("sigma",)), (stable.E, "(k - sigma) + 1", ("k", "sigma")))


@dataclass(frozen=True)
class Forms:
    r"""A closed form as the numeric layer evaluates it, as every target prints
    it (:func:`evaluation`): ``fast``, the power form
    (:func:`melitz_sym.numeric.power_form.power_form`: logs folded, few
    transcendental calls), where every value of ``nodes`` is a normal double
    (:func:`~melitz_sym.numeric.power_form.guarded_nodes`; none when ``fast``
    is ``stable``), else ``stable``, the log-domain form
    (:func:`melitz_sym.numeric.stable.closed_form`); both in the parameters and
    the protected quantities :data:`PROTECTED`.
    """

    fast: sp.Expr
    nodes: tuple[sp.Expr, ...]
    stable: sp.Expr

    @classmethod
    def of(cls, expr: sp.Expr, with_k: bool) -> Forms:
        """The forms of the closed form ``expr`` (``with_k``: in E too, see
        :func:`melitz_sym.numeric.stable.shifts_k`)."""
        form = stable.closed_form(expr, with_k)
        fast = power_form.power_form(form)
        return cls(fast, tuple(power_form.guarded_nodes(fast, form)), form)


@dataclass(frozen=True)
class Function:
    """One generated function: ``name(args) = expr``, documented by ``doc``; a
    closed form may come with its :class:`Forms` too (targets that print them
    print those instead of ``expr``)."""

    name: str
    args: tuple[sp.Symbol, ...]
    expr: sp.Expr
    doc: str
    forms: Forms | None = None

    def exprs(self) -> tuple[sp.Expr, ...]:
        """Every expression a target may print for this function."""
        if self.forms is None:
            return (self.expr,)
        return (self.expr, self.forms.fast, self.forms.stable, *self.forms.nodes)


@dataclass(frozen=True)
class Plan:
    """Everything a target needs to print a library for one model.

    Attributes
    ----------
    prefix : prefix of every generated name (``melitz_pareto``).
    title : model and distribution in words.
    params : parameters in argument order.
    functions : the functions to print.
    restrictions : admissibility conditions in words and symbols.
    solver : True when the cutoff has no closed form (residual, derivative and
        ``cutoff_lower`` are among the functions).
    version : package version that generated the code.
    assembly : N-country models: how the pair functions assemble into the
        equilibrium (empty for the other models).  Then ``params`` lists every
        argument symbol and each function takes those it uses, in that order.
    meanings : argument name -> meaning where the registry's does not fit.
    admissible : the conjunction of the restrictions (a sympy boolean of the
        parameters; a conditional restriction ``c when w`` as ``c or not w``):
        the generated solvers check it (with every parameter finite) and report
        a nonzero status where it fails.
    newton : with a solver, the residual as the package's own Newton iteration
        evaluates it (:func:`melitz_sym.numeric.fast.newton_forms`): the symbol y
        = log(phi_star), R, dR/dy, P and c (R = P - c) in y and hoisted symbols,
        those symbols, and what they stand for in z = sigma - 1 (the symbol
        ``z_sigma``) and the parameters.
    """

    prefix: str
    title: str
    params: tuple[sp.Symbol, ...]
    functions: tuple[Function, ...]
    restrictions: tuple[str, ...]
    solver: bool
    version: str
    assembly: tuple[str, ...] = ()
    meanings: Mapping[str, str] = field(default_factory=dict, compare=False)
    admissible: sp.Basic = sp.true
    newton: tuple | None = None

    @property
    def all_outputs(self) -> bool:
        """Whether every function is an output of the parameters alone (closed forms,
        not an N-country model's pair functions), so that one function can return
        them all (the targets' ``all`` functions)."""
        return bool(self.functions) and not self.solver and not self.assembly

    @property
    def bounded_above(self) -> bool:
        """Whether the solver's search has an upper end, ``cutoff_upper``
        (:attr:`~melitz_sym.derivation.Derivation.search_top`: a support bounded above)."""
        return any(f.name == "cutoff_upper" for f in self.functions)

    def function(self, name: str) -> Function:
        """The function called ``name``."""
        return next(f for f in self.functions if f.name == name)

    def describe_args(self, f: Function) -> list[str]:
        """``name: meaning`` for each argument of ``f``, in order."""
        return [f"{a.name}: {self._meaning(a)}" for a in f.args]

    def _meaning(self, s: sp.Symbol) -> str:
        """The plan's or else the registry's meaning of ``s``."""
        return self.meanings.get(s.name) or _registry_meaning(s.name)

    def header(self) -> list[str]:
        """Comment lines every generated file starts with."""
        lines = [f"{self.title}: generated by melitz-sym {self.version} from the derivation "
                 "(sympy code printers)."]
        if self.assembly:
            lines += ["Pair-level building blocks: each function is an expression of the "
                      "derivation for a generic pair of countries (origin i, destination j),",
                      "to be evaluated for every pair and assembled into the equilibrium as "
                      "described below (a solver is not generated).",
                      "Arguments (each function takes those it uses, in this order):"]
        else:
            lines.append("Parameters, in the argument order of every function:")
        lines += [f"  {p.name}: {self._meaning(p)}" for p in self.params]
        lines.append("Admissibility conditions (the functions do not check them; outside "
                     "them results are meaningless):")
        lines += [f"  {r}" for r in self.restrictions]
        if self.assembly:
            lines.append("Assembly into the equilibrium (the derivation's aggregation steps "
                         "and what the functions are):")
            lines += [f"  {a}" for a in self.assembly]
        if self.solver:
            lines += ["The cutoff phi_star has no closed form: it is the root of "
                      "cutoff_residual (decreasing in phi_star) above cutoff_lower.",
                      "Where a solve_cutoff is generated it checks the conditions above "
                      "(every parameter finite, then each condition): status 0 when it "
                      "converged,",
                      "1 when it did not, 2 when the parameters are inadmissible, 3 at a "
                      "corner (the residual is negative at cutoff_lower: every entrant "
                      "produces);",
                      "the cutoff is nan unless the status is 0.",
                      "Outputs take phi_star (and gains the autarky cutoff phi_star_A, the "
                      "root with n = 0) before the parameters."]
        return lines


def _registry_meaning(name: str) -> str:
    """The registry's meaning of ``name``; a Custom density's own parameter has none."""
    return REGISTRY[name].meaning if name in REGISTRY else "parameter of the declared density"


def _prefix(model) -> str:
    parts = [model.name] + ([model.dist.name] if model.dist is not None else [])
    return "_".join(parts).replace("-", "_")


def plan(model, forms: bool = False, outputs=None, newton: bool = False) -> Plan:
    """The functions to generate for ``model`` (a :class:`~melitz_sym.models.Model`);
    with ``forms``, each closed form with its :class:`Forms` (an N-country model's
    functions have none); with ``newton`` too, a Newton model's residual, its
    derivative and its outputs with the Forms solve evaluates (:func:`newton_residual`,
    :func:`output_forms`); with ``outputs`` (names), only the functions of those
    outputs (and the cutoff solver's).

    Raises
    ------
    UnknownNameError
        For a name in ``outputs`` that is not an output the plan has a function for.
    """
    full = _plan(model, forms, outputs, newton)
    if outputs is None:
        return full
    names = sorted(f.name for f in full.functions if not f.name.startswith("cutoff_"))
    unknown = [n for n in outputs if n not in names]
    if unknown:
        raise UnknownNameError(f"no generated function for {', '.join(map(repr, unknown))}; "
                               f"outputs are: {', '.join(names)}")
    keep = tuple(f for f in full.functions if f.name in outputs or f.name.startswith("cutoff_"))
    return replace(full, functions=keep)


def _plan(model, forms: bool, outputs, newton_forms_too: bool = False) -> Plan:
    """:func:`plan` of every output (Forms only for ``outputs``, None: all)."""
    from .. import __version__

    d = model.derive()
    if isinstance(d, MultiDerivation):  # N countries
        return pair_plan(model, d)
    params = tuple(d.parameters)
    restrictions = tuple(r.describe() for r in d.restrictions)
    if d.closed_forms:  # no solver, no status: ``admissible`` is not used
        with_k = stable.shifts_k(model.dist)
        funcs = tuple(Function(k, params, v, REGISTRY[k].meaning,
                               Forms.of(v, with_k)
                               if forms and (outputs is None or k in outputs) else None)
                      for k, v in d.closed_forms.items())
        return Plan(_prefix(model), d.title, params, funcs, restrictions, False, __version__)
    if d.cutoff is None or any(v.has(sp.Integral) for v in d.outputs.values()):
        raise MelitzError(f"cannot generate code for {d.title}: a tail moment of the "
                          "distribution has no closed form (it is an unevaluated integral)")
    phi, phi_a = d.cutoff, sym("phi_star_A")
    res = d.cutoff_residual
    newton = newton_forms(params, phi, res)
    forms = forms and newton_forms_too
    residual, slope = newton_residual(newton, phi) if forms else (None, None)
    if forms and not _known_calls(residual, code_form(res)):  # the derivation's own error
        forms, residual, slope = False, None, None
    top = [Function("cutoff_upper", params, d.search_top,
                    "upper end of the search for the cutoff (upper bound of productivity, "
                    "divided by the ratio of a cutoff above phi_star to phi_star where "
                    "n > 0)")] if d.search_top != sp.oo else []
    funcs = [Function("cutoff_lower", params, sp.sympify(d.support_lower),
                      "lower end of the search for the cutoff (lower bound of productivity)"),
             *top,
             Function("cutoff_residual", (phi,) + params, code_form(res),
                      "residual F(phi_star) of the cutoff equation; the cutoff is its root",
                      residual and Forms(residual, (), residual)),
             Function("cutoff_residual_dphi", (phi,) + params, code_form(sp.diff(res, phi)),
                      "derivative dF/dphi_star of the cutoff residual",
                      slope and Forms(slope, (), slope))]
    for k, v in d.outputs.items():
        if v == phi:
            continue
        args = (phi, phi_a) + params if v.has(phi_a) else (phi,) + params
        funcs.append(Function(k, args, code_form(v), REGISTRY[k].meaning,
                              output_forms(v, phi)
                              if forms and (outputs is None or k in outputs) else None))
    return Plan(_prefix(model), d.title, params, tuple(funcs), restrictions, True, __version__,
                admissible=admissible(d.restrictions), newton=newton)


def _elements(name: str, value, meaning: str) -> list[tuple[str, sp.Expr, str]]:
    """(name, expression, meaning) of the scalar output ``name`` = ``value``, or of each
    element of a per-country vector or matrix (melitz-ottaviano-asym), named with its
    1-based indices as the parameters are (c_D_1; c_X_12: from country 1 to 2), so
    that every target prints scalars."""
    if not isinstance(value, sp.MatrixBase):
        return [(name, value, meaning)]
    rows, cols = value.shape
    if cols == 1:
        return [(f"{name}_{i + 1}", value[i, 0], f"{meaning} (country {i + 1})")
                for i in range(rows)]
    return [(f"{name}_{i + 1}{j + 1}", value[i, j], f"{meaning} (from country {i + 1} to "
             f"{j + 1})") for i in range(rows) for j in range(cols)]


def newton_functions(plan: Plan) -> tuple[list[Function], list[Function], list[Function]]:
    """The Newton iteration's residual of ``plan`` (:attr:`Plan.newton`) as functions a
    target prints (:func:`evaluation`): one per hoisted symbol (named by it, in the
    parameters and z = sigma - 1: once per point), R, dR/dy, P and c (R = P - c)
    in y = log(phi_star) and the hoisted symbols (once per iteration), and what the
    check at the root reads (:func:`~melitz_sym.numeric.fast.newton_tails`: c, then
    each factor g of a term t of R that may underflow and t at g = the smallest
    normal double, in the same arguments; none without one): the root is not
    placed where such a g is below that double while t there exceeds 2^-53 of |c|."""
    y, core, consts, meaning = plan.newton
    once = [Function(c.name, plan.params, m, "hoisted part of the residual")
            for c, m in zip(consts, meaning)]
    every = [Function(n, (y,) + consts, e, "the residual as the iteration uses it")
             for n, e in zip(("R", "dR", "P", "c"), core)]
    tails = [Function(f"t{i}", (y,) + consts, e, "the tails check at the root")
             for i, e in enumerate(newton_tails(core))]
    return once, every, tails


#: Functions the Newton forms introduce that every target prints (or carries).
_FORM_CALLS = (sp.exp, sp.log, stable.ndtr, stable.log_ndtr, stable.exp_ndtr, stable.erfcx,
               stable.erfc)


def _known_calls(form: sp.Expr, expr: sp.Expr) -> bool:
    """Whether every function ``form`` calls is one of :data:`_FORM_CALLS` or one
    ``expr`` calls (a function no target has, lerchphi, is reported as the
    derivation's, not as what rewriting it made of it)."""
    own = {type(c) for c in expr.atoms(sp.Function)}
    return all(isinstance(c, _FORM_CALLS) or type(c) in own for c in form.atoms(sp.Function))


def newton_residual(newton: tuple, phi: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """The cutoff residual R and dR/dphi_star in the forms of the Newton iteration
    (:attr:`Plan.newton`: R and dR/dy, y = log(phi_star), divided by phi_star),
    the hoisted symbols written out, in ``phi`` (phi_star), z = sigma - 1 and the
    parameters."""
    y, core, consts, meaning = newton
    back = {**dict(zip(consts, meaning)), y: sp.log(phi)}
    return core[0].xreplace(back), core[1].xreplace(back) / phi


def output_forms(expr: sp.Expr, phi: sp.Symbol) -> Forms:
    """The Forms of an output ``expr`` of a Newton model as ``solve`` evaluates it
    (:func:`melitz_sym.numeric.fast.output_form`): the plain form, its scales
    evaluated first (:func:`grouped_scales`), and where its value or a scale is not
    a normal double the exp form (none when they are one)."""
    plain, fallback = (output_form(expr, phi, e) for e in (False, True))
    if fallback == plain:
        return Forms(plain, (), plain)
    plain = grouped_scales(plain)
    return Forms(plain, (plain, *sorted(plain.atoms(Scale), key=sp.default_sort_key)), fallback)


class Scale(sp.Function):
    """A product of exponentials and powers that a target evaluates as a temporary of
    its own, before the factors it multiplies (:func:`grouped_scales`); printed as
    the product (:func:`_temporaries` takes the wrapper off)."""


def grouped_scales(expr: sp.Expr) -> sp.Expr:
    r"""Every product that has a special function (a normal cdf, ...) as a factor and
    two or more exponentials or powers with symbolic exponents, with those
    multiplied together first (:class:`Scale`).

    A target multiplies the factors of a product from left to right in the order
    sympy prints them.  The log-normal's :math:`M_x` at :math:`\sigma = 9.8`,
    :math:`s = 3.9`, :math:`\varphi^* = 3\times 10^{29}` was printed as
    ``-4*L*exp(-590)*Phi(-17)*pow(phi_star*tau, z_sigma)/...``: the first factors'
    product is subnormal (8e-321) before the power (1.8e263) comes in, and the value,
    a normal double, was 3e-2 off.  The scales of these forms are the moments of the
    distribution and the powers of the cutoff they offset; together they are of the
    order of the value, and a scale that is not a normal double sends the target to
    the exp form (a guarded node)."""

    def fix(mul: sp.Expr) -> sp.Expr:
        scales = [f for f in mul.args if isinstance(f, sp.exp)
                  or (f.is_Pow and f.base.is_positive and not f.exp.is_Number)]
        special = any(isinstance(f, sp.Function) and not isinstance(f, (sp.exp, sp.log))
                      for f in mul.args)
        if len(scales) < 2 or not special:
            return mul
        return sp.Mul(*[f for f in mul.args if f not in scales], Scale(sp.Mul(*scales)))

    return expr.replace(lambda e: e.is_Mul, fix)


def admissible(restrictions) -> sp.Basic:
    """The conjunction of ``restrictions`` as one sympy boolean of the parameters.

    A restriction that applies only when ``w`` holds (``f_x tau^(sigma-1) > f``
    when ``n > 0``) contributes :math:`c \\lor \\lnot w`.
    """
    return sp.And(*[r.condition if r.when is None else sp.Or(r.condition, sp.Not(r.when))
                    for r in restrictions])


def _aggregation_steps(d, aggregates: set[sp.Symbol]) -> list[str]:
    """The steps that sum pair terms or define an aggregate argument, as text."""
    lines = []
    for name in d.names:
        eq = d[name]
        if isinstance(eq, sp.Eq) and (eq.has(sp.Sum) or eq.lhs in aggregates):
            lines.append(f"{name}: {sp.sstr(eq.lhs)} = {sp.sstr(eq.rhs)}  ({d.step(name).rule})")
    return lines


def pair_plan(model, d) -> Plan:
    """The pair-level functions of an N-country model with derivation ``d``.

    One function per closed-form output and per finite pair expression
    (``d.pair``), each taking the symbols it uses: the parameters (origin,
    pair or common values, by ``d.shapes``) in the derivation's order, then the
    aggregates (destination and world values, unknowns of the equilibrium) by
    name.  A constant is printed as a float.
    """
    from .. import __version__

    meanings = d.meanings
    elements = [x for k, v in {**d.closed_forms, **d.pair}.items()
                for x in _elements(k, sp.sympify(v), meanings.get(k) or _registry_meaning(k))]
    meanings = {**meanings, **{k: m for k, _, m in elements}}
    exprs = {k: v if v.free_symbols else sp.Float(v, 17)
             for k, v, _ in elements if v.is_finite is not False}
    used = set().union(*(v.free_symbols for v in exprs.values()))
    params = tuple(p for p in d.parameters if p in used)  # not L where L_1, L_2 are
    aggregates = sorted(used - set(params),
                        key=lambda s: s.name)
    order = params + tuple(aggregates)
    where = {"": "common to all countries", "i": "one value per origin i",
             "ij": "one value per pair (i, j), rows = origin"}
    args = {p.name: f"{meanings.get(p.name) or _registry_meaning(p.name)} "
                    f"({where[d.shapes[p.name]]})" for p in params}
    args.update({a.name: meanings.get(a.name) or _registry_meaning(a.name) for a in aggregates})
    funcs = tuple(Function(k, tuple(s for s in order if s in v.free_symbols), v,
                           meanings.get(k) or _registry_meaning(k))
                  for k, v in exprs.items())
    assembly = tuple(_aggregation_steps(d, set(aggregates))) + d.assembly
    return Plan(_prefix(model), d.title, order, funcs,
                tuple(r.describe() for r in d.restrictions), False, __version__,
                assembly, args)


def generate(model, lang: str, outputs=None) -> dict[str, str]:
    """Generated files for ``model`` in language ``lang``: file name -> text; with
    ``outputs`` (names), the functions of those outputs only (see :func:`plan`)."""
    import importlib

    if lang not in LANGUAGES:
        raise UnknownNameError(f"unknown language {lang!r}; languages are: "
                               f"{', '.join(LANGUAGES)}")
    target = importlib.import_module(f".targets.{lang}", __package__)
    from sympy.printing.codeprinter import PrintMethodNotImplementedError

    try:
        return target.render(plan(model, getattr(target, "FORMS", False), outputs,
                                  getattr(target, "NEWTON_FORMS", False)))
    except PrintMethodNotImplementedError as exc:
        raise MelitzError(f"cannot generate {lang} for {model!r}: the language has no "
                          f"standard function for {str(exc).splitlines()[0].rsplit(': ', 1)[-1]}"
                          ) from None


def write(files: dict[str, str], directory: str | Path, force: bool = False) -> list[Path]:
    """Write ``files`` into ``directory`` (created if missing); return the paths.

    Raises
    ------
    MelitzError
        If ``directory`` holds files other than these (nothing is written),
        or holds some of these and ``force`` is False, or is not a directory.
    """
    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise MelitzError(f"output {out} exists and is not a directory")
    if out.exists():
        present = {p.name for p in out.iterdir()}
        others = sorted(present - set(files))
        if others:
            raise MelitzError(f"output directory {out} holds other files "
                              f"({', '.join(others[:5])}); choose an empty or new directory")
        clash = sorted(present & set(files))
        if clash and not force:
            raise MelitzError(f"{out} already holds {', '.join(clash[:5])}; use --force "
                              "(force=True) to overwrite")
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in files.items():
        path = out / name
        path.write_text(text)
        paths.append(path)
    return paths


def unused_args(f: Function, exprs: tuple[sp.Expr, ...] | None = None) -> list[str]:
    """Names of the arguments of ``f`` its forms (:func:`forms_of`; or ``exprs``,
    in the parameters and the protected quantities :data:`PROTECTED`) do not use.

    Every function of a plan takes all the parameters, in one order, whether
    or not its output depends on them; a target whose strict warnings flag an
    unused argument (C ``-Wextra``, Fortran ``-Wall``, Rust) marks these as
    used on purpose.
    """
    if exprs is None:
        exprs = (forms_of(f).fast, forms_of(f).stable)
    used = {s.name for e in exprs for s in e.free_symbols}
    used |= {n for s, _, names in PROTECTED if s.name in used for n in names}
    return [a.name for a in f.args if a.name not in used]


def forms_of(f: Function) -> Forms:
    """The Forms of ``f``; an expression without them (not a closed form, or a
    plan made without forms) is its own fast form, with nothing guarded."""
    return f.forms or Forms(f.expr, (), f.expr)


def one_call_each(pairs: list, names, kind=sp.Function) -> list:
    """``pairs`` (temporary, expression) with every call of ``kind`` (a function,
    by default any, a Piecewise selection too) that is not a whole expression
    made a temporary of its own (from ``names``), inner calls first: each
    expression then holds at most one such call."""
    out = []
    for t, e in pairs:
        hoisted: dict[sp.Expr, sp.Symbol] = {}
        for c in sp.postorder_traversal(e):
            if isinstance(c, kind) and c != e and c not in hoisted:
                s = next(names)
                out.append((s, c.xreplace(hoisted)))
                hoisted[c] = s
        out.append((t, e.xreplace(hoisted)))
    return out


def _temporaries(exprs: list, name: str, calls: bool) -> tuple[list, list]:
    """Common subexpressions of ``exprs`` (temporaries ``name0, name1, ...``) and
    ``exprs`` in them; with ``calls``, each temporary holds at most one call
    (:func:`one_call_each`).  A Piecewise selection is always a temporary of
    its own (a target prints it as branches), and a condition (a relation, or a
    conjunction of them) never is: it is written where it is used (typed
    targets have no double-valued conditions)."""
    names = sp.numbered_symbols(name, real=True)
    pairs, reduced = sp.cse(exprs, symbols=names)
    if calls:
        pairs = one_call_each(pairs, names)
    results = {sp.Dummy(): e for e in reduced}
    conditions: dict[sp.Symbol, sp.Basic] = {}
    kept = []
    for t, e in one_call_each(pairs + list(results.items()), names, sp.Piecewise):
        e = e.xreplace(conditions).replace(Scale, lambda x: x)
        if isinstance(e, Boolean):
            conditions[t] = e
        elif t in results:
            results[t] = e
        else:
            kept.append((t, e))
    return kept, list(results.values())


@dataclass(frozen=True)
class Evaluation:
    """How a target computes closed forms point by point, as the numeric layer
    evaluates them (:class:`Forms`): the protected quantities, the temporaries
    of the power forms and guarded nodes, each function's power form; where one
    of the guarded values is not a normal double, the temporaries of the stable
    forms and the stable form of each function that has guarded nodes.

    Attributes
    ----------
    protected : (name, definition) of the protected quantities used (:data:`PROTECTED`).
    temps : (temporary, expression) of the power forms and guarded nodes.
    fast : each function's power form, in ``temps``.
    guards : the guarded nodes (deduplicated), in ``temps``.
    guarded : indices of the functions whose power form is guarded.
    stable_temps : (temporary, expression) of the stable forms of ``guarded``.
    stable : the stable form of each function of ``guarded``, in ``stable_temps``.
    nodes : the guarded nodes as the Forms hold them (in the parameters).
    """

    protected: tuple[tuple[str, str], ...]
    temps: tuple[tuple[sp.Symbol, sp.Expr], ...]
    fast: tuple[sp.Expr, ...]
    guards: tuple[sp.Expr, ...]
    guarded: tuple[int, ...]
    stable_temps: tuple[tuple[sp.Symbol, sp.Expr], ...]
    stable: tuple[sp.Expr, ...]
    nodes: tuple[sp.Expr, ...]


def evaluation(funcs) -> Evaluation:
    """The :class:`Evaluation` of the functions ``funcs`` (those of a plan, or one)."""
    forms = [forms_of(f) for f in funcs]
    nodes = list(dict.fromkeys(n for fm in forms for n in fm.nodes))
    pairs, reduced = _temporaries([fm.fast for fm in forms] + nodes, "t", True)
    guarded = tuple(i for i, fm in enumerate(forms) if fm.nodes)
    stable_pairs, stable = _temporaries([forms[i].stable for i in guarded], "v", False)
    every = [fm.fast for fm in forms] + nodes + [forms[i].stable for i in guarded]
    return Evaluation(tuple(protected_used(every)), tuple(pairs), tuple(reduced[:len(forms)]),
                      tuple(dict.fromkeys(reduced[len(forms):])), guarded,
                      tuple(stable_pairs), tuple(stable), tuple(nodes))


def straight_line(ev: Evaluation, define, store, when_normal) -> list[str]:
    """The lines of a target that compute ``ev``, in the target's syntax:
    ``define(name, value)`` defines a protected quantity (``value``: the text of
    :data:`PROTECTED`) or a temporary (a sympy expression); ``store(i, value,
    kind)`` stores function ``i``'s value (``kind``: ``"value"`` unguarded,
    ``"fast"`` its guarded power form, ``"stable"`` its stable form);
    ``when_normal(guards, lines)``: ``lines`` (the guarded power forms stored)
    where every guard is a normal double.  A scalar target leaves there; a
    vectorised one computes both and selects point by point.
    """
    lines = [x for n, text in ev.protected for x in define(n, text)]
    lines += [x for t, e in ev.temps for x in define(t.name, e)]
    lines += [x for i, e in enumerate(ev.fast) if i not in ev.guarded
              for x in store(i, e, "value")]
    if not ev.guarded:
        return lines
    lines += when_normal(list(ev.guards),
                         [x for i in ev.guarded for x in store(i, ev.fast[i], "fast")])
    lines += [x for t, e in ev.stable_temps for x in define(t.name, e)]
    return lines + [x for i, e in zip(ev.guarded, ev.stable) for x in store(i, e, "stable")]


def vectorised(ev: Evaluation, show, assign: str, select: str,
               results: tuple[str, ...] = ("res",)) -> list[str]:
    """The lines of a vectorised target (R, Octave, NumPy) that compute the functions
    of ``ev`` elementwise into ``results`` (one name per function; by default one
    function, into ``res``): both the power form and the stable form at every
    point, and the stable one selected where a guarded value is not a normal double
    (``ms_normal``).  ``show`` prints an expression, ``assign`` formats an
    assignment of a value to a name (``"  {} <- {}"``), ``select`` is the
    elementwise selection ``select(condition, a, b)``.
    """
    fast = ["ms_fast"] if len(results) == 1 else [f"ms_fast{i}" for i in range(len(results))]

    def define(name: str, value) -> list[str]:
        return [assign.format(name, value if isinstance(value, str) else show(value))]

    def put(i: int, value: sp.Expr, kind: str) -> list[str]:
        if kind == "fast":
            return [assign.format(fast[i], show(value))]
        text = show(value)
        return [assign.format(results[i], f"{select}(ms_ok, {fast[i]}, {text})"
                              if kind == "stable" else text)]

    def when_normal(guards: list, lines: list[str]) -> list[str]:
        return [assign.format("ms_ok", " & ".join(f"ms_normal({show(g)})" for g in guards)),
                *lines]

    return straight_line(ev, define, put, when_normal)


def guarded(plan: Plan) -> bool:
    """Whether a function of ``plan`` has guarded nodes (a target then defines its
    normal-double test)."""
    return any(f.forms is not None and f.forms.nodes for f in plan.functions)


def protected_used(exprs) -> list[tuple[str, str]]:
    """(name, definition) of the protected quantities (:data:`PROTECTED`) that
    ``exprs`` use, for a target to define before them."""
    used = set().union(*(e.free_symbols for e in exprs))
    return [(s.name, text) for s, text, _ in PROTECTED if s in used]


def case_safe_names(plan: Plan) -> dict[str, str]:
    """Output name -> identifier for case-insensitive targets (Fortran, file systems).

    Names that differ only in case (Krugman's price ``p`` and price index
    ``P``) get ``_cap`` appended to the one with capitals.
    """
    lower: dict[str, int] = {}
    for f in plan.functions:
        lower[f.name.lower()] = lower.get(f.name.lower(), 0) + 1
    return {f.name: f.name + "_cap" if lower[f.name.lower()] > 1 and f.name != f.name.lower()
            else f.name for f in plan.functions}
