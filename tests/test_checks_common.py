"""The comparison helpers every check uses: they accept every correct answer and name the slip."""

import numpy as np
import pytest

from course_lib import checks
from course_lib.checks import common


def test_a_float32_answer_of_a_float64_reference_passes():
    x = np.random.default_rng(0).standard_normal((50, 7))
    expected = np.tanh(x) @ x.T
    got = np.tanh(x.astype(np.float32)) @ x.T.astype(np.float32)
    assert not np.allclose(got, expected, rtol=1e-6, atol=1e-8), "float32 really is less exact"
    common.compare_arrays(got, expected, "answer")


def test_a_float64_answer_is_held_to_float64_precision():
    expected = np.array([1.0, 2.0])
    with pytest.raises(checks.ExerciseError, match=r"it is 1\.00001, expected 1 "):
        common.compare_arrays(expected + [1e-5, 0], expected, "answer")


def test_the_message_shows_the_digits_where_the_numbers_differ():
    a, b = common.format_pair(0.5675261, 0.5675264)
    assert a != b and (a, b) == ("0.5675261", "0.5675264")
    assert common.format_pair(2.0, 3.0) == ("2", "3")


@pytest.mark.parametrize("got", [0.25, np.float64(0.25), np.float32(0.25), np.array(0.25), 1 / 4])
def test_every_kind_of_number_is_a_number(got):
    common.compare_arrays(got, np.float64(0.25), "slope")
    common.compare_scalar(got, 0.25, "slope")


@pytest.mark.parametrize("got, message", [
    (np.array([0.25]), r"single number, got an array of shape \(1,\).*\.item\(\)"),
    (np.array([0.1, 0.15]), r"single number, got an array of shape \(2,\): .*not summed"),
    ("0.25", "should be a number, got str"),
    (True, "boolean"),
    (0.5, r"is 0\.5, expected 0\.25\. It is 2 times the expected value"),
    (0.125, r"It is 1/2 of the expected value"),
])
def test_numbers_that_are_not_right_are_named(got, message):
    with pytest.raises(checks.ExerciseError, match=message):
        common.compare_scalar(got, 0.25, "slope")


@pytest.mark.parametrize("got, message", [
    ([[1.0, 2.0, 3.0]], r"should be a NumPy array of shape \(2, 3\), got a list"),
    (None, "did the function forget to return"),
    (np.ones((3, 2)), r"got \(3, 2\)\. That is the transpose"),
    (np.ones(6), r"right number of values in the wrong shape"),
    (np.array([[1.0, np.nan, 1], [1, 1, 1]]), r"contains nan at index \(0, 1\)"),
    ("matrix", "np.matrix"),
    (3 * np.ones((2, 3)), r"It is 3 times the expected value everywhere"),
])
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_arrays_that_are_not_right_are_named(got, message):
    if isinstance(got, str) and got == "matrix":  # built here: np.matrix warns when created
        got = np.matrix(np.ones((2, 3)))
    with pytest.raises(checks.ExerciseError, match=message):
        common.compare_arrays(got, np.ones((2, 3)), "dW")


def test_tolerance_follows_the_least_precise_float_and_the_size_of_the_values():
    assert common.tolerance(np.ones(2), np.ones(2, np.float32))[0] == common.TOLERANCES[4][0]
    assert common.tolerance(np.ones(2))[0] == common.TOLERANCES[8][0]
    assert common.tolerance(np.array([1000.0]))[1] == pytest.approx(1000 * common.TOLERANCES[8][1])
    assert common.tolerance(np.arange(3))[0] == common.TOLERANCES[8][0]


def test_unchanged_names_the_input_that_changed():
    x, g = np.ones(3), np.zeros(3)
    inputs = common.Unchanged(x=x, grad_out=g)
    inputs.check("backward")  # nothing changed yet
    g += 1
    with pytest.raises(checks.ExerciseError, match=r"backward changed its input `grad_out` in place"):
        inputs.check("backward")


def _ok():
    print("All checks passed")


def _todo():
    raise NotImplementedError("Your turn")


def _wrong():
    raise checks.ExerciseError("dW is transposed")


def _broken():
    raise IndexError("index 5 is out of bounds")


def test_require_is_silent_when_the_check_passes(capsys):
    common.require("exercise 1 (MatMul)", _ok)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("check, message", [
    (_todo, r"exercise 1 \(MatMul\), which is not written yet\. Solve that exercise first"),
    (_wrong, r"exercise 1 \(MatMul\), whose check does not pass yet: dW is transposed"),
    (_broken, r"exercise 1 \(MatMul\), which raised IndexError: index 5"),
])
def test_require_says_which_exercise_to_solve_first(check, message):
    with pytest.raises(checks.ExerciseError, match=message):
        common.require("exercise 1 (MatMul)", check)


def test_constant_ratio_finds_a_forgotten_factor():
    e = np.array([1.0, -2.0, 0.0, 4.0])
    assert common.constant_ratio(4 * e, e) == pytest.approx(4)
    assert common.constant_ratio(e + 1, e) is None
    assert common.constant_ratio(np.ones(3), e) is None


# --- Run All on an unsolved lesson: open exercises print, wrong answers raise ---------------
class _Unwritten:
    def forward(self, x):
        raise NotImplementedError("Your turn: replace this line with your code, then run the "
                                  "check cell below.")


def _check_layer(cls):
    cls().forward(1.0)
    print("All checks passed")


def _check_base(cls):
    raise NotImplementedError  # the base class's placeholder: a method the student left out


def test_every_lessons_check_is_wrapped_for_run_all():
    names = [name for name in dir(checks) if name.startswith("check_")]
    assert len(names) >= 35
    assert all(getattr(getattr(checks, name), "__exercise_check__", False) for name in names)


def test_an_open_exercise_prints_that_it_is_open_and_does_not_raise(capsys):
    assert common.exercise_check(_check_layer)(_Unwritten) is None
    out = capsys.readouterr().out
    assert out.startswith(checks.OPEN) and "_Unwritten (in forward)" in out
    assert checks.PASSED not in out


def test_a_missing_method_is_a_wrong_answer_not_an_open_exercise():
    with pytest.raises(checks.ExerciseError, match="raised NotImplementedError in _check_base"):
        common.exercise_check(_check_base)(_Unwritten)


def test_a_wrong_answer_still_raises_through_the_wrapper():
    with pytest.raises(checks.ExerciseError, match="dW is transposed"):
        common.exercise_check(lambda f: _wrong())(_ok)


def test_an_open_lesson_check_prints_open(capsys):
    def unwritten(*args):
        raise NotImplementedError("Your turn: replace this line")

    checks.check_prepare_images(unwritten)
    assert capsys.readouterr().out.startswith(checks.OPEN + ": unwritten still raises")


def test_a_raw_error_in_the_answer_becomes_a_named_exercise_error():
    def answer(x):
        return np.ones((2, 3)) @ np.ones((2, 3))  # a missing transpose

    def check(f):
        f(1)

    with pytest.raises(checks.ExerciseError, match=r"answer raised ValueError: .*in answer, "
                                                   r"line \d+.*transpose"):
        common.exercise_check(check)(answer)


def test_a_wrong_signature_is_named():
    with pytest.raises(checks.ExerciseError, match="does not take the arguments"):
        checks.check_sgd_step(lambda W, b: (W, b))


def test_ready_is_true_and_silent_when_every_check_passes(capsys):
    assert common.ready(("exercise 1 (MatMul)", _ok), ("exercise 2 (f)", _ok)) is True
    assert capsys.readouterr().out == ""


def test_ready_names_the_open_exercises_and_returns_false(capsys):
    todo = common.exercise_check(_todo)  # wrapped, as checks.check_* are
    assert common.ready(("exercise 1 (MatMul)", _ok), ("exercise 2 (f)", todo),
                        ("exercise 3 (g)", _todo)) is False
    out = capsys.readouterr().out
    assert out.startswith(checks.OPEN) and "exercise 2 (f) and exercise 3 (g)" in out
    assert "exercise 1" not in out


@pytest.mark.parametrize("check, message", [
    (_wrong, r"exercise 1 \(MatMul\), whose check does not pass yet: dW is transposed"),
    (_broken, r"exercise 1 \(MatMul\), which raised IndexError: index 5"),
    (lambda: _check_base(None),
     r"exercise 1 \(MatMul\), which raised NotImplementedError in _check_base"),
])
def test_ready_still_stops_at_a_wrong_answer(check, message):
    with pytest.raises(checks.ExerciseError, match=message):
        common.ready(("exercise 1 (MatMul)", common.exercise_check(check)), ("exercise 2", _todo))


def test_require_still_raises_for_an_open_exercise_through_a_wrapped_check():
    with pytest.raises(checks.ExerciseError, match="not written yet"):
        common.require("exercise 1 (MatMul)", common.exercise_check(_todo))


def test_ready_refuses_a_requirement_that_is_not_a_tuple():
    with pytest.raises(TypeError, match="tuple"):
        common.ready("exercise 1", _ok)


class _Agree(np.ndarray):
    """An array type that answers every NumPy function and ufunc in its own favour."""

    def __array_function__(self, func, types, args, kwargs):
        return True

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.zeros(np.shape(inputs[0]), dtype=bool)


def test_compare_arrays_compares_plain_arrays_not_the_answers_own_type():
    expected = np.arange(6.0).reshape(2, 3)
    wrong = (expected * 1.01).view(_Agree)
    with pytest.raises(checks.ExerciseError, match="1.01 times the expected value"):
        common.compare_arrays(wrong, expected, "out")
    common.compare_arrays(expected.copy().view(_Agree), expected, "out")  # right: passes
