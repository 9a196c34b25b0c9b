"""Independent checks: course_lib against another implementation of the same maths (PyTorch, CPU).

PyTorch is not a course dependency. Each module here starts with
``torch = pytest.importorskip("torch")``, so `make test` reports them as skipped;
`make test-independent` runs them in a scratch environment (.venv-ref) that has PyTorch.
Every comparison is in float64 and asserts agreement to 1e-7 (``TOL``).
"""

#: the tolerance every independent check asserts (absolute and relative, float64)
TOL = 1e-7
