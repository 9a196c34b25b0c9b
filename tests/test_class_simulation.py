"""A simulated class: wrong and correct answers of every lesson's exercises, run through the checks.

Each ``tests/class_simulation/lessonNN.py`` holds ``SETUP`` (what the student
notebook's import cell gives the answers) and ``ANSWERS``, a list of
:class:`class_simulation.answer.Answer`: answer cells as students write
them, in other styles than the check tests of ``test_checks_lessonNN.py``.
Each answer is executed in a fresh namespace after ``SETUP``, then its check cell:

* no correct answer is rejected (PASSED, nothing else printed);
* no wrong answer is accepted, and its ExerciseError names the slip;
* no answer that delegates to course_lib is accepted;
* no raw error: the check raises ExerciseError or nothing;
* at most 5 messages in the whole class do not name their slip.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import pkgutil

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from course_lib import checks  # noqa: E402
import class_simulation  # noqa: E402

LESSONS = {info.name: importlib.import_module(f"class_simulation.{info.name}")
           for info in pkgutil.iter_modules(class_simulation.__path__)
           if info.name.startswith("lesson")}
CASES = [(name, answer) for name, module in sorted(LESSONS.items()) for answer in module.ANSWERS]


def run(setup: str, answer) -> tuple[str, BaseException | None]:
    """Run ``setup``, the answer cell and its check cell in a fresh namespace: (stdout, error)."""
    namespace: dict = {"__name__": "__main__"}
    exec(compile(setup, "<import cell>", "exec"), namespace)
    exec(compile(answer.source, "<answer cell>", "exec"), namespace)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            exec(compile(answer.check, "<check cell>", "exec"), namespace)
        except Exception as err:  # noqa: BLE001 judged below
            return out.getvalue(), err
    return out.getvalue(), None


@pytest.mark.parametrize("lesson,answer", CASES,
                         ids=[f"{name}-{a.exercise}-{a.kind}-{a.slip}" for name, a in CASES])
def test_answer_gets_the_right_verdict(lesson, answer):
    stdout, error = run(LESSONS[lesson].SETUP, answer)
    if error is not None and not isinstance(error, checks.ExerciseError):
        pytest.fail(f"raw error from the check: {type(error).__name__}: {error}")
    if answer.kind == "correct":
        assert error is None, f"a correct answer was rejected: {error}"
        assert stdout.strip() == checks.PASSED
        return
    assert error is not None, f"a {answer.kind} answer was accepted: {answer.slip}"
    message = str(error).lower()
    missing = [word for word in answer.names if word.lower() not in message]
    assert not missing, f"the message does not contain {missing}: {error}"


def test_the_class_is_large_and_few_messages_leave_the_slip_unnamed():
    kinds = [answer.kind for _, answer in CASES]
    unnamed = [(name, answer.exercise, answer.slip) for name, answer in CASES
               if answer.kind != "correct" and not answer.named]
    assert kinds.count("wrong") >= 100 and kinds.count("correct") >= 50, kinds
    assert len(unnamed) <= 5, unnamed
