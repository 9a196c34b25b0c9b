#!/usr/bin/env python
"""Convert a lesson's ``checks.require(...)`` cells to ``if checks.ready(...):`` cells.

``checks.require`` stops a cell with an error while an exercise it builds on is
open, and so stops JupyterLab's *Run All*. ``checks.ready`` prints which
exercise the cell waits for and returns False, so the cell skips its body::

    # NBVAL_IGNORE_OUTPUT                     # NBVAL_IGNORE_OUTPUT
    checks.require("exercise 1 (f)",     ->   if checks.ready(("exercise 1 (f)", checks.check_f, f),
                   checks.check_f, f)                         ("exercise 2 (g)", checks.check_g, g)):
    checks.require("exercise 2 (g)",              y = f(x)
                   checks.check_g, g)             print(g(y))
    y = f(x)
    print(g(y))

The leading comment lines stay on top; the ``checks.require(...)`` statements
at the start of the cell (and a ``for e in LIST: checks.require(*e)`` loop,
which becomes ``*LIST``) become the requirements; the rest of the cell is
indented under the ``if``. A cell that holds nothing but requirements is left
as it is and reported: make it part of the cell that runs the student's code.
Cells without ``checks.require`` at the top are not touched.

Usage::

    .venv/bin/python scripts/use_ready.py notebooks/07_x.ipynb [...]   # rewrites in place
    .venv/bin/python scripts/use_ready.py --check notebooks/*.ipynb    # exit 1 if any to convert

Then re-execute the notebook and regenerate ``student/`` (``make student``).
"""

from __future__ import annotations

import argparse
import ast
import io
import sys
import tokenize
from pathlib import Path

import nbformat

WIDTH = 99


def _is_require(node: ast.stmt) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "require"
            and isinstance(node.value.func.value, ast.Name)
            and node.value.func.value.id == "checks")


def _requirements(node: ast.stmt, source: str) -> list[tuple[str, list[str]]] | None:
    """(requirement expression, its parts) of one leading statement; None if it is not one."""
    if _is_require(node):
        call = node.value
        if len(call.args) == 1 and isinstance(call.args[0], ast.Starred):
            return [(ast.get_source_segment(source, call.args[0]), [])]
        parts = [" ".join(ast.get_source_segment(source, a).split()) for a in call.args]
        return [("(" + ", ".join(parts) + ")", parts)]
    if (isinstance(node, ast.For) and isinstance(node.target, ast.Name) and len(node.body) == 1
            and _is_require(node.body[0]) and not node.orelse):
        args = node.body[0].value.args
        if (len(args) == 1 and isinstance(args[0], ast.Starred)
                and isinstance(args[0].value, ast.Name) and args[0].value.id == node.target.id):
            return [("*" + ast.get_source_segment(source, node.iter), [])]
    return None


def convert_source(source: str) -> tuple[str, str]:
    """``(new source, what happened)``: "converted", "unchanged" or "requirements only"."""
    tree = ast.parse(source)
    requirements, end = [], 0
    for node in tree.body:
        found = _requirements(node, source)
        if found is None:
            break
        requirements += found
        end = node.end_lineno
    if not requirements:
        return source, "unchanged"
    lines = source.splitlines()
    first = tree.body[0].lineno - 1
    head, body = lines[:first], lines[end:]
    while body and not body[0].strip():
        body = body[1:]
    if not any(line.strip() and not line.lstrip().startswith("#") for line in body):
        return source, "requirements only"
    one_line = f"if checks.ready({', '.join(r for r, _ in requirements)}):"
    if len(one_line) <= WIDTH:
        condition = [one_line]
    else:
        indent = " " * len("if checks.ready(")
        condition = []
        for number, (text, parts) in enumerate(requirements):
            start = "if checks.ready(" if number == 0 else indent
            end = "):" if number == len(requirements) - 1 else ","
            if len(start + text + end) <= WIDTH or len(parts) < 3:
                condition.append(start + text + end)
            else:  # the answers on a line of their own
                condition.append(f"{start}({parts[0]}, {parts[1]},")
                condition.append(f"{indent} {', '.join(parts[2:])}){end}")
    # lines inside a multi-line (triple-quoted) string must not be indented: find them
    strings = set()
    tokens = tokenize.generate_tokens(io.StringIO("\n".join(body) + "\n").readline)
    for token in tokens:
        if token.type == tokenize.STRING and token.end[0] > token.start[0]:
            strings.update(range(token.start[0] + 1, token.end[0] + 1))
    indented = [line if (not line.strip() or number in strings) else "    " + line
                for number, line in enumerate(body, start=1)]
    return "\n".join(head + condition + indented), "converted"


def convert_notebook(path: Path, write: bool) -> list[str]:
    """Convert the cells of one notebook; one line per cell that needs or got a change."""
    nb = nbformat.read(path, as_version=4)
    report = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "checks.require" not in cell.source:
            continue
        new, what = convert_source(cell.source)
        report.append(f"{path}: cell {index} ({cell.get('id', '?')}): {what}")
        if what == "converted":
            cell.source = new
    if write and any(line.endswith(": converted") for line in report):
        nbformat.write(nb, path)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 when a cell still uses checks.require")
    args = parser.parse_args(argv)
    report = [line for path in args.notebooks for line in convert_notebook(path, not args.check)]
    print("\n".join(report) or "nothing to convert")
    return 1 if args.check and report else 0


if __name__ == "__main__":
    sys.exit(main())
