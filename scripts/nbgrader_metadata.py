"""Write nbgrader's cell metadata into the instructor notebooks: nbgrader uses them as they are.

Usage:
    python scripts/nbgrader_metadata.py notebooks/*.ipynb           # write it (idempotent)
    python scripts/nbgrader_metadata.py --check notebooks/*.ipynb   # exit 1 if missing or stale

nbgrader (https://nbgrader.readthedocs.io) reads ``cell.metadata.nbgrader``
(schema version 3). For every exercise found by ``scripts/exercises.py``:

* the answer cell (``### BEGIN SOLUTION``) becomes an *autograded answer*:
  ``solution: true``; ``nbgrader generate_assignment`` replaces the block as
  ``make student`` does;
* its check cells become *autograded tests*: ``grade: true``, ``locked: true``
  and ``points`` (kept when already set, so an instructor can weigh an
  exercise by editing that number; 1 otherwise). ``make grade`` reads the
  same points;
* every markdown cell (the lesson's text, the exercise statements, the hints)
  and the setup cell become *read-only* (``locked: true``), so a student
  cannot change a statement or a check by accident.

Other code cells carry no nbgrader metadata: students may change them (a
learning rate, a plot) and add cells anywhere. ``grade_id`` is the cell's
id, so nbgrader's ids and the course's (grades.csv, student versions) agree.
The student versions (``make student``) leave this metadata out.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))

from exercises import cell_points, find_exercises  # noqa: E402

SCHEMA_VERSION = 3
SETUP_TAG = "course-setup"


def _meta(cell_id: str, *, solution: bool, grade: bool, locked: bool,
          points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": cell_id, "locked": locked,
            "schema_version": SCHEMA_VERSION, "solution": solution, "task": False}
    if grade:
        meta["points"] = int(points) if float(points).is_integer() else points
    return meta


def wanted_metadata(nb) -> dict[str, dict]:
    """The nbgrader metadata each cell of ``nb`` should carry, by cell id (absent: none)."""
    wanted = {}
    for cell in nb.cells:
        if cell.cell_type == "markdown" or SETUP_TAG in cell.metadata.get("tags", []):
            wanted[cell.id] = _meta(cell.id, solution=False, grade=False, locked=True)
    by_id = {cell.id: cell for cell in nb.cells}
    for exercise in find_exercises(nb):
        wanted[exercise.answer_id] = _meta(exercise.answer_id, solution=True, grade=False,
                                           locked=False)
        for check_id in exercise.check_ids:
            wanted[check_id] = _meta(check_id, solution=False, grade=True, locked=True,
                                     points=cell_points(by_id[check_id]))
    return wanted


def apply(nb) -> bool:
    """Set the nbgrader metadata of every cell of ``nb``; whether anything changed."""
    wanted = wanted_metadata(nb)
    changed = False
    for cell in nb.cells:
        meta = wanted.get(cell.id)
        if meta is None:
            if "nbgrader" in cell.metadata:
                del cell.metadata["nbgrader"]
                changed = True
        elif cell.metadata.get("nbgrader") != meta:
            cell.metadata["nbgrader"] = meta
            changed = True
    return changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a notebook's nbgrader metadata is stale")
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    stale = []
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        try:
            changed = apply(nb)
        except ValueError as err:
            print(f"error: {path}: {err}", file=sys.stderr)
            return 1
        if not changed:
            continue
        stale.append(path)
        if not args.check:
            nbformat.write(nb, path)
            print(f"wrote nbgrader metadata into {path}")
    if args.check:
        for path in stale:
            print(f"stale nbgrader metadata: {path} (run scripts/nbgrader_metadata.py)",
                  file=sys.stderr)
        return 1 if stale else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
