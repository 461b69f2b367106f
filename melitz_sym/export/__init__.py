"""Export layer: LaTeX and Markdown documents, and generated code in other languages.

:mod:`~melitz_sym.export.latex` prints equations in the registry's notation and
writes standalone documents; :mod:`~melitz_sym.export.markdown` writes the
same content with ``$$`` math; :mod:`~melitz_sym.export.codegen` prints the
derived expressions with sympy's code printers (one module per target language
under :mod:`melitz_sym.export.targets`).
"""
