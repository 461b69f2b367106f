"""Ctrl-C that is not lost.

Python turns SIGINT into :class:`KeyboardInterrupt` wherever the main thread happens
to be.  When that is inside a finalizer (``__del__``), the exception is printed as
"Exception ignored in ..." and discarded, and the program goes on as if nothing had
happened: numpy's ``savez`` leaves a ``ZipFile`` whose ``__del__`` closes it, and a
Ctrl-C that landed there let a sweep of 2000 chunks run to its end and exit 0.
:func:`recorded` installs a handler that raises as Python's does and also records the
signal; :func:`check`, called where stopping is safe (between the chunks of a sweep,
at the end of a command), raises it again if it was swallowed.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_received = threading.Event()


def _record(signum: int, frame: object) -> None:
    _received.set()
    raise KeyboardInterrupt


@contextmanager
def recorded() -> Iterator[None]:
    """Within the block, SIGINT raises :class:`KeyboardInterrupt` as usual and is
    recorded for :func:`check`.  Installed only in the main thread and only over
    Python's own handler: another handler (a program's, or an enclosing
    :func:`recorded`) is left as it is."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    _received.clear()
    signal.signal(signal.SIGINT, _record)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _received.clear()


def check() -> None:
    """Raise :class:`KeyboardInterrupt` if a SIGINT was recorded (see :func:`recorded`)
    that has not stopped the program, because a finalizer swallowed it."""
    if _received.is_set():
        raise KeyboardInterrupt
