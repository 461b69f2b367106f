"""Inputs and verdicts of the fuzz suite (issue 20), shared by ``test_fuzz.py`` (CI) and
``fuzz_table.py`` (the long profile that counts outcomes per entry point).

An *entry point* takes one fuzzed input and ends in one of four outcomes:

``clean``
    finite numbers that agree with the independent reference wherever the reference
    gives a double (:data:`RTOL`), a verdict, or a :class:`~melitz_sym.MelitzError`
    subclass with a message (CLI: exit 0, 1 or 2; at 2 one line on stderr);
``traceback``
    any other exception (CLI: a traceback, several lines, another exit status);
``hang``
    no answer within :data:`SECONDS` of wall-clock time (SIGALRM).  This guard only
    detects hangs: no result is decided by it.  The package's own budgets count
    operations (``--dps`` at most 1000 digits, verify's expression-size budgets);
``wrong``
    nan or inf, or a number that disagrees with the reference.

Every (model, distribution) pair of the registry is a case (:data:`CASES`): each
example changes one or two parameters of an admissible base point to a value drawn
from the troublemakers of the issue (nan, inf, 0, negatives, 1e308, 5e-324, text,
None, complex, booleans, sigma = 1, k at or near sigma - 1, tau < 1, non-integer n)
or to a random magnitude.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import math
import random
import shutil
import signal
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import mpmath
import numpy as np
from hypothesis import strategies as st

import melitz_sym as ms
from melitz_sym.distributions import DISTRIBUTIONS

#: Agreement asked of every double path with a finite reference.
RTOL = 1e-8
#: Wall-clock guard of one call: detects a hang, decides nothing else.
SECONDS = 60
#: Digits of the reference and of evaluate in the fuzz.
DPS = 20

_DIST_PARAMS = {  # an admissible point of each distribution's own parameters
    "pareto": dict(k=3.4, b=1.0), "truncated-pareto": dict(k=3.4, b=1.0, b_H=20.0),
    "lognormal": dict(mu=0.0, s=0.5), "frechet": dict(k=4.0, b=1.0),
    "weibull": dict(k=1.5, b=1.0), "degenerate": dict(b=1.0)}
_CLOSED = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100)
_OPEN = dict(_CLOSED, tau=1.5, f_x=1.5, n=1)
_ASYM = dict(sigma=3.8, delta=0.1, f_e=[1.0, 2.0], L=[100.0, 50.0], tau=[[1, 1.5], [1.4, 1]],
             f=[[1.0, 2.0], [2.0, 1.2]])
_ASYM_DIST = {"pareto": dict(k=4.6, b=[1.0, 0.8]), "truncated-pareto": dict(k=4.6, b=[1.0, 0.8],
              b_H=[30.0, 30.0]), "lognormal": dict(mu=[0.0, 0.1], s=0.5),
              "frechet": dict(k=4.6, b=[1.0, 0.8]), "weibull": dict(k=1.5, b=[1.0, 0.8]),
              "degenerate": dict(b=[1.0, 0.8])}

CASES: dict[tuple[str, str | None], dict] = {  # (model, dist): admissible base point
    ("krugman", None): dict(sigma=3.8, b=1.0, f=1.0, tau=1.5, n=1, L=100),
    ("cournot", None): dict(sigma=3.8, f=1.0, phi=1.0, L=100),
    **{("melitz-closed", d): {**_CLOSED, **p} for d, p in _DIST_PARAMS.items()},
    **{("melitz", d): {**_OPEN, **p} for d, p in _DIST_PARAMS.items()},
    **{("hmy", d): {**_OPEN, "f_I": 8.0, **p} for d, p in _DIST_PARAMS.items()},
    ("chaney", "pareto"): dict(sigma=3.8, k=4.6, alpha=0.6, b=[1.0, 0.8], w=[1.0, 1.2],
                               L=[100.0, 50.0], tau=[[1, 1.5], [1.4, 1]],
                               f=[[1.0, 2.0], [2.0, 1.2]]),
    **{("melitz-asym", d): {**_ASYM, **p} for d, p in _ASYM_DIST.items()},
    ("melitz-ottaviano", "pareto"): dict(alpha=10, gamma=1, eta=1, c_M=1, k=2, f_e=0.01,
                                         L=100, tau=1.5, n=2),
    ("melitz-ottaviano-asym", "pareto"): dict(alpha=10, gamma=1, eta=1, c_M=1, k=2, f_e=0.01,
                                              L=[100, 150], tau=[[1, 1.6], [1.4, 1]]),
}


def registry_pairs() -> set[tuple[str, str | None]]:
    """Every (model, distribution) pair the registry builds: representative-firm models
    with None (they ignore ``dist``), the others with each distribution they accept."""
    pairs = set()
    for name in ms.models():
        if ms.model(name).dist is None:
            pairs.add((name, None))
            continue
        for dist in DISTRIBUTIONS:
            try:
                ms.model(name, dist)
            except ms.MelitzError:
                continue
            pairs.add((name, dist))
    return pairs


def case_id(case: tuple[str, str | None]) -> str:
    return "-".join(filter(None, case))


BAD = [math.nan, math.inf, -math.inf, 0, 0.0, -1.0, 1e308, -1e308, 5e-324, "abc", "", None,
       1j, True, "1/0", "1e400", [1.0, 2.0]]


def _special(name: str, base: dict) -> list:
    """Values that sit on a restriction of ``name`` (sigma = 1, k at sigma - 1, ...)."""
    sigma = base.get("sigma", 3.8)
    return {"sigma": [1.0, 1 + 1e-12, 0.5, 50.0],
            "k": [sigma - 1, sigma - 1 + 1e-9, sigma - 1 + 1e-5, 100.0, 1e-3],
            "tau": [0.5, 1.0, 1 + 1e-15, 1e10],
            "n": [0, 0.5, 2.5, 1e6, 1000],
            "delta": [1.0, 1.5, 1e-300],
            "b": [1e-200, 1e200],
            "s": [1e-300, 30.0],
            "f_e": [16.37, 1e-300]}.get(name, [])


def value(name: str, base: dict) -> st.SearchStrategy:
    magnitude = st.floats(-300, 300).map(lambda e: 10.0 ** e)
    return st.one_of(st.sampled_from(BAD + _special(name, base)), magnitude,
                     st.floats(allow_nan=True, allow_infinity=True))


@st.composite
def points(draw, base: dict) -> dict:
    """``base`` with one or two parameters, or entries of a vector or matrix, replaced."""
    names = draw(st.lists(st.sampled_from(sorted(base)), min_size=1, max_size=2, unique=True))
    out = dict(base)
    for name in names:
        new = draw(value(name, base))
        old = base[name]
        if isinstance(old, list) and draw(st.booleans()):  # one entry of a vector or matrix
            entries = [list(r) if isinstance(r, list) else r for r in old]
            i = draw(st.integers(0, len(entries) - 1))
            if isinstance(entries[i], list):
                entries[i][draw(st.integers(0, len(entries[i]) - 1))] = new
            else:
                entries[i] = new
            new = entries
        out[name] = new
    return out


# ----- outcomes ------------------------------------------------------------------------
@dataclass
class Outcome:
    """How one call ended: ``kind`` is clean, traceback, hang or wrong."""

    kind: str
    detail: str = ""

    def __bool__(self) -> bool:
        return self.kind == "clean"


CLEAN = Outcome("clean")


class Hang(Exception):
    """The wall-clock guard expired."""


@contextmanager
def guard(seconds: int = SECONDS):
    """Raise :class:`Hang` in a call that runs past ``seconds`` (detects hangs only)."""
    def expire(signum, frame):
        raise Hang(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def attempt(what: str, call: Callable[[], object]) -> tuple[object, Outcome]:
    """``(result, CLEAN)``, ``(MelitzError, CLEAN)`` or ``(None, bad outcome)``."""
    try:
        with guard():
            return call(), CLEAN
    except Hang as exc:
        return None, Outcome("hang", f"{what}: {exc}")
    except ms.MelitzError as exc:
        if not str(exc).strip():
            return None, Outcome("traceback", f"{what}: {type(exc).__name__} without message")
        return exc, CLEAN
    except Exception as exc:  # noqa: BLE001 - the point is to catch everything else
        return None, Outcome("traceback", f"{what}: {type(exc).__name__}: {exc}"[:400])


def _array(v) -> np.ndarray:
    if isinstance(v, list):
        return np.array([_array(x) for x in v], dtype=float)
    return np.asarray(float(v) if isinstance(v, mpmath.mpf) else v, dtype=float)


def _finite(v) -> bool:
    """An mpmath number is finite in mpmath's range (the reference rightly gives
    1e400); a float or array in the double range."""
    if isinstance(v, mpmath.mpc):  # a complex output is wrong, whatever its parts
        return False
    if isinstance(v, mpmath.mpf):
        return bool(mpmath.isfinite(v))
    if isinstance(v, list):
        return all(_finite(x) for x in v)
    return bool(np.isfinite(_array(v)).all())


def finite(what: str, values: dict) -> Outcome:
    bad = [k for k, v in values.items() if not _finite(v)]
    return Outcome("wrong", f"{what}: non-finite {bad}") if bad else CLEAN


def agree(what: str, got: dict, want: dict, rtol: float = RTOL) -> Outcome:
    """``got`` within ``rtol`` of the reference ``want`` wherever the reference is a
    double (beyond the double range a double path rightly refuses)."""
    for k, w in want.items():
        if k not in got:
            continue
        w = _array(w)
        with np.errstate(all="ignore"):
            g = _array(got[k])
            inside = (np.abs(w) >= 2.3e-308) & (np.abs(w) <= 1.7e308)
            err = np.where(inside, np.abs(g / np.where(w == 0, 1, w) - 1), 0.0)
        if not (err <= rtol).all():
            return Outcome("wrong", f"{what} {k} = {got[k]!r}, reference {want[k]}")
    return CLEAN


# ----- the model entry points ------------------------------------------------------------
MODEL_ENTRIES = ("solve", "evaluate", "reference", "cli solve", "numpy")


def _cli(argv: list[str]) -> tuple[object, Outcome, str, str]:
    """Run the CLI in process: (status, outcome, stdout, stderr)."""
    from melitz_sym.cli import main

    def run() -> object:
        try:
            return main(argv)
        except SystemExit as exc:  # argparse's --help: exit 0 after the help text
            return exc.code

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status, how = attempt("cli " + " ".join(argv[:2]), run)
    text = err.getvalue()
    if how and (status not in (0, 1, 2) or "Traceback" in text
                or (status == 2 and len(text.strip().splitlines()) != 1)):
        how = Outcome("traceback", f"exit {status}: {text[-400:]}")
    return status, how, out.getvalue(), text


def numpy_module(m, directory: Path):
    """The generated NumPy module of ``m``, written to ``directory`` and imported."""
    files = m.codegen("numpy", directory)
    path = Path(files[0])
    spec = importlib.util.spec_from_file_location(f"fuzz_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _numbers(params: dict) -> list | None:
    """The parameters as floats (None when one is not a real number)."""
    out = []
    for v in params.values():
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return None
        out.append(np.float64(v))
    return out


def _numpy_entry(module, m, params: dict, ref) -> Outcome:
    """The generated module at a scalar point: where the reference finds phi*, the
    module's cutoff agrees or its status is non-zero (a failure it reports: its
    contract is that status 0 is the right root); where the parameters are refused,
    its status (or ``admissible``) says so."""
    args = _numbers({p: params[p] for p in m.parameters})
    if args is None or module is None:
        return CLEAN
    refused = isinstance(attempt("check", lambda: m.check(**params))[0], ms.MelitzError)
    with np.errstate(all="ignore"):
        if hasattr(module, "solve_cutoff"):
            phi, status = module.solve_cutoff(*args, status=True)
            ok = int(status) == 0
        else:
            ok = bool(module.admissible(*args)) if hasattr(module, "admissible") else True
            phi = module.phi_star(*args) if ok and hasattr(module, "phi_star") else None
    if isinstance(ref, dict) and "phi_star" in ref:
        if not ok:
            return CLEAN
        return agree("numpy", {"phi_star": phi}, {"phi_star": ref["phi_star"]}, 1e-7)
    if refused and ok and (hasattr(module, "solve_cutoff") or hasattr(module, "admissible")):
        return Outcome("wrong", f"numpy: admissible (phi* {phi}) at refused parameters: {ref}")
    return CLEAN


def check_model(m, params: dict, module=None, entries=MODEL_ENTRIES) -> dict[str, Outcome]:
    """Run the entry points of model ``m`` at ``params``; an Outcome for each."""
    outcomes = {}
    ref, outcomes["reference"] = attempt("reference", lambda: m.reference(dps=DPS, **params))
    if isinstance(ref, dict):
        outcomes["reference"] = finite("reference", ref)
        if not outcomes["reference"]:
            ref = None
    for what, call in (("evaluate", lambda: m.evaluate(dps=DPS, **params)),
                       ("solve", lambda: m.solve(**params))):
        if what not in entries:
            continue
        got, how = attempt(what, call)
        if how and isinstance(got, dict):
            how = finite(what, got)
            if how and isinstance(ref, dict):
                how = agree(what, got, ref)
            elif how and isinstance(ref, ms.AdmissibilityError):
                how = Outcome("wrong", f"{what}: numbers where reference refuses: {ref}")
        outcomes[what] = how
    if "cli solve" in entries:
        outcomes["cli solve"] = _cli_solve(m, params, ref)
    if "numpy" in entries and module is not None:
        got, how = attempt("numpy", lambda: _numpy_entry(module, m, params, ref))
        outcomes["numpy"] = got if how else how
    return {k: v for k, v in outcomes.items() if k in entries}


def _exact_text(v) -> str:
    """A value as the CLI should read it: a finite float as its exact decimal expansion
    (the CLI reads text exactly, and repr(5e-324) = '5e-324' is not 4.94e-324: near a
    singular point such as tau = 1 + 1e-15 the two give outputs 4% apart), lists entry
    by entry, anything else as Python writes it."""
    if isinstance(v, list):
        return "[" + ", ".join(_exact_text(x) for x in v) + "]"
    if isinstance(v, float) and math.isfinite(v):
        return str(Decimal(v))
    return str(v)


def _cli_solve(m, params: dict, ref) -> Outcome:
    argv = ["solve", m.name, "--json", "--dps", str(DPS)]
    if m.dist is not None:
        argv += ["--dist", m.dist.name]
    argv += [f"--set={k}={_exact_text(v)}" for k, v in params.items()]
    status, how, out, _ = _cli(argv)
    if not how or status != 0:
        return how
    try:
        results = json.loads(out)["results"]
    except ValueError:
        return Outcome("wrong", f"cli solve: not JSON: {out[:200]}")
    how = finite("cli solve", results)
    if how and isinstance(ref, dict):
        how = agree("cli solve", results, ref)
    return how


# ----- verify and claims --------------------------------------------------------------
_ATOMS = ["W", r"\varphi^*", "phi_star", "P", "M", "M_e", r"\tau", r"\sigma", "k", "f_x", "x",
          "0", "1", "2", "1e308", "5e-324", r"\infty", "nan", r"\pi", "e", "-1", "0.5"]
_UNARY = [r"\exp({})", r"\ln({})", r"\log({})", r"\sqrt{{{}}}", "({})", "-{}", r"\left({}\right)",
          r"\Gamma({})", r"\sin({})", "|{}|", r"\frac{{d {}}}{{d \tau}}", r"\exp(\exp({}))"]
_BINARY = ["{}+{}", "{}-{}", "{}*{}", "{} {}", "{}/{}", r"\frac{{{}}}{{{}}}", "{}^{{{}}}",
           "{}^{}", "{}_{{{}}}", r"{} \cdot {}", "{}**{}"]
_JUNK = ["", "{", "}", "(", ")", "=", "==", "\\", "^", "_", "\\frac", "&", "%", "$", ",", "\\quad"]


@st.composite
def expressions(draw, depth: int = 3) -> str:
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(_ATOMS))
    if draw(st.booleans()):
        return draw(st.sampled_from(_UNARY)).format(draw(expressions(depth - 1)))
    return draw(st.sampled_from(_BINARY)).format(draw(expressions(depth - 1)),
                                                 draw(expressions(depth - 1)))


@st.composite
def equations(draw) -> str:
    """Well-formed, malformed and extreme equation texts."""
    text = f"{draw(expressions())} = {draw(expressions())}"
    if draw(st.integers(0, 4)) == 0:  # damage it
        i = draw(st.integers(0, len(text)))
        text = text[:i] + draw(st.sampled_from(_JUNK)) + text[i + draw(st.integers(0, 3)):]
    return text


def check_verify(m, text: str) -> Outcome:
    got, how = attempt("verify", lambda: ms.verify(m, text))
    if how and not isinstance(got, (ms.Verdict, ms.MelitzError)):
        how = Outcome("traceback", f"verify returned {type(got).__name__}")
    return how


@st.composite
def claim_texts(draw, m) -> str:
    outs = list(m.outputs) + ["nope", "W/P", "phi_star^2"]
    pars = list(m.parameters) + ["nope", "1", "phi_star"]
    rel = draw(st.sampled_from(["<", ">", "<=", ">=", "=", "==", "", "< 1e308", "> nan"]))
    text = draw(st.sampled_from([
        "d {o}/d {p} {r} 0", "d^2 {o}/d {p}^2 {r} 0", "{o} {r} 0", "d {o}/d {p} {r} d {o}/d {p}",
        "{o} does not depend on {p}", "d({o})/d {p} {r} {o}", "d {o}/d {p}"]))
    text = text.format(o=draw(st.sampled_from(outs)), p=draw(st.sampled_from(pars)), r=rel)
    if draw(st.integers(0, 5)) == 0:
        i = draw(st.integers(0, len(text)))
        text = text[:i] + draw(st.sampled_from(_JUNK)) + text[i:]
    return text


def check_claim(m, text: str) -> Outcome:
    got, how = attempt("claim", lambda: ms.claim(m, text))
    return how


# ----- CLI commands ----------------------------------------------------------------------
COMMANDS = ("models", "derive", "solve", "verify", "latex", "codegen", "sweep", "calibrate",
            "claims", "plot")
_LANGS = ["c", "fortran", "rust", "js", "octave", "r", "numpy", "julia", "", "NUMPY"]
_FORMATS = ["text", "markdown", "latex", "json", "pdf", ""]
_PATHS = ["out.{ext}", "missing/dir/out.{ext}", "exists.{ext}", "out", ".", "", "out.txt",
          "/proc/forbidden.{ext}"]


@st.composite
def cli_argv(draw, tmp: Path, case: tuple[str, str | None],
             commands: tuple[str, ...] = COMMANDS) -> list[str]:
    """A command line: a command, a model and distribution (from the case, or bad), and
    options whose values are drawn from the troublemakers."""
    command = draw(st.sampled_from(sorted(commands)))
    name, dist = case
    base = CASES[case]
    name = draw(st.sampled_from([name] * 6 + ["nope", "", "melitz.toml", "--help"]))
    argv = [command] if command in ("models", "plot") else [command, name]
    if command not in ("models", "plot") and dist and draw(st.integers(0, 3)):
        argv += ["--dist", draw(st.sampled_from([dist] * 4 + ["nope", "", "custom"]))]

    def sets() -> list[str]:
        params = draw(points(base)) if draw(st.booleans()) else dict(base)
        return [f"--set={k}={json.dumps(v, default=str) if isinstance(v, list) else v}"
                for k, v in params.items()]

    def path(ext: str) -> str:
        text = draw(st.sampled_from(_PATHS)).format(ext=ext)
        return str(tmp / text) if text and not text.startswith("/") else text

    if command == "derive":
        argv += ["--format", draw(st.sampled_from(_FORMATS))]
    elif command == "solve":
        argv += sets() + ["--dps", draw(st.sampled_from(["20", "0", "-5", "1", "1001", "abc",
                                                         "17", "100000"]))]
        argv += draw(st.sampled_from([["--json"], [], ["--outputs", "phi_star,nope"]]))
    elif command == "verify":
        argv += [draw(equations())]
        argv += draw(st.sampled_from([[], ["--seconds", "30"], ["--seconds", "-1"],
                                      ["--alias", "theta=k"], ["--alias", "x"], ["--json"]]))
    elif command == "latex":
        argv += ["-o", path("tex")]
    elif command == "codegen":
        argv += ["--lang", draw(st.sampled_from(_LANGS)), "-o", path("d")]
    elif command == "sweep":
        grid = draw(st.sampled_from(["tau=1:3:4", "tau=0.5:3:4", "tau=1:3:0", "tau=1:3:1e12",
                                     "nope=1:2:3", "tau=a:b:c", "sigma=1:5:5", "n=0,1",
                                     "f_e=1:20:3"]))
        argv += sets() + ["--grid", grid, "-o", path(draw(st.sampled_from(["csv", "npz",
                                                                           "parquet", "xyz"])))]
        argv += draw(st.sampled_from([[], ["--errors", "nan"], ["--chunk-size", "0"],
                                      ["--precision", "extended"], ["--no-progress"]]))
    elif command == "calibrate":
        target = draw(st.sampled_from(["share_exporters", "export_intensity", "nope"]))
        argv += sets() + [f"--target={target}={draw(value('x', {}))}"]
        argv += draw(st.sampled_from([[], ["--free", "tau"], ["--free", "nope"], ["--json"]]))
    elif command == "claims":
        argv += draw(st.sampled_from([["--list"], ["--only", "nope"],
                                      ["--claim", draw(claim_texts(ms.model(*case)))]]))
    elif command == "plot":
        argv += [draw(st.sampled_from(["tau", "gains", "density", "pro-competitive", "nope"])),
                 "--model", name, "-o", path(draw(st.sampled_from(["png", "pdf", "svg"])))]
        argv += draw(st.sampled_from([[], ["--tau", "1:3"], ["--tau", "3:1"], ["--tau", "a"],
                                      ["--dists", "pareto,nope"], ["--dist", "lognormal"]]))
        if draw(st.booleans()):
            argv += sets()
    return argv


def check_cli(argv: list[str], tmp: Path) -> Outcome:
    (tmp / "exists.csv").touch()
    (tmp / "exists.tex").touch()
    _, how, _, _ = _cli(argv)
    for child in tmp.iterdir():
        if child.name.startswith("exists."):
            continue
        shutil.rmtree(child) if child.is_dir() else child.unlink()
    return how


# ----- sweep, calibrate ----------------------------------------------------------------
@st.composite
def sweep_designs(draw, base: dict) -> tuple[dict, dict, str]:
    """(design, fixed, errors): a grid of one or two parameters with fuzzed values."""
    names = draw(st.lists(st.sampled_from(sorted(base)), min_size=1, max_size=2, unique=True))
    design = {}
    scalars = [n for n in sorted(base) if not isinstance(base[n], list)]
    names = [n for n in names if n in scalars] or scalars[:1]
    for n in names:
        reals = value(n, base).filter(lambda v: isinstance(v, (int, float)))
        vals = draw(st.lists(st.one_of(st.just(base[n]), reals), min_size=1, max_size=3))
        design[n] = vals
    fixed = {k: v for k, v in base.items() if k not in design}
    return design, fixed, draw(st.sampled_from(["raise", "nan"]))


def check_sweep(m, design: dict, fixed: dict, errors: str) -> Outcome:
    """A sweep's rows are the reference's numbers (nan with a reason only where
    ``errors="nan"`` and the point is refused)."""
    from melitz_sym import sweep

    def run():
        arrays = {k: np.asarray(v, dtype=float) for k, v in design.items()}
        return sweep.run(m, sweep.grid_design(arrays.items()), fixed, errors=errors,
                         chunk_size=2, progress=False)

    got, how = attempt("sweep", run)
    if not how or not isinstance(got, dict):
        return how
    outputs = [o for o in m.outputs if o in got]
    rows = len(next(iter(got.values())))
    for row in range(min(rows, 2)):
        at = {p: got[p][row] for p in m.parameters if p in got}
        at = {**fixed, **{p: float(v) for p, v in at.items() if p not in fixed}}
        values = {o: got[o][row] for o in outputs}
        if np.isnan([values[o] for o in outputs]).any():
            if errors != "nan":
                return Outcome("wrong", f"sweep: nan at row {row} with errors=raise")
            continue
        ref, how = attempt("reference", lambda at=at: m.reference(dps=DPS, **at))
        if isinstance(ref, dict):
            how = agree(f"sweep row {row}", values, ref)
        elif isinstance(ref, ms.AdmissibilityError):
            how = Outcome("wrong", f"sweep: numbers at row {row} the reference refuses: {ref}")
        if not how:
            return how
    return CLEAN


@st.composite
def calibrations(draw, base: dict) -> tuple[dict, dict]:
    targets = {}
    for t in draw(st.lists(st.sampled_from(["share_exporters", "export_intensity", "nope"]),
                           min_size=1, max_size=2, unique=True)):
        targets[t] = draw(st.one_of(st.floats(0, 1), value("x", {})))
    params = draw(points({k: v for k, v in base.items() if k not in ("tau", "f_x")}))
    return targets, params


def check_calibrate(m, targets: dict, params: dict) -> Outcome:
    """A calibration matches its targets (when as many as its free parameters) or
    raises a MelitzError."""
    from melitz_sym.calibrate import calibrate

    got, how = attempt("calibrate", lambda: calibrate(m, targets, **params))
    if how and not isinstance(got, ms.MelitzError):
        if not math.isfinite(got.max_error) or (got.method != "least-squares"
                                                and got.max_error > 1e-8):
            return Outcome("wrong", f"calibrate: max error {got.max_error} at {targets}")
        if not all(math.isfinite(v) for v in got.params.values()):
            return Outcome("wrong", f"calibrate: non-finite {got.params}")
    return how


# ----- cache corruption ----------------------------------------------------------------
DAMAGES = ("truncate", "flip", "random", "empty", "foreign", "version", "not-a-derivation",
           "header-only")


def damage(path: Path, how: str, rng: random.Random, foreign: Path | None) -> None:
    data = path.read_bytes()
    if not data and how in ("truncate", "flip"):  # damaged to nothing before
        how = "random"
    if how == "truncate":
        data = data[:rng.randrange(len(data))]
    elif how == "flip":
        i = rng.randrange(len(data))
        data = data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1:]
    elif how == "random":
        data = rng.randbytes(rng.randrange(1, 4096))
    elif how == "empty":
        data = b""
    elif how == "foreign" and foreign is not None:
        data = foreign.read_bytes()
    elif how == "version":
        data = data.replace(b'"version": "', b'"version": "9', 1)
    elif how == "not-a-derivation":
        import pickle

        from melitz_sym.cache import MAGIC
        payload = pickle.dumps({"not": "a derivation"})
        from melitz_sym.atomic import sha256
        head, _, _ = data.removeprefix(MAGIC).partition(b"\n")
        try:
            header = json.loads(head)
        except ValueError:  # damaged before
            header = {}
        header["sha256"] = sha256(payload)
        data = MAGIC + json.dumps(header).encode() + b"\n" + payload
    elif how == "header-only":
        data = data.partition(b"\n")[0] + b"\n"
    path.write_bytes(data)


def check_cache(case: tuple[str, str | None], how: str, seed: int) -> Outcome:
    """Damage the cache entry of ``case`` (in a private cache directory); a new model
    re-derives the same derivation, and the entry is good again afterwards.

    The entry is the one the cache reads now (:func:`melitz_sym.cache.entry_path`), not
    any file of the model's key: the long profile ran while the package was edited,
    and damaged an entry of an older source digest, which nothing reads or rewrites
    ("cache (empty): the entry was not rewritten")."""
    import os

    from melitz_sym.cache import entry_path
    rng = random.Random(seed)
    m = ms.model(*case)
    want = m.derive()
    entry = entry_path(m.cache_key)
    if not entry.exists():
        return Outcome("traceback", f"no cache entry for {m.cache_key}: {entry}")
    others = [p for p in entry.parent.glob("*.pickle") if p != entry]
    damage(entry, how, rng, rng.choice(others) if others else None)
    got, outcome = attempt("derive from a damaged cache", lambda: ms.model(*case).derive())
    if not outcome:
        return outcome
    if isinstance(got, ms.MelitzError) or got.names != want.names or any(
            str(got[n]) != str(want[n]) for n in want.names):
        return Outcome("wrong", f"cache ({how}): another derivation: {got!r}")
    if entry_path(m.cache_key) != entry:  # the package's source changed meanwhile
        return CLEAN
    again = ms.model(*case)
    if again.derive().names != want.names or not os.path.getsize(entry):
        return Outcome("wrong", f"cache ({how}): the entry was not rewritten")
    return CLEAN


def fresh_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))
