"""What every lesson's checks share: the error they raise and how they compare answers.

A check takes a student's answer (an array, a function or a class), compares
it with the reference in course_lib and either prints :data:`PASSED` or
raises :class:`ExerciseError` with a message that names the slip. The helpers
here make every check accept every correct answer:

* the tolerance follows the dtype of the answer (float32 answers are fine);
* a NumPy scalar, a Python number and a 0-d array are all accepted for a number;
* a difference is printed with as many digits as it takes to see it;
* an input changed in place is named (:class:`Unchanged`).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import io
import sys
import sysconfig
import traceback
import types
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

import numpy as np

PASSED = "All checks passed"

#: (rtol, atol) by the precision of the answer; atol is scaled by the size of the values
TOLERANCES = {2: (1e-2, 1e-3), 4: (1e-4, 1e-6), 8: (1e-6, 1e-8)}


class ExerciseError(AssertionError):
    """A "your turn" answer is not right yet; the message says what to look at."""


def fail(message: str) -> NoReturn:
    """Raise :class:`ExerciseError` with ``message``."""
    raise ExerciseError(message)


def passed() -> None:
    """Print :data:`PASSED`: the line a student looks for."""
    print(PASSED)


def tolerance(*arrays: object) -> tuple[float, float]:
    """``(rtol, atol)`` for comparing answers of these dtypes: the least precise float wins.

    Integer and bool arrays count as exact (float64's tolerance). ``atol`` is
    scaled by the largest magnitude among the arrays, so it is relative to the
    size of the numbers being compared.
    """
    itemsize, scale = 8, 1.0
    for a in arrays:
        a = np.asarray(a)
        if np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.complexfloating):
            itemsize = min(itemsize, a.real.dtype.itemsize)
        if a.size and np.issubdtype(a.dtype, np.number):
            finite = np.abs(a[np.isfinite(a)]) if a.ndim else np.abs(a.reshape(1))
            if finite.size:
                scale = max(scale, float(finite.max()))
    rtol, atol = TOLERANCES.get(itemsize, TOLERANCES[8])
    return rtol, atol * scale


def format_pair(got: float, expected: float) -> tuple[str, str]:
    """Both numbers with the fewest significant digits (at least 6) that tell them apart."""
    got, expected = float(got), float(expected)
    for digits in range(6, 18):
        a, b = f"{got:.{digits}g}", f"{expected:.{digits}g}"
        if a != b:
            return a, b
    return repr(got), repr(expected)


def constant_ratio(got: np.ndarray, expected: np.ndarray) -> float | None:
    """The constant c with ``got == c * expected`` everywhere (a forgotten 1/N, a 2), or None."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        return None
    nonzero = np.abs(expected) > 1e-12
    if not nonzero.any():
        return None
    c = float(np.median(got[nonzero] / expected[nonzero]))
    rtol, atol = tolerance(got)
    return c if np.allclose(got, c * expected, rtol=max(rtol, 1e-6), atol=atol) else None


def is_number(value: object) -> bool:
    """Whether ``value`` is one number: a Python or NumPy scalar (not a bool) or a 0-d array."""
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, (bool, np.bool_))) or (
        isinstance(value, np.ndarray) and value.shape == ())


def as_number(got: object, what: str) -> float:
    """``got`` as a float: a Python number, a NumPy scalar or a 0-d array; else ExerciseError."""
    if isinstance(got, (bool, np.bool_)):
        fail(f"{what} should be a number, got the boolean {got!r}.")
    if isinstance(got, (int, float, np.integer, np.floating)):
        return float(got)
    if isinstance(got, np.ndarray):
        if got.shape == ():
            return float(got)
        if got.size == 1:
            fail(f"{what} should be a single number, got an array of shape {got.shape}. "
                 f"Take the number out with .item() or float(...), or sum over every axis.")
        fail(f"{what} should be a single number, got an array of shape {got.shape}: "
             f"something was not summed or averaged over all its axes.")
    fail(f"{what} should be a number, got {type(got).__name__}.")


def compare_scalar(got: object, expected: float, what: str, *, rtol: float | None = None,
                   atol: float | None = None) -> None:
    """Raise ExerciseError unless ``got`` is a number close to ``expected``."""
    value = as_number(got, what)
    default_rtol, default_atol = tolerance(got if isinstance(got, np.generic | np.ndarray)
                                           else np.float64(value), expected)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    if not np.isfinite(value):
        fail(f"{what} is {value}, expected {float(expected):.6g}.")
    if np.isclose(value, expected, rtol=rtol, atol=atol):
        return
    a, b = format_pair(value, expected)
    message = f"{what} is {a}, expected {b}."
    if expected != 0 and value != 0:
        ratio = value / expected
        if abs(ratio - round(ratio)) < 1e-6 * abs(ratio) and round(ratio) not in (0, 1):
            message += f" It is {round(ratio)} times the expected value."
        elif abs(1 / ratio - round(1 / ratio)) < 1e-6 / abs(ratio) and round(1 / ratio) > 1:
            message += f" It is 1/{round(1 / ratio)} of the expected value."
    fail(message)


def compare_arrays(got: object, expected: np.ndarray, what: str, *, rtol: float | None = None,
                   atol: float | None = None) -> None:
    """Raise ExerciseError naming the first difference between ``got`` and ``expected``.

    Checks, in order: that ``got`` is an array (a number is fine where
    ``expected`` is one), its shape, NaN or inf, then the values, with a
    tolerance that follows the dtype of ``got`` unless ``rtol``/``atol`` are
    given. For values it reports the worst index with enough digits to see the
    difference and, when ``got`` is a constant multiple of ``expected`` (a
    forgotten 1/N or factor 2), that factor.
    """
    expected = np.asarray(expected)
    if expected.shape == () and not isinstance(got, np.ndarray):
        compare_scalar(got, float(expected), what, rtol=rtol, atol=atol)
        return
    if isinstance(got, (list, tuple)):
        fail(f"{what} should be a NumPy array of shape {expected.shape}, got a "
             f"{type(got).__name__}. Build it with NumPy operations, or wrap it: np.array(...).")
    if isinstance(got, np.matrix):
        fail(f"{what} is an np.matrix; use a plain np.ndarray (np.asarray(...)): `*` on "
             f"matrices is a matrix product.")
    if not isinstance(got, np.ndarray):
        fail(f"{what} should be a NumPy array of shape {expected.shape}, got "
             f"{type(got).__name__}" + (" (did the function forget to return?)."
                                        if got is None else "."))
    # a plain ndarray from here on: a subclass's own __array_ufunc__, __array_function__ or
    # shape must not decide the comparison
    got = np.asarray(got)
    if got.shape != expected.shape:
        hint = ""
        if got.shape == expected.shape[::-1] and got.ndim == 2:
            hint = " That is the transpose of the expected shape."
        elif got.size == expected.size:
            hint = " It holds the right number of values in the wrong shape."
        fail(f"{what} should have shape {expected.shape}, got {got.shape}.{hint}")
    if not (np.issubdtype(got.dtype, np.number) or got.dtype == np.bool_):
        fail(f"{what} should hold numbers, got dtype {got.dtype}.")
    bad = ~np.isfinite(got)
    if bad.any():
        idx = tuple(int(i) for i in np.unravel_index(np.argmax(bad), got.shape))
        fail(f"{what} contains {got[idx]} at index {idx}: an overflow, a log of 0 or a "
             f"division by 0 on the way.")
    default_rtol, default_atol = tolerance(got, expected)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    if np.allclose(got, expected, rtol=rtol, atol=atol):
        return
    g64, e64 = got.astype(np.float64), expected.astype(np.float64)
    diff = np.abs(g64 - e64) - rtol * np.abs(e64)
    idx = tuple(int(i) for i in np.unravel_index(np.argmax(diff), got.shape))
    a, b = format_pair(g64[idx], e64[idx])
    where = f"at index {idx} " if got.ndim else ""
    message = (f"{what} is wrong: {where}it is {a}, expected {b} "
               f"(largest difference {np.abs(g64 - e64).max():.3g}).")
    c = constant_ratio(g64, e64)
    if c is not None and not np.isclose(c, 1):
        message += f" It is {c:.4g} times the expected value everywhere."
    fail(message)


class Unchanged:
    """Copies of the arrays handed to a student's code, to name one it changed in place.

    >>> inputs = Unchanged(x=x, grad_out=g)
    >>> dx = layer.backward(g)
    >>> inputs.check("backward(grad_out)")
    """

    def __init__(self, **arrays: np.ndarray) -> None:
        self._arrays = arrays
        self._copies = {name: np.array(a, copy=True) for name, a in arrays.items()}

    def check(self, where: str) -> None:
        """Raise ExerciseError naming the first array that differs from its copy."""
        for name, array in self._arrays.items():
            copy = self._copies[name]
            if np.shape(array) != copy.shape or not np.array_equal(array, copy, equal_nan=True):
                fail(f"{where} changed its input `{name}` in place. Whoever passed it in still "
                     f"uses it: compute into a new array (`a = a * 2`, not `a *= 2`; "
                     f"np.where, copy()) and leave `{name}` as it was.")


#: what a check prints for an exercise whose answer is not written yet (``scripts/grade.py``
#: reads it: the exercise is graded "error", not answered yet)
OPEN = "Not answered yet"
#: how the student version's answer cells start (scripts/make_student.py writes this line)
YOUR_TURN = "Your turn"
#: True while ``scripts/grade_runner.py`` grades: a check of an open exercise then raises the
#: answer's NotImplementedError instead of printing :data:`OPEN`, so that the verdict never
#: depends on what was printed (a student's code can write to stdout)
GRADING = False

#: a requirement of a cell that builds on exercises: (exercise, its check, the answer, ...)
Requirement = tuple


def is_open(err: BaseException) -> bool:
    """Whether ``err`` is an answer cell's own ``NotImplementedError("Your turn ...")``."""
    return isinstance(err, NotImplementedError) and str(err).startswith(YOUR_TURN)


def _answer_name(args: tuple, kwargs: dict, err: BaseException | None = None) -> str:
    """The name of the student's answer among a check's arguments (a function or a class).

    With ``err``, a check of several functions (``sigmoid_prime`` and
    ``sigmoid_gradient_bound``) names the one that raised it when its frame is
    in the traceback; otherwise, and for classes, the first answer.
    """
    names = [value.__name__ for value in (*args, *kwargs.values())
             if isinstance(getattr(value, "__name__", None), str)
             and (isinstance(value, type) or callable(value))]
    if err is not None and len(names) > 1:
        raised = {frame.f_code.co_name for frame, _ in traceback.walk_tb(err.__traceback__)
                  if _students(frame.f_code)}
        for name in names:
            if name in raised:
                return name
    return names[0] if names else "your answer"


def _raised_in(err: BaseException) -> str:
    """The function whose body raised ``err`` (the innermost frame): forward, backward, ..."""
    tb = err.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_name if tb is not None else "?"


def open_message(answer: str, err: BaseException) -> str:
    """The line a check prints for an open exercise."""
    where = _raised_in(err)
    inside = f" (in {where})" if where not in ("<module>", answer) else ""
    return (f"{OPEN}: {answer}{inside} still raises NotImplementedError(\"{YOUR_TURN}...\"), "
            f"so this exercise is open. Replace that line with your code, run the answer cell, "
            f"then this check again.")


#: what usually causes an error of this kind in an answer
_RAISED_HINTS = {
    "ValueError": "Two arrays' shapes do not fit together there: print their shapes. A missing "
                  "or extra transpose (.T), a wrong axis or a batch size written into the code "
                  "is the usual cause; the check uses non-square shapes and a batch of 1.",
    "IndexError": "An index is out of range there: a loop's range or a shape you assumed "
                  "(the check uses non-square shapes and a batch of 1).",
    "TypeError": "Keep the template's signature and return what it says; a value may be None "
                 "(a function without `return`).",
    "AttributeError": "A name is missing on an object: store in forward what backward reads "
                      "(self.x = x), and call super().__init__() in __init__.",
    "KeyError": "A key is missing: self.params and self.grads use the parameter's name "
                "('W', 'b').",
    "ZeroDivisionError": "A division by zero: check what you divide by.",
}


def _students_frame(tb: types.TracebackType | None) -> types.FrameSummary | None:
    """The innermost frame of the traceback that runs the student's code, if any."""
    found = None
    for frame, lineno in traceback.walk_tb(tb):
        if _students(frame.f_code):
            found = traceback.FrameSummary(frame.f_code.co_filename, lineno,
                                           frame.f_code.co_name)
    return found


def raised_message(answer: str, err: BaseException) -> str:
    """The message for an answer that raised ``err`` during its check (no raw traceback)."""
    kind = type(err).__name__
    frame = _students_frame(err.__traceback__)
    hint = _RAISED_HINTS.get(kind, "")
    if frame is None and isinstance(err, TypeError) and "argument" in str(err):
        return (f"{answer} does not take the arguments the exercise gives it: {err}. Keep the "
                f"template's signature (the names and number of its parameters).")
    if frame is None:
        return (f"The check could not use what {answer} returned: {kind}: {err}. Look at the "
                f"type and shape your answer returns, as the exercise describes them. {hint}"
                ).rstrip()
    line = f": `{frame.line.strip()}`" if frame.line else ""
    return (f"{answer} raised {kind}: {err} (in {frame.name}, line {frame.lineno}{line}). "
            f"{hint}").rstrip()


def exercise_check(check: Callable[..., None]) -> Callable[..., None]:
    """``check`` as a notebook calls it: an open exercise prints :data:`OPEN` instead of raising.

    * the answer still raises ``NotImplementedError("Your turn ...")`` (the
      student version's line): print that the exercise is open and return, so
      that *Run All* goes on to the next exercise;
    * any other ``NotImplementedError`` (a layer without its own ``backward``
      falls back on :class:`course_lib.layers.Layer`'s) is a wrong answer:
      :class:`ExerciseError` naming the method;
    * a wrong answer raises :class:`ExerciseError` as before;
    * any other error raised while the check runs the answer (a NumPy
      ``ValueError`` from a missing transpose, an ``IndexError``) becomes an
      :class:`ExerciseError` naming the line of the student's code and what
      usually causes it, instead of a raw traceback from deep inside NumPy.

    ``course_lib/checks/__init__.py`` wraps every ``check_*`` of every lesson
    module with it, so a lesson's checks need no code of their own for this.
    The unwrapped check is ``exercise_check(check).__wrapped__``.
    """
    if getattr(check, "__exercise_check__", False):
        return check

    @functools.wraps(check)
    def run(*args: object, **kwargs: object) -> None:
        try:
            return check(*args, **kwargs)
        except NotImplementedError as err:
            answer = _answer_name(args, kwargs)
            if is_open(err):
                if GRADING:
                    raise
                print(open_message(answer, err))
                return None
            where = _raised_in(err)
            raise ExerciseError(
                f"{answer} raised NotImplementedError in {where}: a method the exercise asks for "
                f"is missing, so the base class's placeholder ran. Write {where} in your "
                f"answer.") from None
        except ExerciseError:
            raise
        except Exception as err:
            raise ExerciseError(raised_message(_answer_name(args, kwargs, err), err)) from None

    run.__exercise_check__ = True  # type: ignore[attr-defined]
    return run


def _unwrapped(check: Callable[..., None]) -> Callable[..., None]:
    return check.__wrapped__ if getattr(check, "__exercise_check__", False) else check


def _run_quietly(exercise: str, check: Callable[..., None], *args: object) -> bool:
    """True when ``check(*args)`` passes, False when the exercise is open; else ExerciseError."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            _unwrapped(check)(*args)
    except NotImplementedError as err:
        if is_open(err):
            return False
        raise ExerciseError(f"This cell builds on your answer to {exercise}, which raised "
                            f"NotImplementedError in {_raised_in(err)}: write that method. Run "
                            f"that exercise's check cell to see where.") from None
    except ExerciseError as err:
        raise ExerciseError(f"This cell builds on your answer to {exercise}, whose check does "
                            f"not pass yet: {err}") from None
    except Exception as err:
        raise ExerciseError(f"This cell builds on your answer to {exercise}, which raised "
                            f"{type(err).__name__}: {err}. Run that exercise's check cell "
                            f"to see where.") from err
    return True


def ready(*requirements: Requirement) -> bool:
    """Whether a cell that builds on the student's answers can run: ``if checks.ready(...):``.

    Each requirement is a tuple ``(exercise, check, answer, ...)``, e.g.
    ``("exercise 1 (MyMatMul)", checks.check_matmul, MyMatMul)``. Runs each
    check quietly. Returns True when all pass. When one is still open (its
    answer raises ``NotImplementedError("Your turn ...")``), prints which
    exercises the cell waits for and returns False, so that the cell skips its
    body and *Run All* goes on. A wrong answer still stops the cell with
    :class:`ExerciseError` saying which exercise to fix first.
    """
    if not requirements:
        raise TypeError("ready() needs at least one (exercise, check, answer, ...) tuple")
    waiting = []
    for requirement in requirements:
        if not isinstance(requirement, tuple) or len(requirement) < 2 or not callable(
                requirement[1]):
            raise TypeError(f"each requirement is a tuple (exercise, check, answer, ...), "
                            f"got {requirement!r}")
        exercise, check, *args = requirement
        if not _run_quietly(exercise, check, *args):
            waiting.append(exercise)
    if waiting:
        print(f"{OPEN}: this cell builds on {' and '.join(waiting)}, still open; it is skipped. "
              f"Solve {'that exercise' if len(waiting) == 1 else 'those exercises'} first, "
              f"then run this cell again.")
        return False
    return True


def require(exercise: str, check: Callable[..., None], *args: object) -> None:
    """Run ``check(*args)`` quietly before a cell builds on the student's answer.

    Raises ExerciseError saying which exercise to solve first when the
    answer is not written yet (NotImplementedError), fails its check, or
    raises; prints nothing when the check passes. The lessons use
    :func:`ready` instead (``if checks.ready((exercise, check, answer)):``),
    which skips the cell without an error while the exercise is open, so that
    *Run All* goes on; ``scripts/use_ready.py`` converts a lesson.
    """
    if not _run_quietly(exercise, check, *args):
        raise ExerciseError(f"This cell builds on your answer to {exercise}, which is not "
                            f"written yet. Solve that exercise first, then run this cell "
                            f"again.")


# --------------------------------------------------------------------------------------
# No credit for calling the reference
# --------------------------------------------------------------------------------------
#: taken at import: what ``refuse_delegation`` installs and restores cannot be redirected by
#: code that later patches the ``sys`` module's attributes
_getprofile, _setprofile = sys.getprofile, sys.setprofile
_COURSE_LIB = str(Path(__file__).resolve().parent.parent)
#: Python's own modules and the installed packages (numpy, ...): not the student's code
_LIBRARIES = tuple({sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib",
                                                           "platlib")})


def _own_functions(reference: object) -> list[types.FunctionType]:
    """The Python functions that make up ``reference``: itself, or a class's own methods."""
    if isinstance(reference, type):
        found = []
        for value in vars(reference).values():
            value = value.fget if isinstance(value, property) else value
            value = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
            if isinstance(value, types.FunctionType):
                found.append(inspect.unwrap(value))
        return found
    reference = inspect.unwrap(reference)
    return [reference] if isinstance(reference, types.FunctionType) else []


def _reference_name(reference: object) -> str:
    module = getattr(reference, "__module__", "course_lib") or "course_lib"
    return f"{module}.{getattr(reference, '__qualname__', repr(reference))}"


def _students(code: types.CodeType) -> bool:
    """Whether ``code`` is the student's: neither course_lib's nor a library's (numpy, Python)."""
    name = code.co_filename
    return not (name.startswith(_COURSE_LIB) or name.startswith(_LIBRARIES)
                or name.startswith("<frozen"))


def refuse_inherited(answer: object, references: Sequence[object], what: str) -> None:
    """Fail when the class ``answer`` inherits from one of the reference classes."""
    if not isinstance(answer, type):
        return
    for reference in references:
        if isinstance(reference, type) and issubclass(answer, reference):
            name = _reference_name(reference)
            owner = "course_lib's " if name.startswith("course_lib.") else ""
            fail(f"{what}: {answer.__name__} inherits from {owner}{name}, the very piece "
                 f"this exercise asks you to write, so its methods are not yours. Write it "
                 f"yourself: keep the template's class line (its base class, if any) and "
                 f"write the methods with NumPy.")


@contextlib.contextmanager
def refuse_delegation(what: str, *references: object):
    """Within the block, fail when the student's code calls one of ``references``.

    ``references`` are course_lib's implementations of the piece the exercise
    asks for (functions or classes; a class counts with its own methods). A
    call counts as the student's when, between it and the ``with`` statement,
    some frame runs code outside course_lib: the student's function, or a
    method of the student's class. The check's own calls to the reference
    (to compute the expected answer) come straight from course_lib and do not
    count. Uses ``sys.setprofile`` for the duration of the block only.

    >>> with refuse_delegation("conv3x3_backward_loops", conv3x3_backward_naive):
    ...     got = student_fn(x, W, g)
    """
    codes = types.MappingProxyType({f.__code__: f"{f.__module__}.{f.__qualname__}"
                                    for ref in references for f in _own_functions(ref)})
    boundary = sys._getframe(2)  # the frame that entered the with statement
    caught: list[object] = []
    previous = _getprofile()

    # The tracer is a guest: it first hands every event to the profile function that was
    # installed before it (``previous``: the grader's tamper check, scripts/grade_runner.py,
    # or a profiler), and on leaving it puts that one back. Its state is in default arguments,
    # not closure cells, so that code holding the tracer (``sys.getprofile()``) cannot swap
    # what it chains to (the grader refuses changing a course function's defaults or code).
    def profile(frame, event, arg, previous=previous, codes=codes, caught=caught,
                boundary=boundary):
        if previous is not None:
            previous(frame, event, arg)
        if event == "call" and frame.f_code in codes and not caught:
            caller = frame.f_back
            while caller is not None and caller is not boundary:
                if _students(caller.f_code):
                    caught.append(codes[frame.f_code])
                    break
                caller = caller.f_back

    def delegation() -> ExerciseError:
        owner = "course_lib's " if caught[0].startswith("course_lib.") else ""  # or sklearn's
        err = ExerciseError(f"{what} calls {owner}{caught[0]}, which does the work this "
                            f"exercise asks for. No credit for calling it: write it yourself, "
                            f"with NumPy operations (course_lib's other pieces are fine where "
                            f"the exercise says so).")
        err.delegation = True  # type: ignore[attr-defined]
        return err

    _setprofile(profile)
    try:
        yield
    except BaseException:
        if caught:  # the reference failed or the check rejected it: the call is what matters
            raise delegation() from None
        raise
    finally:
        # Put ``previous`` back only if this tracer is still the one installed: a block left
        # out of order (a generator closed later) must not drop the tracers installed since.
        if _getprofile() is profile:
            _setprofile(previous)
    if caught:
        raise delegation()


def no_delegation(*references: object, tools: Sequence[object] = ()
                  ) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Decorate a check so that it refuses answers that reuse ``references`` (course_lib's own).

    ``references`` are the exercise's own piece (``Sigmoid`` for a sigmoid
    layer): the lesson keeps them out of the student's namespace until the
    exercise is done (``tests/test_no_reference_before_exercise.py`` reads
    ``__references__``). ``tools`` are pieces the lesson uses freely before
    the exercise (``Dense``, ``MSELoss``, scikit-learn's ``StandardScaler`` shown
    just before it) that would do the exercise's work: refused the same way.

    Before the check: a class answer that inherits from a reference class fails
    (``class MySigmoid(Sigmoid): pass``). During the check: a call from the
    student's code into a reference fails (``return conv3x3_backward_naive(x,
    W, g)``, ``super().forward(x)``), see :func:`refuse_delegation`. References
    may be given as dotted names (``"course_lib.naive.conv3x3_backward_naive"``)
    so that a lesson module need not import them.

    >>> @no_delegation("course_lib.layers.Sigmoid")
    ... def check_sigmoid(layer_cls): ...
    """
    def decorate(check: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(check)
        def run(*args: object, **kwargs: object) -> None:
            resolved = [_resolve(r) for r in (*references, *tools)]
            answers = [a for a in (*args, *kwargs.values()) if callable(a)]
            for answer in answers:
                refuse_inherited(answer, resolved, check.__name__.removeprefix("check_"))
            name = " / ".join(getattr(a, "__name__", "your answer") for a in answers)
            printed = io.StringIO()  # shown once the answer is known not to delegate
            try:
                with contextlib.redirect_stdout(printed), \
                        refuse_delegation(name or "your answer", *resolved):
                    result = check(*args, **kwargs)
            except BaseException as err:
                if not getattr(err, "delegation", False):  # no "All checks passed" before it
                    print(printed.getvalue(), end="")
                raise
            print(printed.getvalue(), end="")
            return result

        run.__references__ = references  # type: ignore[attr-defined]
        run.__tools__ = tuple(tools)  # type: ignore[attr-defined]
        return run

    return decorate


def _resolve(reference: object) -> object:
    if not isinstance(reference, str):
        return reference
    module, _, name = reference.rpartition(".")
    return getattr(importlib.import_module(module), name)


def layer_interface(layer: object, what: str) -> None:
    """Fail unless ``layer`` has the ``params`` and ``grads`` dicts every course layer has.

    ``course_lib.layers.Layer.__init__`` makes them; a subclass whose
    ``__init__`` skips ``super().__init__()`` has neither, and the gradient
    check, the optimisers and ``fit`` would fail later with a raw
    AttributeError from inside course_lib.
    """
    missing = [name for name in ("params", "grads")
               if not isinstance(getattr(layer, name, None), dict)]
    if missing:
        has_init = "__init__" in vars(type(layer))
        fail(f"{what} has no self.{' and no self.'.join(missing)}: "
             + ("its __init__ does not call super().__init__(), which makes them (empty "
                "dicts). Call super().__init__() first thing in __init__."
                if has_init else
                "make the class a subclass of course_lib.layers.Layer, as in the template, "
                "and call super().__init__() in any __init__ you write."))


def same_array(got: object, alternative: np.ndarray | None) -> bool:
    """``got`` is a finite array equal to ``alternative`` within the tolerance of its dtype."""
    if alternative is None or not isinstance(got, np.ndarray) or got.shape != alternative.shape:
        return False
    if not np.issubdtype(got.dtype, np.number) or not np.all(np.isfinite(got)):
        return False
    rtol, atol = tolerance(got, alternative)
    return bool(np.allclose(got, alternative, rtol=rtol, atol=atol))


def name_slip(got: object, expected: np.ndarray,
                   slips: list[tuple[np.ndarray | None, str]], what: str) -> None:
    """Fail with the message of the first slip whose wrong answer ``got`` is.

    Only looked at when ``got`` is not already right, and only slips that differ
    from the right answer on this input count.
    """
    if same_array(got, expected):
        return
    for alternative, message in slips:
        if (alternative is not None and alternative.shape == expected.shape
                and not np.allclose(alternative, expected, rtol=1e-9, atol=1e-12)
                and same_array(got, alternative)):
            fail(f"{what} {message}")
