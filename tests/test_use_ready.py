"""scripts/use_ready.py: `checks.require(...)` cells become `if checks.ready(...):` cells.

And no lesson still stops Run All with `checks.require`: a new lesson written with it
fails here until `scripts/use_ready.py notebooks/NN_x.ipynb` has converted it.
"""

import ast
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import use_ready  # noqa: E402


def test_leading_requires_become_one_ready_condition_and_the_rest_is_indented():
    source = ('# NBVAL_IGNORE_OUTPUT\n'
              'checks.require("exercise 1 (f)", checks.check_f, f)\n'
              'checks.require("exercise 2 (g)", checks.check_g,\n'
              '               g)\n'
              '\n'
              'y = f(x)\n'
              'text = """two\n'
              'lines"""\n'
              'print(g(y),\n'
              '      text)\n')
    new, what = use_ready.convert_source(source)
    assert what == "converted"
    assert new.splitlines()[:2] == [
        "# NBVAL_IGNORE_OUTPUT",
        'if checks.ready(("exercise 1 (f)", checks.check_f, f), ("exercise 2 (g)", '
        'checks.check_g, g)):']
    assert "    y = f(x)" in new and "\nlines\"\"\"" in new  # a string's lines stay as they are
    ast.parse(new)


def test_a_loop_of_requires_becomes_a_starred_list():
    new, what = use_ready.convert_source("for e in NEEDS:\n    checks.require(*e)\nrun()\n")
    assert what == "converted" and new == "if checks.ready(*NEEDS):\n    run()"


def test_a_cell_of_requirements_only_is_reported_not_changed():
    source = 'checks.require("exercise 1 (f)", checks.check_f, f)'
    assert use_ready.convert_source(source) == (source, "requirements only")


def test_a_cell_without_require_is_unchanged():
    assert use_ready.convert_source("x = 1\n") == ("x = 1\n", "unchanged")


@pytest.mark.parametrize("notebook", sorted((REPO / "notebooks").glob("*.ipynb")),
                         ids=lambda p: p.stem)
def test_no_lesson_stops_run_all_with_require(notebook):
    report = use_ready.convert_notebook(notebook, write=False)
    assert not report, ("cells that still call checks.require (convert them with "
                        f"`scripts/use_ready.py {notebook.relative_to(REPO)}`): {report}")
