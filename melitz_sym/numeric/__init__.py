"""Numeric layers built on the symbolic core: high-precision evaluation of the
derived expressions (mpmath) and vectorised solvers (numpy)."""
