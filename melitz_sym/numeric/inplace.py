"""A lambdified function's outputs evaluated in place, on reused scratch arrays.

``sympy.lambdify`` (with ``cse=True``) prints one numpy expression per common
subexpression, and numpy allocates a fresh array for every operation in it.  On
a block of :data:`melitz_sym.numeric.fast.BLOCK` points those allocations and the
passes over fresh memory cost as much as the arithmetic: the power forms of
Melitz-Pareto phi* and W took 26 ms per 1e6 points, the same operations written
with ``out=`` 21 ms.  :func:`in_place` reads the code that lambdify generated (its
Python syntax tree, so that every operation keeps lambdify's operands and order)
and evaluates it as a sequence of ufunc calls, each writing into a scratch
array whose value is no longer needed, or into the output it computes.

Only arithmetic, powers and ufuncs with a loop of doubles (numpy's and
scipy.special's) are taken; code with anything else (a Python function, a
conditional) is left to lambdify.
numexpr does the same kind of fusion, but calls scalar libm where numpy's exp and
log are SIMD: measured 2.3x slower here (see the closing note of session 22).
"""

from __future__ import annotations

import ast
import inspect
import threading
from typing import Callable, NamedTuple

import numpy as np

_BINARY = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
           ast.Div: np.true_divide, ast.Pow: np.power}

#: Powers with a constant exponent that numpy computes exactly (correctly rounded)
#: by a cheaper ufunc: ``x**-1.0`` as 1/x (half the time of ``power``), ``x**0.5``
#: as sqrt, ``x**2`` as x*x.
_POWERS = {-1.0: np.reciprocal, 0.5: np.sqrt, 2.0: np.square}


class _Unsupported(Exception):
    """The generated code uses something other than arithmetic and ufuncs."""


class _Op(NamedTuple):
    """One operation: ``ufunc(*operands)``; an operand is ("arg", i), ("const", value)
    or ("op", j), the value of operation j."""

    ufunc: np.ufunc
    operands: tuple


class _Program(NamedTuple):
    """The operations of a lambdified function in order, with its number of arguments
    and the values of its outputs."""

    arity: int
    ops: tuple
    outputs: tuple


def _parse(fn: Callable, count: int) -> _Program:
    """The :class:`_Program` of the first ``count`` outputs of the lambdified ``fn``."""
    tree = ast.parse(inspect.getsource(fn))
    func = tree.body[0]
    if not isinstance(func, ast.FunctionDef):
        raise _Unsupported
    names = {a.arg: ("arg", i) for i, a in enumerate(func.args.args)}
    ops: list[_Op] = []

    def value(node: ast.expr) -> tuple:
        if isinstance(node, ast.Name) and node.id in names:
            return names[node.id]
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return ("const", float(node.value))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            operand = value(node.operand)
            return (("const", -operand[1]) if operand[0] == "const"
                    else emit(np.negative, operand))
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            right = value(node.right)
            if isinstance(node.op, ast.Pow) and right[0] == "const" and right[1] in _POWERS:
                return emit(_POWERS[right[1]], value(node.left))
            return emit(_BINARY[type(node.op)], value(node.left), right)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            ufunc = fn.__globals__.get(node.func.id)
            if (isinstance(ufunc, np.ufunc) and ufunc.nout == 1 and ufunc.nin == len(node.args)
                    and "d" * ufunc.nin + "->d" in ufunc.types):  # a loop of doubles
                return emit(ufunc, *map(value, node.args))
        raise _Unsupported

    def emit(ufunc: np.ufunc, *operands: tuple) -> tuple:
        ops.append(_Op(ufunc, operands))
        return ("op", len(ops) - 1)

    *body, last = func.body
    for statement in body:
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)):
            raise _Unsupported
        names[statement.targets[0].id] = value(statement.value)
    if not (isinstance(last, ast.Return) and isinstance(last.value, ast.List)):
        raise _Unsupported
    outputs = tuple(value(e) for e in last.value.elts[:count])
    return _Program(len(func.args.args), tuple(ops), outputs)


def _specialise(program: _Program, arrays: tuple) -> tuple[Callable, int]:
    """Python code for ``program`` where the arguments flagged in ``arrays`` are arrays
    (of one shape) and the others numbers, and the number of scratch arrays it takes.

    Operations of numbers only are done on numbers; each other operation writes
    into its output's array or into a scratch array, reusing one whose value has
    been read for the last time (often an operand of the operation itself).
    Operations that no output needs are left out."""
    needed = set(program.outputs)
    for j in reversed(range(len(program.ops))):
        if ("op", j) in needed:
            needed.update(program.ops[j].operands)
    order = [j for j in range(len(program.ops)) if ("op", j) in needed]
    is_array = {("arg", i): flag for i, flag in enumerate(arrays)}
    last_use = {}
    for j in order:
        operands = program.ops[j].operands
        is_array[("op", j)] = any(is_array.get(v, False) for v in operands)
        last_use.update(dict.fromkeys(operands, j))
    outputs = {}  # the first output of each value computed by an array operation
    for k, o in enumerate(program.outputs):
        if o[0] == "op" and is_array[o] and o not in outputs:
            outputs[o] = k
    consts: dict[float, str] = {}
    ufuncs: dict[np.ufunc, str] = {}
    where: dict[tuple, str] = {("arg", i): f"a{i}" for i in range(program.arity)}

    def named(v: tuple) -> str:
        return consts.setdefault(v[1], f"c{len(consts)}") if v[0] == "const" else where[v]

    free: list[int] = []
    slots = 0
    lines = [f"    o{k} = _empty(_shape)" for k in outputs.values()]
    for j in order:
        op = program.ops[j]
        ufunc = ufuncs.setdefault(op.ufunc, f"u{len(ufuncs)}")
        call = f"{ufunc}({', '.join(map(named, op.operands))}"
        if not is_array[("op", j)]:
            where[("op", j)] = f"s{j}"
            lines.append(f"    s{j} = {call})")
            continue
        for v in dict.fromkeys(op.operands):  # scratch read here for the last time
            if v[0] == "op" and last_use[v] == j and is_array[v] and v not in outputs:
                free.append(int(where[v][1:]))
        if ("op", j) in outputs:
            where[("op", j)] = f"o{outputs[('op', j)]}"
        else:
            if not free:
                free.append(slots)
                slots += 1
            where[("op", j)] = f"t{free.pop(0)}"
        lines.append(f"    {call}, out={where[('op', j)]})")
    head = [f"def _in_place({', '.join(f'a{i}' for i in range(program.arity))}, _t, _shape):"]
    head += [f"    t{s} = _t[{s}]" for s in range(slots)]
    results = ", ".join(map(named, program.outputs))
    namespace = {"_empty": np.empty, **{v: k for k, v in ufuncs.items()},
                 **{v: k for k, v in consts.items()}}
    exec("\n".join(head + lines + [f"    return [{results}]"]), namespace)  # noqa: S102
    return namespace["_in_place"], slots


_SCRATCH = threading.local()


def _scratch(count: int, shape: tuple) -> list[np.ndarray]:
    """``count`` scratch arrays of ``shape``, this thread's own (reused between calls)."""
    size = int(np.prod(shape))
    buffers = getattr(_SCRATCH, "buffers", [])
    if len(buffers) < count or any(b.size < size for b in buffers):
        length = max([size] + [b.size for b in buffers])
        buffers = [np.empty(length) for _ in range(max(count, len(buffers)))]
        _SCRATCH.buffers = buffers
    return [b[:size].reshape(shape) for b in buffers[:count]]


def in_place(fn: Callable, count: int) -> Callable | None:
    """The first ``count`` outputs of ``fn``, a function made by ``sympy.lambdify``
    (with ``cse=True``), computed with the same operations in the same order but
    in place (see the module's description): a function of ``fn``'s arguments
    returning those outputs (fresh arrays, or the arguments and numbers they are).
    Where the array arguments differ in shape (broadcasting) or an argument is
    not a double, ``fn`` itself.  None where ``fn``'s code uses anything but
    arithmetic and ufuncs."""
    try:
        program = _parse(fn, count)
    except (_Unsupported, OSError, TypeError):
        return None
    specialised: dict[tuple, tuple] = {}

    def run(*args):
        arrays = tuple(np.ndim(a) > 0 for a in args)
        shapes = {np.shape(a) for a, flag in zip(args, arrays) if flag}
        if len(shapes) > 1 or any(np.result_type(a) != np.float64 for a in args):
            return fn(*args)[:count]
        if arrays not in specialised:
            specialised[arrays] = _specialise(program, arrays)
        code, slots = specialised[arrays]
        shape = shapes.pop() if shapes else ()
        return code(*args, _scratch(slots, shape), shape)

    return run
