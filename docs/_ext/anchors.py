"""Heading anchors of the documentation site (``myst_heading_slug_func`` in conf.py)."""


def slug(title: str) -> str:
    """An anchor that keeps the heading's case.

    The generated model pages link to their steps as ``#M``, ``#M_x`` and ``#p_x``;
    lower-cased anchors would not match them (and would merge ``M`` with ``m``).

    Parameters
    ----------
    title : str
        The heading's text.

    Returns
    -------
    str
        Its letters, digits, ``_`` and ``-``, words joined by ``-``.
    """
    kept = "".join(c for c in title if c.isalnum() or c in " _-")
    return "-".join(kept.split())
