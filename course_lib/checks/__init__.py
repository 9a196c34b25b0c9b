"""Checks for the lessons' "your turn" exercises, one module per lesson.

A notebook calls them through this package, ``checks.check_sgd_step(sgd_step)``:
each check either prints "All checks passed", or prints "Not answered yet"
while the answer still raises ``NotImplementedError("Your turn ...")``, or
raises :class:`ExerciseError` with a message that names the slip (a shape, an axis, a factor of N, a
transposed matrix, an input changed in place, a missing term). The shared
comparison helpers live in :mod:`course_lib.checks.common`; the tests of
lesson NN's checks are in ``tests/test_checks_lessonNN.py``.
"""

from .common import (OPEN, PASSED, ExerciseError, Unchanged, compare_arrays, compare_scalar,
                     exercise_check, format_pair, ready, require, tolerance)
from .lesson00 import *  # noqa: F401,F403
from .lesson01 import *  # noqa: F401,F403
from .lesson02 import *  # noqa: F401,F403
from .lesson03 import *  # noqa: F401,F403
from .lesson04 import *  # noqa: F401,F403
from .lesson05 import *  # noqa: F401,F403
from .lesson06 import *  # noqa: F401,F403
from .lesson07 import *  # noqa: F401,F403
from .lesson08 import *  # noqa: F401,F403
from .lesson09 import *  # noqa: F401,F403
from .lesson10 import *  # noqa: F401,F403

# Every lesson's check, as a notebook calls it: an exercise not answered yet prints that it
# is open instead of raising, so Run All goes on (common.exercise_check).
for _name in [name for name in dir() if name.startswith("check_")]:
    globals()[_name] = exercise_check(globals()[_name])
del _name

__all__ = ["OPEN", "PASSED", "ExerciseError", "Unchanged", "compare_arrays", "compare_scalar",
           "exercise_check", "format_pair", "ready", "require", "tolerance"]
__all__ += [name for name in dir() if name.startswith("check_")]
