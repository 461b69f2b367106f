"""Labelled results (issue 21): solve(..., as_frame=True) keeps the parameters beside the
outputs; the numbers are those of the plain solve."""

import numpy as np

import melitz_sym as ms
from melitz_sym.labelled import label

PARAMS = dict(sigma=3.8, k=4.6, b=0.5, f=1, f_x=1.5, f_e=0.05, delta=0.1, n=1, L=100)


def test_one_dimensional_input_is_a_dataframe():
    m = ms.model("melitz", dist="pareto")
    taus = [1.2, 1.5, 2.0]
    frame = m.solve(outputs=["phi_star", "lam"], as_frame=True, tau=taus, **PARAMS)
    plain = m.solve(outputs=["phi_star", "lam"], tau=taus, **PARAMS)
    assert list(frame.columns) == ["tau", "phi_star", "lam"]
    np.testing.assert_array_equal(frame["tau"], taus)
    np.testing.assert_array_equal(frame["lam"], plain["lam"])
    assert frame.attrs["params"] == {k: float(v) for k, v in PARAMS.items()}


def test_gridded_input_is_a_dataset_with_coordinates():
    m = ms.model("melitz", dist="pareto")
    taus, fxs = np.array([1.2, 1.5, 2.0]), np.array([1.5, 3.0])
    grid = {**PARAMS, "tau": taus[:, None], "f_x": fxs[None, :]}
    ds = m.solve(outputs=["phi_star", "gains"], as_frame=True, **grid)
    plain = m.solve(outputs=["phi_star", "gains"], **grid)
    assert ds["gains"].dims == ("tau", "f_x")
    np.testing.assert_array_equal(ds["tau"], taus)
    np.testing.assert_array_equal(ds["f_x"], fxs)
    np.testing.assert_array_equal(ds["gains"].values, plain["gains"])
    assert float(ds["gains"].sel(tau=1.5, f_x=3.0)) == plain["gains"][1, 1]
    assert ds.attrs["sigma"] == 3.8 and "tau" not in ds.attrs


def test_an_axis_with_two_varying_parameters_gets_a_plain_name():
    ds = label({"a": np.array([[1.0], [2.0]]), "b": np.array([[3.0], [4.0]]),
                "c": np.array([5.0, 6.0, 7.0])}, {"y": np.ones((2, 3))})
    assert ds["y"].dims == ("dim_0", "c")
    np.testing.assert_array_equal(ds["a"].values, [[1, 1, 1], [2, 2, 2]])
