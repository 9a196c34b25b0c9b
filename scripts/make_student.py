"""Write student versions of the course notebooks: the exercises' solutions taken out.

Usage:
    python scripts/make_student.py notebooks/*.ipynb            # write student/ (make student)
    python scripts/make_student.py --check notebooks/*.ipynb    # exit 1 if student/ is stale
    python scripts/make_student.py --output-dir DIR notebooks/*.ipynb

The student versions are committed in ``student/``: that is what a student
opens (``make lab``, the Binder and Colab links). A test fails when they are
out of date with ``notebooks/``; run ``make student`` after changing a lesson.

The instructor notebooks hold the reference solution of every "your turn"
exercise between the lines ``### BEGIN SOLUTION`` and ``### END SOLUTION``
(nbgrader's convention). In the student version

* in a code cell, the lines from BEGIN to END become one line
  ``raise NotImplementedError("...")`` at the indentation of the BEGIN line;
  the lines before BEGIN and after END stay (a ``def`` line, a ``return``);
* in a markdown cell, they become "*Write your answer here.*";
* the outputs of the solution cell are cleared, and so are those of the code
  cells that follow it up to the next markdown cell: the check cells, which
  would otherwise show "All checks passed", and anything else computed from
  the solution. The check cells themselves stay, so students can run them.
  Cells tagged ``uses-exercises`` (a cell that trains a network built from
  the student's own pieces) are cleared too, wherever they are.

Code cells that hold only ``assert`` statements (they back a number the text
states; they print nothing) get ``metadata.jupyter.source_hidden``: JupyterLab
shows them collapsed, so the lesson reads as prose between its code cells. They
still run.

Cells keep their ids, so a cell of the student version and of the instructor
version can be matched (pasting a solution back, grading with ``make grade``).
The instructor notebooks' nbgrader metadata (``scripts/nbgrader_metadata.py``)
is left out: it is for ``nbgrader generate_assignment``, which makes its own
student version.

Everything else (other cells, outputs, slide metadata) is kept. A BEGIN
without its END, or the other way round, stops the script with the
notebook and cell named. Notebooks with no exercise are copied as they are,
with a note on stderr.
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
from pathlib import Path

import nbformat

BEGIN = re.compile(r"^([ \t]*)###[ \t]*BEGIN SOLUTION\b.*$")
END = re.compile(r"^[ \t]*###[ \t]*END SOLUTION\b.*$")
MESSAGE = "Your turn: replace this line with your code, then run the check cell below."
MARKDOWN_ANSWER = "*Write your answer here.*"
#: a code cell with this tag runs the student's own pieces; its outputs are the instructor's
USES_EXERCISES = "uses-exercises"
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "student"


NBVAL_MARKER = re.compile(r"^[ \t]*#[ \t]*NBVAL_[A-Z_]+[^\n]*\n?", re.MULTILINE)


def is_assert_only(cell) -> bool:
    """A code cell whose statements are all ``assert``: the notebook's own test, not a lesson."""
    if cell.cell_type != "code":
        return False
    try:
        tree = ast.parse(NBVAL_MARKER.sub("", cell.source))
    except SyntaxError:
        return False
    return bool(tree.body) and all(isinstance(node, ast.Assert) for node in tree.body)


class SolutionMarkerError(ValueError):
    """Unbalanced ### BEGIN SOLUTION / ### END SOLUTION lines."""


def strip_solution(source: str, cell_type: str = "code", where: str = "cell") -> tuple[str, int]:
    """``source`` with each BEGIN..END block replaced; also the number of blocks replaced."""
    out, indent, count = [], None, 0
    for number, line in enumerate(source.splitlines(), start=1):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if indent is not None:
                raise SolutionMarkerError(f"{where}, line {number}: a second BEGIN SOLUTION "
                                          f"before the END SOLUTION of the first")
            indent = begin.group(1)
            count += 1
            if cell_type == "code":
                out.append(f'{indent}raise NotImplementedError("{MESSAGE}")')
            else:
                out.append(f"{indent}{MARKDOWN_ANSWER}")
        elif end:
            if indent is None:
                raise SolutionMarkerError(f"{where}, line {number}: END SOLUTION without a "
                                          f"BEGIN SOLUTION before it")
            indent = None
        elif indent is None:
            out.append(line)
    if indent is not None:
        raise SolutionMarkerError(f"{where}: BEGIN SOLUTION without an END SOLUTION")
    text = "\n".join(out)
    if source.endswith("\n"):
        text += "\n"
    return text, count


def _clear(cell) -> None:
    cell.outputs = []
    cell.execution_count = None


def student_version(nb, name: str = "notebook"):
    """A copy of ``nb`` with the solutions taken out; also the indices of the solution cells."""
    nb = copy.deepcopy(nb)
    solution_cells = []
    after_solution = False
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("nbgrader", None)
        if cell.cell_type not in ("code", "markdown"):
            continue
        source, count = strip_solution(cell.source, cell.cell_type, f"{name}, cell {index}")
        if count:
            cell.source = source
            solution_cells.append(index)
            if cell.cell_type == "code":
                _clear(cell)
                after_solution = True
            continue
        if is_assert_only(cell):  # shown collapsed: the lesson reads as prose
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
        if cell.cell_type == "markdown":
            after_solution = False
        elif after_solution or USES_EXERCISES in cell.metadata.get("tags", []):
            _clear(cell)  # a check cell, or another cell showing the solution's results
    nb.metadata.setdefault("course", {})["version"] = "student"
    return nb, solution_cells


def paste_solutions(student, instructor):
    """A copy of ``student`` with each cell's source taken from the instructor's cell of the same id.

    What a student's notebook becomes once every exercise is solved exactly as
    the reference solution; used by the tests to show such a notebook runs clean.
    """
    solved = copy.deepcopy(student)
    sources = {cell.id: cell.source for cell in instructor.cells}
    for cell in solved.cells:
        if cell.id not in sources:
            raise KeyError(f"cell id {cell.id!r} of the student version is not in the instructor "
                           f"version: regenerate the student notebooks (make student)")
        cell.source = sources[cell.id]
    return solved


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT,
                        help="folder for the student notebooks (default: student/)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a student notebook is missing or stale")
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)

    converted = []
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        try:
            student, cells = student_version(nb, path.name)
        except SolutionMarkerError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        converted.append((path, student, cells))

    if args.check:
        stale = [path.name for path, student, _ in converted
                 if not (args.output_dir / path.name).is_file()
                 or (args.output_dir / path.name).read_text(encoding="utf-8")
                 != nbformat.writes(student) + "\n"]
        for name in stale:
            print(f"stale: {args.output_dir / name} (run `make student`)", file=sys.stderr)
        return 1 if stale else 0

    args.output_dir.mkdir(parents=True, exist_ok=True)
    total = 0
    for path, student, cells in converted:
        target = args.output_dir / path.name
        nbformat.write(student, target)
        total += len(cells)
        print(f"wrote {target} ({len(cells)} solution{'s' if len(cells) != 1 else ''} removed)")
        if not cells:
            print(f"  note: {path.name} has no ### BEGIN SOLUTION block", file=sys.stderr)
    print(f"{len(converted)} student notebooks, {total} exercises, in {args.output_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
