r"""Parameter sweeps: many equilibria at once, in chunks, resumable.

A sweep evaluates :meth:`Model.solve` (the vectorised numpy path generated
from the derivation) on a *design* of points, a table with one column per
varied parameter:

* a **grid**: ``tau=1:3:200`` is ``numpy.linspace(1, 3, 200)``; several grids
  span their Cartesian product;
* **random** draws: ``N`` points uniform on the box of ``--range`` intervals;
* a **Latin hypercube** of ``N`` points on the same box
  (:class:`scipy.stats.qmc.LatinHypercube`: each interval is cut into ``N``
  strata and every stratum of every parameter is sampled exactly once).

Points are split into chunks of ``chunk_size`` rows.  Each finished chunk is
written to ``<output>.parts/chunk-NNNNNN.npz`` at once, so an interrupted sweep
resumes where it stopped; a manifest records what the work directory belongs
to, and a different sweep never reuses its chunks.  When all chunks exist they
are merged into the output (``.csv``, ``.npz`` or ``.parquet``) and the work
directory is removed.

Every point is checked against the model's restrictions before anything is
computed: an inadmissible point raises :class:`AdmissibilityError` naming the
restriction, the values and the row (no silent ``nan`` in the results).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np

from .errors import AdmissibilityError, MelitzError, ParseError
from .symbols import canonical

FORMATS = (".csv", ".npz", ".parquet")
CHUNK_SIZE = 16384


# ----- designs ---------------------------------------------------------------
def _number(text: str, spec: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ParseError(f"in {spec!r}: {text!r} is not a number") from None


def _name(text: str, spec: str) -> str:
    name = text.strip()
    if not name:
        raise ParseError(f"in {spec!r}: missing parameter name before '='")
    try:
        return canonical(name)
    except MelitzError:
        return name  # the model reports unknown names with its parameter list


def parse_grid(spec: str) -> tuple[str, np.ndarray]:
    """``"tau=1:3:200"`` -> ``("tau", linspace(1, 3, 200))``; ``"n=0,1,5"`` -> listed values."""
    if "=" not in spec:
        raise ParseError(f"grid {spec!r}: expected NAME=START:STOP:COUNT or NAME=V1,V2,...")
    name, rhs = spec.split("=", 1)
    name = _name(name, spec)
    if ":" in rhs:
        parts = rhs.split(":")
        if len(parts) != 3:
            raise ParseError(f"grid {spec!r}: expected START:STOP:COUNT after '='")
        start, stop = (_number(p, spec) for p in parts[:2])
        try:
            count = int(parts[2])
        except ValueError:
            raise ParseError(f"in {spec!r}: COUNT {parts[2]!r} is not an integer") from None
        if count < 1:
            raise ParseError(f"in {spec!r}: COUNT must be at least 1")
        return name, np.linspace(start, stop, count)
    return name, np.array([_number(v, spec) for v in rhs.split(",")])


def parse_range(spec: str) -> tuple[str, tuple[float, float]]:
    """``"tau=1:3"`` -> ``("tau", (1.0, 3.0))``: the interval of random or LHS draws."""
    name, sep, rhs = spec.partition("=")
    if not sep or rhs.count(":") != 1:
        raise ParseError(f"range {spec!r}: expected NAME=LOW:HIGH")
    lo, hi = (_number(p, spec) for p in rhs.split(":"))
    if not lo <= hi:
        raise ParseError(f"range {spec!r}: LOW must not exceed HIGH")
    return _name(name, spec), (lo, hi)


def grid_design(grids: Iterable[tuple[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The Cartesian product of grids, one flat column per parameter (first varies slowest)."""
    grids = list(grids)
    names = [g[0] for g in grids]
    if len(set(names)) != len(names):
        raise ParseError(f"a parameter is gridded twice: {', '.join(names)}")
    mesh = np.meshgrid(*[g[1] for g in grids], indexing="ij")
    return {name: m.ravel() for name, m in zip(names, mesh)}


def draw_design(ranges: Mapping[str, tuple[float, float]], count: int, method: str = "random",
                seed: int = 0) -> dict[str, np.ndarray]:
    """``count`` points on the box ``ranges``: uniform ``"random"`` draws or ``"lhs"``."""
    if not ranges:
        raise ParseError(f"{method} draws need at least one --range NAME=LOW:HIGH")
    if count < 1:
        raise ParseError("the number of draws must be at least 1")
    lo = np.array([r[0] for r in ranges.values()])
    hi = np.array([r[1] for r in ranges.values()])
    if method == "random":
        unit = np.random.default_rng(seed).random((count, len(ranges)))
    elif method == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(ranges), seed=seed).random(count)
    else:
        raise ParseError(f"unknown draw method {method!r}; use 'random' or 'lhs'")
    points = lo + unit * (hi - lo)
    return {name: points[:, i] for i, name in enumerate(ranges)}


# ----- running -----------------------------------------------------------------
def _columns(model, design: Mapping[str, np.ndarray], fixed: Mapping[str, object]
             ) -> dict[str, np.ndarray]:
    """Every parameter of ``model`` as a float column of the design's length."""
    size = len(next(iter(design.values()))) if design else 1
    both = set(design) & set(fixed)
    if both:
        raise ParseError(f"{', '.join(sorted(both))} both swept and set")
    values = model.canonical_params({**fixed, **design})
    out = {}
    for name in model.parameters:
        try:
            col = np.asarray(values[name], dtype=float)
        except (TypeError, ValueError):
            raise ParseError(f"parameter {name}: {values[name]!r} is not a number") from None
        out[name] = np.broadcast_to(col, (size,)).copy()
    return out


def check_design(model, columns: Mapping[str, np.ndarray]) -> None:
    """Raise :class:`AdmissibilityError` at the first row that violates a restriction."""
    from .numeric.fast import admissible_mask

    ok, failures = admissible_mask(model.derive(), columns)
    for r, bad in failures:
        if bad.any():
            row = int(np.argmax(bad))
            at = {k: v[row].item() for k, v in columns.items()}
            raise AdmissibilityError(r.message(at, f" at row {row} of the sweep"))


def _manifest(model, columns: Mapping[str, np.ndarray], outputs: list[str],
              chunk_size: int, precision: str) -> dict:
    h = hashlib.sha256()
    for name, col in columns.items():
        h.update(name.encode())
        h.update(np.ascontiguousarray(col).tobytes())
    dist = model.dist.name if model.dist is not None else None
    return {"model": model.name, "dist": dist, "outputs": outputs, "chunk_size": chunk_size,
            "precision": precision, "rows": len(next(iter(columns.values()))),
            "points": h.hexdigest()}


def workdir_for(output: Path) -> Path:
    """Directory of finished chunks that belongs to ``output``."""
    return output.with_name(output.name + ".parts")


def _chunk_path(workdir: Path, i: int) -> Path:
    return workdir / f"chunk-{i:06d}.npz"


def _save_chunk(workdir: Path, i: int, block: np.ndarray) -> None:
    tmp = workdir / f".chunk-{i:06d}.tmp.npz"
    np.savez(tmp, values=block)
    tmp.replace(_chunk_path(workdir, i))  # atomic: a chunk file is complete or absent


def solve_block(model, names: list[str], outputs: list[str], block: np.ndarray,
                precision: str = "double") -> np.ndarray:
    """Outputs (columns) at the points of ``block`` (rows; columns in order ``names``)."""
    params = {name: block[:, j] for j, name in enumerate(names)}
    result = model.solve(outputs=outputs, errors="raise", precision=precision, **params)
    return np.column_stack([result[o] for o in outputs])


def run(model, design: Mapping[str, np.ndarray], fixed: Mapping[str, object] | None = None,
        outputs: list[str] | None = None, output: str | Path | None = None,
        chunk_size: int = CHUNK_SIZE, progress: bool | None = None,
        backend: str = "local", scheduler: str | None = None,
        precision: str = "double") -> dict[str, np.ndarray]:
    """Solve ``model`` at every point of ``design``; return parameter and output columns.

    Parameters
    ----------
    model : a :class:`melitz_sym.Model`.
    design : varied parameter -> 1-d array of values (all the same length).
    fixed : the remaining parameters (numbers or exact strings).
    outputs : output names (default: every output of the model).
    output : results file; with it, finished chunks are kept in
        ``<output>.parts/`` until the merge, so a rerun resumes.
    chunk_size : rows per chunk (the unit of progress, resumption and dask blocks).
    progress : show a progress bar (None: only when stderr is a terminal).
    backend : ``"local"`` or ``"dask"`` (chunks as blocks of a dask array on the
        distributed scheduler at ``scheduler``).
    precision : that of :meth:`melitz_sym.Model.solve` (``"double"``,
        ``"adaptive"`` or ``"extended"``); chunks left by a sweep at another
        precision are not reused.
    """
    if chunk_size < 1:
        raise ParseError("chunk size must be at least 1")
    columns = _columns(model, design, fixed or {})
    outputs = model.output_names(outputs)
    check_design(model, columns)
    names = list(columns)
    points = np.column_stack([columns[n] for n in names])
    chunks = [(i, s) for i, s in enumerate(range(0, len(points), chunk_size))]
    workdir = None
    done: dict[int, np.ndarray] = {}
    if output is not None:
        output = Path(output)
        _check_format(output)
        workdir = workdir_for(output)
        manifest = _manifest(model, columns, outputs, chunk_size, precision)
        workdir.mkdir(parents=True, exist_ok=True)
        mfile = workdir / "manifest.json"
        if mfile.exists() and json.loads(mfile.read_text()) != manifest:
            raise MelitzError(f"{workdir} holds chunks of a different sweep; remove it to "
                              "start afresh")
        mfile.write_text(json.dumps(manifest, indent=1))
        for i, _ in chunks:
            if _chunk_path(workdir, i).exists():
                done[i] = np.load(_chunk_path(workdir, i))["values"]
    todo = [(i, points[s:s + chunk_size]) for i, s in chunks if i not in done]

    from tqdm.auto import tqdm

    bar = tqdm(total=len(points), initial=len(points) - sum(len(b) for _, b in todo),
               unit="pt", disable=None if progress is None else not progress,
               desc=f"sweep {model.name}")

    def finished(i: int, block: np.ndarray) -> None:
        if workdir is not None:
            _save_chunk(workdir, i, block)
        done[i] = block
        bar.update(len(block))

    try:
        if backend == "local":
            for i, block in todo:
                finished(i, solve_block(model, names, outputs, block, precision))
        elif backend == "dask":
            from .sweep_dask import run_blocks

            run_blocks(model, names, outputs, todo, scheduler, finished, precision)
        else:
            raise ParseError(f"unknown backend {backend!r}; use 'local' or 'dask'")
    finally:
        bar.close()
    values = np.concatenate([done[i] for i, _ in chunks]) if chunks else np.empty((0, 0))
    result = dict(columns)
    result.update({o: values[:, j] for j, o in enumerate(outputs)})
    if output is not None:
        write(result, output)
        shutil.rmtree(workdir)
    return result


# ----- output files ----------------------------------------------------------
def _check_format(path: Path) -> None:
    if path.suffix not in FORMATS:
        raise ParseError(f"output {path}: unknown format {path.suffix!r}; use "
                         f"{', '.join(FORMATS)}")
    if path.suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise MelitzError("writing .parquet needs pyarrow (pip install pyarrow); or use "
                              ".csv or .npz") from None


def write(columns: Mapping[str, np.ndarray], path: str | Path) -> Path:
    """Write named columns to ``.csv`` (header row, exact round-trip), ``.npz`` or ``.parquet``."""
    path = Path(path)
    _check_format(path)
    tmp = path.with_name(f".{path.name}.tmp{path.suffix}")
    if path.suffix == ".csv":
        table = np.column_stack(list(columns.values())).tolist()
        with open(tmp, "w") as fh:  # repr: the shortest text that reads back exactly
            fh.write(",".join(columns) + "\n")
            fh.writelines(",".join(map(repr, row)) + "\n" for row in table)
    elif path.suffix == ".npz":
        np.savez(tmp, **columns)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table(dict(columns)), tmp)
    tmp.replace(path)
    return path


def read(path: str | Path) -> dict[str, np.ndarray]:
    """Read a file written by :func:`write` back into named columns."""
    path = Path(path)
    _check_format(path)
    if path.suffix == ".csv":
        table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
        header = path.read_text().split("\n", 1)[0].split(",")
        return {name: table[:, j] for j, name in enumerate(header)}
    if path.suffix == ".npz":
        with np.load(path) as data:
            return {name: data[name] for name in data.files}
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    return {name: table[name].to_numpy() for name in table.column_names}


Finished = Callable[[int, np.ndarray], None]
