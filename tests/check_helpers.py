"""What the tests of the lessons' checks share: an answer passes a check, or fails it naming the slip."""

import pytest

from course_lib import checks
from course_lib.checks import ExerciseError


def passes(capsys, check, *answers):
    """``check(*answers)`` prints the PASSED line and nothing else."""
    check(*answers)
    assert capsys.readouterr().out.strip() == checks.PASSED


def fails(check, *answers, match):
    """``check(*answers)`` raises ExerciseError with a message matching ``match``."""
    with pytest.raises(ExerciseError, match=match):
        check(*answers)
