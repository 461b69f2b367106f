"""Ctrl-C that a finalizer swallows still stops (melitz_sym.interrupt).

The failure it guards against was seen in the full suite: a real SIGINT during
``melitz-sym sweep`` landed in ``ZipFile.__del__`` (numpy's savez), Python printed
"Exception ignored in ..." and the sweep ran to its end, exit 0 instead of 130.
"""

from __future__ import annotations

import signal

import pytest

from melitz_sym import interrupt, sweep
from melitz_sym.cli import main

#: The finalizer's KeyboardInterrupt is swallowed on purpose (what the tests reproduce);
#: Python reports it as unraisable, and pytest would show that as a warning.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


class _Swallowing:
    """An object whose finalizer receives a SIGINT, as ZipFile.__del__ did."""

    def __del__(self):
        signal.raise_signal(signal.SIGINT)


@pytest.fixture
def python_handler():
    """Python's own SIGINT handler, whatever the test runner installed."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_an_interrupt_a_finalizer_swallowed_is_raised_by_check(python_handler):
    with pytest.raises(KeyboardInterrupt):
        with interrupt.recorded():
            _Swallowing()  # the KeyboardInterrupt raised in __del__ is discarded ...
            interrupt.check()  # ... and raised again here
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    interrupt.check()  # nothing pending once the block is left


def test_nothing_is_raised_without_an_interrupt(python_handler):
    with interrupt.recorded():
        interrupt.check()


def test_another_handler_is_left_alone(python_handler):
    def mine(signum, frame):
        pass

    signal.signal(signal.SIGINT, mine)
    with interrupt.recorded():
        assert signal.getsignal(signal.SIGINT) is mine
    assert signal.getsignal(signal.SIGINT) is mine


def test_cli_sweep_stops_after_the_chunk_whose_interrupt_was_swallowed(
        tmp_path, monkeypatch, capsys, python_handler):
    """The first chunk's solve receives a SIGINT in a finalizer: the sweep stops after
    that chunk (kept for the resume), exit 130, instead of solving the other nine."""
    real = sweep.solve_block
    calls = []

    def solve_block(*args):
        calls.append(1)
        if len(calls) == 1:
            _Swallowing()
        return real(*args)

    monkeypatch.setattr(sweep, "solve_block", solve_block)
    out = tmp_path / "res.csv"
    fixed = {"sigma": "3.8", "k": "4.6", "b": "0.5", "f": "1", "f_x": "1.5", "f_e": "0.05",
             "delta": "0.1", "n": "1", "L": "100"}
    args = ["sweep", "melitz", "--grid", "tau=1:2:10", "--chunk-size", "1", "--outputs",
            "phi_star", "-o", str(out), "--no-progress"] + [
        a for k, v in fixed.items() for a in ("--set", f"{k}={v}")]
    assert main(args) == 130
    assert len(calls) == 1 and not out.exists()
    assert len(list(sweep.workdir_for(out).glob("chunk-*.npz"))) == 1
    assert capsys.readouterr().err.endswith("melitz-sym: interrupted\n")
