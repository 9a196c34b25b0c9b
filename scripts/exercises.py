"""Find the checked exercises of a course notebook by cell id (for grade.py, nbgrader_metadata.py).

An exercise is a code cell holding a ``### BEGIN SOLUTION`` block (its *answer
cell*) followed, before the next markdown cell, by one or more *check cells*
that call ``checks.check_...``. Both are named by their cell ids, which
``scripts/make_student.py`` keeps in the student version; so a student who
adds, moves or edits cells is still graded by the right cells, and a new
lesson needs nothing but such cells.

Points: the ``points`` of the check cells' nbgrader metadata
(``cell.metadata.nbgrader.points``, written by ``scripts/nbgrader_metadata.py``),
summed over an exercise's check cells; a check cell without it counts 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BEGIN = re.compile(r"^[ \t]*###[ \t]*BEGIN SOLUTION\b")
CHECK_CALL = re.compile(r"\bchecks\.(check_\w+)\s*\(")
DEFINES = re.compile(r"^(?:def|class)[ \t]+(\w+)", re.MULTILINE)


@dataclass(frozen=True)
class Exercise:
    """One checked exercise of a notebook.

    Attributes
    ----------
    number : int
        1, 2, ... in the order of the notebook (what the lessons call "exercise 3").
    answer_id : str
        Cell id of the answer cell (the one with ``### BEGIN SOLUTION``); the
        exercise's stable id in grades.csv.
    check_ids : tuple of str
        Cell ids of its check cells, in order.
    name : str
        What the student writes (the first ``def``/``class`` of the answer cell),
        else the first check function's name.
    points : float
        Points for passing every check cell.
    """

    number: int
    answer_id: str
    check_ids: tuple[str, ...]
    name: str
    points: float


def has_solution(cell) -> bool:
    """Whether ``cell`` holds a ``### BEGIN SOLUTION`` line."""
    return any(BEGIN.match(line) for line in cell.source.splitlines())


def is_check_cell(cell) -> bool:
    """Whether ``cell`` is a code cell calling ``checks.check_...``."""
    return cell.cell_type == "code" and CHECK_CALL.search(cell.source) is not None


def cell_points(cell) -> float:
    """Points of one check cell: its nbgrader ``points``, else 1."""
    points = cell.metadata.get("nbgrader", {}).get("points", 1)
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
        raise ValueError(f"cell {cell.get('id')!r}: nbgrader points must be a number >= 0, "
                         f"got {points!r}")
    return float(points)


def find_exercises(nb) -> list[Exercise]:
    """The checked exercises of the instructor notebook ``nb``, in notebook order.

    Raises
    ------
    ValueError
        If an answer cell has no check cell after it, or a cell has no id
        (nbformat < 4.5: upgrade it with ``nbformat.validator.normalize``).
    """
    found = []
    cells = nb.cells
    for index, cell in enumerate(cells):
        if cell.cell_type != "code" or not has_solution(cell):
            continue
        checks = []
        for later in cells[index + 1:]:
            if later.cell_type == "markdown" or (later.cell_type == "code" and has_solution(later)):
                break
            if is_check_cell(later):
                checks.append(later)
        for c in (cell, *checks):
            if not c.get("id"):
                raise ValueError(f"cell {index} has no id: notebooks need nbformat 4.5 cell ids")
        if not checks:
            raise ValueError(f"answer cell {cell.id!r} has no check cell (checks.check_...) "
                             f"after it, before the next markdown cell")
        defined = DEFINES.search(cell.source)
        name = defined.group(1) if defined else CHECK_CALL.search(checks[0].source).group(1)
        found.append(Exercise(number=len(found) + 1, answer_id=cell.id,
                              check_ids=tuple(c.id for c in checks), name=name,
                              points=sum(cell_points(c) for c in checks)))
    return found
