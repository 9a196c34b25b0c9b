"""Every number a lesson's markdown states is shown by the notebook (scripts/claims.py).

A claim is backed by a code cell's source (a setting, an assert) or a text
output, at the precision it is written with, or by a ``<!-- from the plot: ... -->``
comment for a number read from a picture.
"""

import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import claims  # noqa: E402

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_number_in_the_markdown_is_shown_by_the_notebook(path):
    nb = nbformat.read(path, as_version=4)
    unbacked = [(c.cell, nb.cells[c.cell].id, c.text) for c in claims.claims(nb) if not c.backed_by]
    assert not unbacked, (f"{path.name}: numbers stated in markdown that no cell prints, asserts "
                          f"or sets (cell index, id, number): {unbacked}; see "
                          f"`python scripts/claims.py --unbacked {path.relative_to(REPO)}`")


def _notebook(markdown: str, code: str = "", output: str = ""):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(code)
    if output:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=output)]
    nb.cells = [cell, nbformat.v4.new_markdown_cell(markdown)]
    return nb


@pytest.mark.parametrize("markdown, code, output, backed", [
    ("The test accuracy is 0.978.", "", "test accuracy 0.9784\n", True),
    ("It classifies 97.8% of the digits.", "", "accuracy 0.9784\n", True),
    ("It classifies 98.1% of the digits.", "", "accuracy 0.9784\n", False),
    ("The RMSE is 4.61.", "assert rmse < 4.7", "", False),
    ("We train for 30 epochs.", "fit(..., epochs=30)", "", True),
    ("About 1,000 times faster.", "", "speed-up 1003x\n", False),
    ("About 1,000 images.", "X[:1000]", "", True),
    ("The loss reaches 1e18.<!-- from the plot: 1e18 -->", "", "", True),
    ("Three layers, 10 classes, in 2012, lesson 04, $e^{709}$ and `Dense(64, 89)`.", "", "", True),
])
def test_a_claim_is_backed_only_by_what_the_notebook_shows(markdown, code, output, backed):
    found = claims.claims(_notebook(markdown, code, output))
    assert found or backed
    assert all(bool(c.backed_by) == backed for c in found), [(c.text, c.backed_by) for c in found]
