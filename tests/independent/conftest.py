"""Independent checks: course_lib against another implementation of the same maths (PyTorch, CPU).

PyTorch is not a course dependency. These tests are skipped where it is not installed;
`make test-independent` runs them in a scratch environment (.venv-ref) that has it.
Every comparison is in float64 and asserts agreement to 1e-7.
"""

import pytest

torch = pytest.importorskip("torch")
torch.set_default_dtype(torch.float64)

#: the tolerance every independent check asserts (absolute and relative, float64)
TOL = 1e-7
