"""Rich display in Jupyter: small HTML cards for results that are not equations.

Models, verdicts, claims and calibrations show as a heading and a two-column
table (``_repr_html_``); equations (steps, derivations) show as LaTeX through
:mod:`melitz_sym.notation`.  Every value is HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

#: Colour of a verdict: holds, does not hold, undecided.
COLOURS = {True: "#1a7f37", False: "#cf222e", None: "#9a6700"}
WORDS = {True: "HOLDS", False: "FALSE", None: "UNDECIDED"}


def card(title: str, rows: Iterable[tuple[str, object]], holds: object = "") -> str:
    """HTML of a heading (with a coloured verdict when ``holds`` is a bool or None)
    and a table of ``(label, value)`` rows; rows whose value is empty are left out."""
    verdict = ""
    if holds in COLOURS:
        verdict = (f'<b style="color:{COLOURS[holds]}">{WORDS[holds]}</b> ')
    body = "".join(f"<tr><th style=\"text-align:left\">{escape(str(k))}</th>"
                   f"<td style=\"text-align:left\">{escape(str(v))}</td></tr>"
                   for k, v in rows if v not in ("", None, (), []))
    return f"<div><p>{verdict}<b>{escape(title)}</b></p><table>{body}</table></div>"


def shorten(text: str, width: int = 100) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    one = " ".join(text.split())
    return one if len(one) <= width else one[:width - 3] + "..."
