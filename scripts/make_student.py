"""Write student versions of the course notebooks: the exercises' solutions taken out.

Usage:
    python scripts/make_student.py --output-dir build/student notebooks/*.ipynb

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

Everything else (other cells, outputs, slide metadata) is kept. A BEGIN
without its END, or the other way round, stops the script with the
notebook and cell named. Notebooks with no exercise are copied as they are,
with a note on stderr.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

BEGIN = re.compile(r"^([ \t]*)###[ \t]*BEGIN SOLUTION\b.*$")
END = re.compile(r"^[ \t]*###[ \t]*END SOLUTION\b.*$")
MESSAGE = "Your turn: replace this line with your code, then run the check cell below."
MARKDOWN_ANSWER = "*Write your answer here.*"


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
        if cell.cell_type == "markdown":
            after_solution = False
        elif after_solution:
            _clear(cell)  # a check cell, or another cell showing the solution's results
    return nb, solution_cells


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, required=True, help="folder for the student notebooks")
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
