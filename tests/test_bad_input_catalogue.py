"""Every case of the bad-input catalogue ends in a clear error or works correctly.

The catalogue (tests/bad_input_catalogue.py) throws 270 inputs at course_lib as
students would; run it as a script for the table of outcomes. Here each case
is one test: a raw NumPy/Python error, a silently wrong result, a misleading
message or a hang fails it.
"""

import pytest

from bad_input_catalogue import cases, classify

CASES = cases()


def test_the_catalogue_is_broad():
    assert len(CASES) >= 150
    assert len({case.name for case in CASES}) == len(CASES), "case names must be unique"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case_ends_clear_or_works(case):
    outcome, detail = classify(case)
    expected = "clear" if case.raises else "works"
    if case.raises and case.check is not None:
        expected = ("clear", "works")  # may raise clearly or handle the input correctly
    assert outcome in (expected if isinstance(expected, tuple) else (expected,)), (
        f"{case.name}: {outcome}: {detail}")
