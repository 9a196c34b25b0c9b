"""What a reader sees without running anything: lesson 00's course map, stored
progress bars, and the student view's collapsed assert cells.

* Lesson 00's course map is generated from README.md's (scripts/course_map.py):
  a test fails when the two, or either and the notebooks present, disagree.
* scripts/execute_notebooks.py stores a tqdm bar's final text, not its first.
* scripts/make_student.py collapses cells that hold only ``assert`` statements.
"""

import re
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import claims  # noqa: E402
import course_map  # noqa: E402
import execute_notebooks  # noqa: E402
import make_student  # noqa: E402

README_ROWS = """# Course

## Course map

| # | lesson | what it teaches | prerequisites | time to run |
| --- | --- | --- | --- | --- |
{rows}

## Next section
"""


def _readme(tmp_path, numbers):
    rows = "\n".join(f"| {n} | [`{n}_lesson`](student/{n}_lesson.ipynb) | idea {n}, on 1,000 images "
                     f"| {n} | ~1 s |" for n in numbers)
    path = tmp_path / "README.md"
    path.write_text(README_ROWS.format(rows=rows), encoding="utf-8")
    return path


def _notebooks(tmp_path, numbers):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for n in numbers:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell(f"# {n}", id=course_map.ANCHOR_ID if n == "00"
                                                  else f"title-{n}"),
                    nbformat.v4.new_markdown_cell("## Learning goals", id=f"goals-{n}")]
        nbformat.write(nb, folder / f"{n}_lesson.ipynb")
    return folder


def test_lesson_00_course_map_agrees_with_the_readme_and_the_notebooks():
    assert course_map.problems() == [], "run scripts/course_map.py (and make student)"
    nb = nbformat.read(course_map.LESSON_00, as_version=4)
    assert course_map.map_rows_in_notebook(nb) == course_map.present_lessons()


def test_course_map_takes_whatever_rows_the_readme_has(tmp_path):
    numbers = [f"{i:02d}" for i in range(11)]
    readme, folder = _readme(tmp_path, numbers), _notebooks(tmp_path, numbers)
    lesson_00 = folder / "00_lesson.ipynb"
    assert course_map.main(["--check", "--readme", str(readme), "--notebook", str(lesson_00)]) == 1
    assert course_map.main(["--readme", str(readme), "--notebook", str(lesson_00)]) == 0
    assert course_map.problems(readme, lesson_00, folder) == []
    nb = nbformat.read(lesson_00, as_version=4)
    maps = [cell for cell in nb.cells if course_map.is_map_cell(cell)]
    assert [cell.id for cell in maps] == ["course-map", "course-map-2", "course-map-3"]
    assert all(len(re.findall(r"^\| \d\d \|", c.source, re.M)) <= course_map.ROWS_PER_CELL
               for c in maps)
    assert nb.cells[0].id == course_map.ANCHOR_ID and nb.cells[1].id == "course-map"
    assert "`03_lesson`" in maps[0].source and "](student/" not in maps[0].source
    # the map's numbers are the lessons' claims, not lesson 00's
    assert not [c for c in claims.claims(nb) if not c.backed_by]
    # running it again changes nothing; fewer rows remove the extra cells
    assert course_map.main(["--readme", str(readme), "--notebook", str(lesson_00)]) == 0
    assert nbformat.read(lesson_00, as_version=4) == nb
    _readme(tmp_path, numbers[:3])
    assert course_map.main(["--readme", str(readme), "--notebook", str(lesson_00)]) == 0
    shorter = nbformat.read(lesson_00, as_version=4)
    assert course_map.map_rows_in_notebook(shorter) == numbers[:3]


def test_course_map_check_names_a_lesson_missing_from_the_map(tmp_path):
    numbers = ["00", "01", "02"]
    readme, folder = _readme(tmp_path, numbers), _notebooks(tmp_path, numbers)
    lesson_00 = folder / "00_lesson.ipynb"
    course_map.main(["--readme", str(readme), "--notebook", str(lesson_00)])
    _notebooks_extra = folder / "03_lesson.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), _notebooks_extra)
    found = course_map.problems(readme, lesson_00, folder)
    assert any("README.md's course map lists" in p for p in found), found
    assert any("lesson 00's course map lists" in p for p in found), found


def _widget(model, **state):
    return {"model_name": model, "state": {"_model_name": model, **state}}


def _tqdm_state(left, value, total, right):
    return {"box": _widget("HBoxModel", children=["IPY_MODEL_l", "IPY_MODEL_p", "IPY_MODEL_r"]),
            "l": _widget("HTMLModel", value=left), "r": _widget("HTMLModel", value=right),
            "p": _widget("FloatProgressModel", value=value, max=total)}


def test_a_stored_progress_bar_keeps_its_final_text():
    # tqdm.notebook pads with figure spaces and escapes HTML
    state = _tqdm_state("epoch\u20071/3:\u2007100%", 1000, 1000,
                        "\u20071000/1000\u2007[00:04&lt;00:00,\u2007230.1batch/s]")
    text = execute_notebooks.final_bar_text(state, "box")
    assert text == "epoch 1/3: 100%|██████████| 1000/1000 batch", "no time or rate: same every run"
    half = _tqdm_state("\u200750%", 5, 10, "\u20075/10\u2007[00:00&lt;00:00,\u20079.9it/s]")
    assert execute_notebooks.final_bar_text(half, "box") == " 50%|█████     | 5/10"
    no_total = _tqdm_state("", 7, 1, "\u20077/?\u2007[00:00&lt;00:00,\u2007856.6it/s]")
    assert execute_notebooks.final_bar_text(no_total, "box") is None
    assert execute_notebooks.final_bar_text(state, "l") is None, "not a bar"

    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {execute_notebooks.WIDGET_STATE: {"state": state}}
    cell = nbformat.v4.new_code_cell("fit(model)")
    cell.outputs = [nbformat.v4.new_output("display_data", data={
        "text/plain": "epoch 1/3:   0%|          | 0/1000 [00:00<?, ?batch/s]",
        execute_notebooks.WIDGET_VIEW: {"model_id": "box", "version_major": 2}})]
    nb.cells = [cell]
    out = execute_notebooks.normalise(nb).cells[0].outputs[0]
    assert out.data == {"text/plain": text}
    assert "widgets" not in nb.metadata


def test_slides_read_a_stored_final_bar():
    import output_filters
    bars = [nbformat.v4.new_output("display_data", data={
        "text/plain": f"epoch {i}/2: 100%|██████████| 1719/1719 batch"}) for i in (1, 2)]
    shown = output_filters.summarise_progress(bars)
    assert shown[0].data["text/plain"] == "2 progress bars: epoch 1/2, epoch 2/2 (1,719 batch each)"


def test_the_sanitizer_compares_a_final_bar_with_a_first_drawn_one():
    rules = (REPO / "nbval_sanitize.cfg").read_text(encoding="utf-8")
    pairs = re.findall(r"^regex: (.*)\nreplace: (.*)$", rules, re.M)

    def sanitize(text):
        for pattern, replacement in pairs:
            text = re.sub(pattern, replacement, text)
        return text

    first = "epoch 1/3:   0%|          | 0/1000 [00:00<?, ?batch/s]"
    final = "epoch 1/3: 100%|██████████| 1000/1000 batch"
    stopped = "epoch 1/3:  12%|█▏        | 120/1000 batch"
    timed = "epoch 1/3: 100%|██████████| 1000/1000 [00:04<00:00, 230.1batch/s]"
    assert sanitize(first) == sanitize(final) == sanitize(stopped) == sanitize(timed)
    plain = "loop:   0%|          | 0/50 [00:00<?, ?it/s]"
    assert sanitize(plain) == sanitize("loop: 100%|██████████| 50/50")
    assert sanitize(first) != sanitize(final.replace("1000/1000", "999/999")), "totals compared"
    assert sanitize(first) != sanitize(final.replace("epoch 1/3", "epoch 2/3"))


@pytest.mark.parametrize("source, hidden", [
    ("assert x > 0.9, x", True),
    ("# NBVAL_IGNORE_OUTPUT\nassert x > 0.9\nassert y < 1", True),
    ("assert x > 0.9\nprint('x above 0.9')", False),
    ("x = 1", False),
])
def test_the_student_view_collapses_assert_only_cells(source, hidden):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source), nbformat.v4.new_markdown_cell("assert x")]
    student, _ = make_student.student_version(nb)
    assert student.cells[0].metadata.get("jupyter", {}).get("source_hidden", False) is hidden
    assert "jupyter" not in student.cells[1].metadata
    assert student.cells[0].source == source, "the cell still runs as it is"
