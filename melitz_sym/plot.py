r"""Figures (matplotlib, the ``plot`` extra): comparative statics and densities.

* :func:`against_tau` -- the cutoffs :math:`\varphi^*, \varphi_x^*`, aggregate
  productivity :math:`\tilde\varphi_t` and welfare :math:`W` against the
  iceberg cost :math:`\tau`;
* :func:`gains_against_lam` -- gains from trade :math:`W/W_A` against the
  domestic expenditure share :math:`\lambda`, one curve per productivity
  distribution, traced by varying :math:`\tau`;
* :func:`density` -- the productivity density with the domestic and export
  cutoffs marked and the producers and exporters shaded.
* :func:`pro_competitive` -- the average markup and average productivity
  against market size :math:`L` and against :math:`\tau` for Krugman, Cournot,
  Melitz and Melitz-Ottaviano, each as an index (1 at the first point), one set
  of axes per pair.

Every curve is computed by :meth:`Model.solve` (the vectorised path generated
from the derivation); axis labels are the LaTeX of the symbol registry,
rendered by matplotlib's mathtext.  Figures are written by
:func:`matplotlib.figure.Figure.savefig`, the format taken from the file
suffix (``.png`` or ``.pdf``).  Parameters not given take the values of
:data:`EXAMPLE_PARAMS`; every figure states the parameters it was drawn at
(:func:`parameter_note`).  Each function draws into a new figure, or into the
axes ``ax`` of a figure of your own (a sequence of three for
:func:`against_tau`), and returns the figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from .admissibility import exact
from .errors import MelitzError, ParseError, UnknownNameError
from .symbols import canonical, latex_name

FORMATS = (".png", ".pdf")
EXAMPLE_PARAMS = {"sigma": 3.8, "k": 4.6, "b": 1.0, "b_H": 8.0, "mu": 0.0, "s": 0.5,
                  "f": 1.0, "f_x": 1.5, "f_e": 1.0, "delta": 0.1, "tau": 1.5, "n": 1.0,
                  "L": 100.0, "f_I": 50.0}
"""Example parameters (sigma and k of Balistreri, Hillberry and Rutherford 2011; the
FDI fixed cost ``f_I`` of ``hmy`` above ``tau^(sigma-1) f_x`` over most of the tau axis)."""
DISTRIBUTIONS = ("pareto", "truncated-pareto", "lognormal")
#: the models of :func:`pro_competitive`, with their parameters that
#: :data:`EXAMPLE_PARAMS` lacks or sets for another model
PRO_COMPETITIVE_MODELS = {"krugman": {}, "cournot": {"phi": 1.0}, "melitz": {},
                          "melitz-ottaviano": {"alpha": 10.0, "gamma": 1.0, "eta": 1.0,
                                               "c_M": 1.0, "f_e": 0.01}}


def _figure(ncols: int = 1, ax=None):
    """A new figure with ``ncols`` axes side by side, or the figure of the given ``ax``
    (one axes, or a sequence of ``ncols``)."""
    if ax is not None:
        axes = list(ax) if isinstance(ax, Sequence) or hasattr(ax, "flat") else [ax]
        axes = list(np.ravel(np.array(axes, dtype=object)))
        if len(axes) != ncols:
            raise MelitzError(f"ax: this figure draws into {ncols} axes, got {len(axes)}")
        return axes[0].get_figure(), axes
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise MelitzError("figures need matplotlib: pip install 'melitz-sym[plot]' (from a "
                          "source tree: pip install '.[plot]')") from None
    fig = Figure(figsize=(4.2 * ncols, 3.6), layout="constrained")
    return fig, list(fig.subplots(1, ncols, squeeze=False)[0])


def parameter_note(values: Mapping[str, float]) -> str:
    """The parameters a figure was drawn at, as mathtext: ``$\\sigma$ = 3.8, ...``.

    Names without a registered symbol (the parameter of a ``Custom`` density) are
    written as they are.

    Parameters
    ----------
    values : mapping
        Parameter name -> number.

    Returns
    -------
    str
        The note, each value to four significant digits.
    """
    parts = []
    for name, value in values.items():
        try:
            shown = label(name)
        except UnknownNameError:
            shown = name
        parts.append(f"{shown} = {value:.4g}")
    return ", ".join(parts)


def _note(fig, axes, values: Mapping[str, float], own: bool) -> None:
    """Write the parameters at the foot of a figure of ours, or under the title of the
    first of the user's axes (their figure's layout is theirs)."""
    text = parameter_note(values)
    if own:
        fig.supxlabel(text, fontsize="x-small")
    else:
        axes[0].set_title(f"{axes[0].get_title()}\n{text}", fontsize="x-small")


def label(name: str) -> str:
    """Mathtext label of a registered symbol, e.g. ``$\\varphi^*$``.

    Parameters
    ----------
    name : str
        A registered name (``"phi_star"``).

    Returns
    -------
    str
        Its LaTeX name between dollars.
    """
    return f"${latex_name(name)}$"


def _params(model, params: Mapping[str, object] | None, drop: Sequence[str] = ()) -> dict:
    """The model's parameters: ``params`` first, then :data:`EXAMPLE_PARAMS`."""
    given = dict(EXAMPLE_PARAMS)
    for key, value in (params or {}).items():
        try:
            given[canonical(key)] = value
        except UnknownNameError:
            if key not in model.parameters:  # e.g. the parameter of a Custom density
                raise
            given[key] = value
    missing = [p for p in model.parameters if p not in drop and p not in given]
    if missing:
        raise ParseError(f"{model.name}: no value for {', '.join(missing)}; give it with "
                         "--set NAME=VALUE")
    return {p: float(exact(p, given[p])) for p in model.parameters if p not in drop}


def save(fig, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` (``.png`` at 150 dpi or ``.pdf``).

    The files carry no creation date or software version, so a figure redrawn is
    byte for byte the same.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure of this module.
    path : str or pathlib.Path
        The file to write (its directory is created); the suffix chooses the format.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    if path.suffix not in FORMATS:
        raise ParseError(f"figure {path}: unknown format {path.suffix!r}; use .png or .pdf")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150, metadata={"Software": None} if path.suffix == ".png"
                else {"Creator": None, "Producer": None, "CreationDate": None})
    return path


def against_tau(model, params: Mapping[str, object] | None = None,
                tau: tuple[float, float] = (1.0, 3.0), points: int = 200, ax=None):
    r"""Figure: the cutoffs :math:`\varphi^*, \varphi_x^*`, aggregate productivity
    :math:`\tilde\varphi_t` and welfare :math:`W` against :math:`\tau` over ``tau``.

    Parameters
    ----------
    model : Model
        The model, solved at ``points`` values of :math:`\tau` by :meth:`Model.solve`.
    params : mapping, optional
        Parameters other than ``tau``; the rest from :data:`EXAMPLE_PARAMS`.
    tau : (float, float)
        The range of :math:`\tau`.
    points : int
        Number of values of :math:`\tau`.
    ax : sequence of three matplotlib Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure
    """
    taus = np.linspace(*tau, points)
    values = _params(model, params, drop=["tau"])
    cutoffs = [c for c in ("phi_star", "phi_x_star", "phi_I_star") if c in model.outputs]
    average = next((a for a in ("phi_tilde_t", "phi_tilde") if a in model.outputs),
                   "phi_tilde_t")  # hmy reports the domestic average only
    r = model.solve(outputs=[*cutoffs, average, "W"], tau=taus, **values)
    fig, (ax1, ax2, ax3) = _figure(3, ax)
    for c in cutoffs:
        ax1.plot(taus, r[c], label=label(c))
    ax1.set_title("productivity cutoffs")
    ax1.legend()
    ax2.plot(taus, r[average])
    ax2.set_ylabel(label(average))
    ax2.set_title("aggregate productivity")
    ax3.plot(taus, r["W"])
    ax3.set_ylabel(label("W"))
    ax3.set_title("welfare")
    for one in (ax1, ax2, ax3):
        one.set_xlabel(label("tau"))
    if ax is None:
        fig.suptitle(_title(model))
    _note(fig, [ax1, ax2, ax3], values, ax is None)
    return fig


def gains_against_lam(params: Mapping[str, object] | None = None,
                      dists: Sequence[str] = DISTRIBUTIONS, model_name: str = "melitz",
                      tau: tuple[float, float] = (1.0, 3.0), points: int = 200, ax=None):
    r"""Figure: gains from trade :math:`W/W_A` against the domestic expenditure share
    :math:`\lambda`, one curve per distribution, traced by :math:`\tau` over ``tau``.

    Parameters
    ----------
    params : mapping, optional
        Parameters other than ``tau``; the rest from :data:`EXAMPLE_PARAMS`.
    dists : sequence of str
        Distribution names, one curve each.
    model_name : str
        The model of every curve.
    tau : (float, float)
        The range of :math:`\tau`.
    points : int
        Number of values of :math:`\tau`.
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from .facade import model as build

    taus = np.linspace(*tau, points)
    fig, (one,) = _figure(1, ax)
    drawn: dict[str, float] = {}
    for dist in dists:
        m = build(model_name, dist)
        values = _params(m, params, drop=["tau"])
        drawn.update(values)
        r = m.solve(outputs=["lam", "gains"], tau=taus, **values)
        one.plot(r["lam"], r["gains"], label=dist)
    one.set_xlabel(f"domestic expenditure share {label('lam')}")
    one.set_ylabel(f"gains from trade {label('gains')}")
    one.legend(title="productivity")
    one.set_title(f"gains from trade, {label('tau')} from {tau[0]:g} to {tau[1]:g}")
    _note(fig, [one], drawn, ax is None)
    return fig


def density(model, params: Mapping[str, object] | None = None, points: int = 400, ax=None):
    r"""Figure: the productivity density :math:`g(\varphi)` with the cutoffs
    :math:`\varphi^*` and :math:`\varphi_x^*` marked, producers
    (:math:`\varphi \ge \varphi^*`) and exporters (:math:`\varphi \ge \varphi_x^*`) shaded.

    Parameters
    ----------
    model : Model
        A model with a continuous productivity distribution.
    params : mapping, optional
        Its parameters; the rest from :data:`EXAMPLE_PARAMS`.
    points : int
        Number of points of the curve.
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import sympy as sp

    from .symbols import sym

    dist = model.dist
    if dist is None or not dist.continuous:
        raise MelitzError(f"{model!r} has no productivity density to draw")
    values = _params(model, params)
    cut = model.solve(outputs=["phi_star", "phi_x_star"], **values)
    phi_s, phi_x = float(cut["phi_star"]), float(cut["phi_x_star"])
    at = {s: values[s.name] for s in dist.symbols}
    lo, hi = (float(sp.N(e.subs(at))) for e in dist.support)
    hi = min(hi, max(2.0 * phi_x, 1.5 * phi_s))
    x = np.linspace(lo if lo > 0 else 1e-3 * phi_s, hi, points)
    phi = sym("phi")
    g = sp.lambdify(phi, dist.pdf(phi).subs(at), "scipy")
    y = np.broadcast_to(g(x), x.shape)
    fig, (one,) = _figure(1, ax)
    one.plot(x, y, color="black")
    one.fill_between(x, y, where=x >= phi_s, alpha=0.25, label="producers")
    one.fill_between(x, y, where=x >= phi_x, alpha=0.45, label="exporters")
    for value, name in ((phi_s, "phi_star"), (phi_x, "phi_x_star")):
        one.axvline(value, linestyle="--", color="gray")
        one.annotate(label(name), (value, one.get_ylim()[1] * 0.9), xytext=(3, 0),
                     textcoords="offset points")
    one.set_xlabel(f"productivity {label('phi')}")
    one.set_ylabel(f"density $g({latex_name('phi')})$")
    one.legend()
    one.set_title(_title(model))
    _note(fig, [one], values, ax is None)
    return fig


def average_markup(model, values: Mapping[str, object]):
    r"""The average markup of ``model`` at ``values`` (arrays broadcast).

    The output ``markup_bar`` (:math:`p - c`, Melitz-Ottaviano) or ``markup``
    (:math:`p\,\varphi`), else, with CES demand, price over marginal cost
    :math:`1/\varphi` from the derived ``pricing`` step, the same for every producer
    (:math:`\sigma/(\sigma - 1)`).

    Parameters
    ----------
    model : Model
        The model.
    values : mapping
        Parameter name -> number or array.

    Returns
    -------
    numpy.ndarray
        The average markup, of the broadcast shape of ``values``.

    Raises
    ------
    MelitzError
        If markups differ across producers and the model has no average markup output.
    """
    import sympy as sp

    from .symbols import sym

    for name in ("markup_bar", "markup"):
        if name in model.outputs:
            return model.solve([name], **values)[name]
    phi = sym("phi")
    ratio = sp.simplify(model.derive()["pricing"].rhs * phi)
    if phi in ratio.free_symbols:
        raise MelitzError(f"{model.name}: markups differ across producers and the model has "
                          "no average markup output")
    syms = sorted(ratio.free_symbols, key=lambda x: x.name)
    shape = np.broadcast(*[np.asarray(v) for v in values.values()]).shape
    return np.broadcast_to(sp.lambdify(syms, ratio)(*[values[x.name] for x in syms]), shape)


def average_productivity(model, values: Mapping[str, object]):
    """Average productivity of producers: ``phi_tilde`` (Melitz), ``1/c_bar`` (the inverse
    average cost, Melitz-Ottaviano) or labour productivity ``q_per_l`` (a representative
    firm).

    Parameters
    ----------
    model : Model
        A model with one of those outputs.
    values : mapping
        Its parameters, numbers or arrays that broadcast together.

    Returns
    -------
    numpy.ndarray
        The average productivity at each point.
    """
    if "phi_tilde" in model.outputs:
        return model.solve(["phi_tilde"], **values)["phi_tilde"]
    if "c_bar" in model.outputs:
        return 1 / model.solve(["c_bar"], **values)["c_bar"]
    return model.solve(["q_per_l"], **values)["q_per_l"]


def pro_competitive(params: Mapping[str, object] | None = None,
                    L: tuple[float, float] = (50.0, 500.0),
                    tau: tuple[float, float] = (1.0, 3.0), points: int = 100):
    r"""Figure: average markup and average productivity against L and against tau, for
    krugman, cournot, melitz (Pareto) and melitz-ottaviano, each curve an index equal to
    1 at the first point.  Cournot's one market has no trade cost (integration is a rise
    in L): it is drawn against L only.

    Parameters
    ----------
    params : mapping, optional
        Parameters of the models; the rest from :data:`EXAMPLE_PARAMS` and
        :data:`PRO_COMPETITIVE_MODELS`.
    L : (float, float)
        The range of the labour endowment :math:`L`.
    tau : (float, float)
        The range of :math:`\tau`.
    points : int
        Number of values in each range.

    Returns
    -------
    matplotlib.figure.Figure
        Two rows (average markup, average productivity) by two columns (against
        :math:`L`, against :math:`\tau`).
    """
    from .facade import model as build

    grids = {"L": np.linspace(*L, points), "tau": np.linspace(*tau, points)}
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.4, 6.4), layout="constrained")
    axes = fig.subplots(2, 2)
    for i, (name, extra) in enumerate(PRO_COMPETITIVE_MODELS.items()):
        m = build(name)
        style = {"color": f"C{i}", "linestyle": ("--", "-", ":", "-")[i], "label": name}
        for col, (x, grid) in enumerate(grids.items()):
            if x not in m.parameters:
                continue
            values = {**_params(m, {**extra, **(params or {})}, drop=[x]), x: grid}
            for row, series in enumerate((average_markup, average_productivity)):
                y = np.asarray(series(m, values), float)
                axes[row, col].plot(grid, y / y[0], **style)
    for col, x in enumerate(grids):
        axes[0, col].set_title(f"average markup against {label(x)}")
        axes[1, col].set_title(f"average productivity against {label(x)}")
        for row in range(2):
            axes[row, col].set_xlabel(label(x))
            axes[row, col].set_ylabel("index (1 at the first point)")
            axes[row, col].legend(fontsize="small")
    axes[0, 1].annotate("cournot: no trade cost\n(integration is a rise in L)", (0.4, 0.3),
                        xycoords="axes fraction", fontsize="small")
    return fig


def _title(model) -> str:
    return model.name + (f", {model.dist.name}" if model.dist is not None else "")
