"""Student version of lesson 08: runs unsolved with only the exercises' errors, and clean when solved."""

import pytest
from student_run import run_solved, run_unsolved

pytestmark = pytest.mark.slow
NOTEBOOK = "08_deep_cnn_mnist.ipynb"


def test_unsolved_student_notebook_runs_with_only_the_exercises_errors():
    run_unsolved(NOTEBOOK)


def test_student_notebook_with_the_solutions_pasted_back_runs_clean():
    run_solved(NOTEBOOK)
