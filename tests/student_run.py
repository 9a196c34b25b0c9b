"""Run a student notebook as a student would: unsolved, and with the solutions pasted back.

Shared by tests/test_student_lessonNN.py (one file per lesson, so pytest-xdist's
``--dist loadfile`` spreads the lessons over the workers).

* Unsolved: every exercise still raises ``NotImplementedError("Your turn ...")``.
  The notebook must run top to bottom **without** ``allow_errors``, as
  JupyterLab's *Run All* does: every check cell prints "Not answered yet"
  (and not "All checks passed"), every cell that builds on an open exercise
  skips its body (``if checks.ready(...):``), and no other cell raises (no
  NameError from a variable an exercise never defined).
* Solved: the student version with each cell's source taken back from the
  instructor version (matched by cell id) must run without any error, so its
  asserts hold.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import make_student  # noqa: E402
from course_lib.checks import OPEN, PASSED  # noqa: E402

TIMEOUT = 600  # seconds per cell, as `make test`


def versions(name: str):
    """(instructor, student, solution cell indices) for notebooks/<name>."""
    instructor = nbformat.read(REPO / "notebooks" / name, as_version=4)
    student, cells = make_student.student_version(instructor, name)
    return instructor, student, cells


def execute(nb, allow_errors: bool = True) -> list[tuple[int, str, str, str]]:
    """Run ``nb`` in a fresh kernel from notebooks/; (index, id, ename, evalue) of each error.

    Without ``allow_errors`` the first error stops the run with nbclient's
    ``CellExecutionError`` (its message shows the cell and the traceback).
    """
    client = NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": str(REPO / "notebooks")}})
    client.execute()
    return [(i, cell.get("id", "?"), out.ename, out.evalue)
            for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for out in cell.outputs if out.output_type == "error"]


def check_cells(nb, solution_cells: list[int]) -> list[int]:
    """The check cells: code cells after a solution cell, up to the next markdown cell."""
    found = []
    for index in solution_cells:
        if nb.cells[index].cell_type != "code":
            continue
        for j in range(index + 1, len(nb.cells)):
            if nb.cells[j].cell_type == "markdown":
                break
            if "checks.check_" in nb.cells[j].source:
                found.append(j)
    return found


def stdout(cell) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", [])
                   if out.get("output_type") == "stream" and out.get("name") == "stdout")


def run_unsolved(name: str) -> None:
    _, student, solutions = versions(name)
    execute(student, allow_errors=False)
    checks = check_cells(student, solutions)
    assert checks, f"{name}: no check cell after any exercise"
    passing = [(i, student.cells[i].id) for i in checks if PASSED in stdout(student.cells[i])]
    assert not passing, f"{name} unsolved: these check cells passed without an answer: {passing}"
    silent = [(i, student.cells[i].id) for i in checks if OPEN not in stdout(student.cells[i])]
    assert not silent, f"{name} unsolved: these check cells did not say {OPEN!r}: {silent}"
    waiting = [(i, cell.id) for i, cell in enumerate(student.cells)
               if "checks.ready(" in cell.source and OPEN not in stdout(cell)]
    assert not waiting, (f"{name} unsolved: these cells build on open exercises but did not "
                         f"say which: {waiting}")


def run_solved(name: str) -> None:
    instructor, student, _ = versions(name)
    solved = make_student.paste_solutions(student, instructor)
    assert [c.source for c in solved.cells] == [c.source for c in instructor.cells]
    errors = execute(solved)
    assert not errors, f"{name} with the solutions pasted back raised: {errors}"
