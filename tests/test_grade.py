"""make grade (scripts/grade.py) on a generated class, and the nbgrader metadata of the lessons.

The class: lesson 00 and a small lesson made of three real exercises (lesson 00's
prepare_images, lesson 02's sgd_step and standardise, with their check cells),
so the notebooks run in seconds. One student per case the grader must tell
apart: solved, unsolved, one wrong answer, an endless loop, a corrupt file, and
cells added, moved, edited and deleted.
"""

from __future__ import annotations

import copy
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import exercises  # noqa: E402
import grade  # noqa: E402
import make_student  # noqa: E402
import nbgrader_metadata  # noqa: E402

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
LESSON00 = "00_getting_started.ipynb"
SMALL = "90_small.ipynb"
CELL_TIMEOUT = 20  # seconds: an endless loop costs this much; every real cell here takes < 2 s


def _read(name: str):
    return nbformat.read(REPO / "notebooks" / name, as_version=4)


def small_lesson():
    """Three real exercises with their statements and check cells, after a setup cell."""
    cells = {c.id: c for name in (LESSON00, "02_sgd_linear_models.ipynb")
             for c in _read(name).cells}
    nb = nbformat.v4.new_notebook()
    setup = nbformat.v4.new_code_cell("import numpy as np\nfrom course_lib import checks")
    setup["id"] = "setup"
    nb.cells = [setup]
    for title, answer, check in [("prepare", "6518296a", "4fd1cac6"), ("sgd", "c064", "c065"),
                                 ("standardise", "c061", "c062")]:
        statement = nbformat.v4.new_markdown_cell(f"## Your turn: {title}")
        statement["id"] = f"md-{title}"
        nb.cells += [statement, copy.deepcopy(cells[answer]), copy.deepcopy(cells[check])]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def _index(nb, cell_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.id == cell_id)


def _code(cell_id: str, source: str):
    cell = nbformat.v4.new_code_cell(source)
    cell["id"] = cell_id
    return cell


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Build the class, grade it once; (rows by (student, notebook, exercise), summary, out)."""
    tmp = tmp_path_factory.mktemp("grade")
    lessons = tmp / "notebooks"
    lessons.mkdir()
    shutil.copy(REPO / "notebooks" / LESSON00, lessons / LESSON00)
    nbformat.write(small_lesson(), lessons / SMALL)

    versions = {}
    for name in (LESSON00, SMALL):
        instructor = nbformat.read(lessons / name, as_version=4)
        student, _ = make_student.student_version(instructor, name)
        versions[name] = (student, make_student.paste_solutions(student, instructor))

    class_dir = tmp / "submissions"

    def submit(student: str, name: str, nb) -> None:
        (class_dir / student).mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, class_dir / student / name)

    for name, (unsolved, solved) in versions.items():
        submit("ann_solved", name, solved)
        submit("bob_unsolved", name, unsolved)

    _, solved = versions[SMALL]
    # cat: standardise by the sample std (ddof=1); the check cell edited to claim a pass
    cat = copy.deepcopy(solved)
    answer = cat.cells[_index(cat, "c061")]
    answer.source = answer.source.replace("X_train.std(axis=0)", "X_train.std(axis=0, ddof=1)")
    cat.cells[_index(cat, "c062")].source = 'print("All checks passed")'
    submit("cat_wrong", SMALL, cat)  # and no lesson 00: one notebook less to run

    # dan: an endless loop in the sgd_step cell; the other two exercises still run
    dan = copy.deepcopy(solved)
    dan.cells[_index(dan, "c064")].source += "\nwhile True:\n    pass\n"
    submit("dan_loop", SMALL, dan)

    # eve: a corrupt file (cut in the middle of the JSON); she handed in no lesson 00
    (class_dir / "eve_corrupt").mkdir()
    text = nbformat.writes(solved)
    (class_dir / "eve_corrupt" / SMALL).write_text(text[: len(text) // 2], encoding="utf-8")

    # fay: scratch cells added, the sgd block moved above prepare_images, a variable named
    # `checks` shadowing the module, the sgd answer wrong by a factor 2, the standardise
    # check cell deleted
    fay = copy.deepcopy(solved)
    sgd = [fay.cells[_index(fay, "c064")], fay.cells[_index(fay, "c065")]]
    fay.cells = [c for c in fay.cells if c.id not in ("c064", "c065", "c062")]
    sgd[0].source = sgd[0].source.replace("lr * 2 / N", "lr / N")
    at = _index(fay, "md-prepare")
    fay.cells[at:at] = [_code("scratch-1", "checks = ['my', 'list']\nprint(len(checks))"),
                        sgd[0], _code("scratch-2", "print('trying sgd_step')"), sgd[1]]
    fay.cells.insert(0, nbformat.v4.new_markdown_cell("My notes"))
    submit("fay_reordered", SMALL, fay)

    out = tmp / "grades"
    status = grade.main([str(class_dir), "--notebooks", str(lessons / LESSON00),
                         str(lessons / SMALL), "--out", str(out), "--timeout", str(CELL_TIMEOUT),
                         "--notebook-timeout", "240"])
    assert status == 0
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == grade.COLUMNS
        rows = {(r["student"], r["notebook"], r["exercise"]): r for r in reader}
    return rows, (out / "summary.txt").read_text(encoding="utf-8"), out


def _statuses(rows, student: str, notebook: str = SMALL) -> dict[str, str]:
    return {ex: r["status"] for (s, nb, ex), r in rows.items() if s == student and nb == notebook}


@pytest.mark.slow
def test_one_row_per_student_notebook_and_exercise(graded):
    rows, _, _ = graded
    students = {s for s, _, _ in rows}
    assert students == {"ann_solved", "bob_unsolved", "cat_wrong", "dan_loop", "eve_corrupt",
                        "fay_reordered"}
    assert len(rows) == len(students) * (1 + 3)
    assert all(r["status"] in grade.STATUSES for r in rows.values())
    assert all(r["max_points"] == "1" for r in rows.values())
    assert all(r["points"] == ("1" if r["status"] == "pass" else "0") for r in rows.values())


@pytest.mark.slow
def test_the_solutions_pass_and_the_unsolved_version_does_not(graded):
    rows, _, _ = graded
    for notebook in (LESSON00, SMALL):
        assert set(_statuses(rows, "ann_solved", notebook).values()) == {"pass"}
        unsolved = _statuses(rows, "bob_unsolved", notebook)
        assert unsolved and set(unsolved.values()) <= {"fail", "error"}
    assert "NotImplementedError" in rows["bob_unsolved", SMALL, "c064"]["message"]
    assert rows["bob_unsolved", SMALL, "c064"]["status"] == "error"  # open: not answered yet


@pytest.mark.slow
def test_one_wrong_answer_fails_alone_with_the_checks_message(graded):
    rows, _, _ = graded
    assert _statuses(rows, "cat_wrong") == {"6518296a": "pass", "c064": "pass", "c061": "fail"}
    message = rows["cat_wrong", SMALL, "c061"]["message"]
    assert "ddof" in message or "std" in message, message  # the check names the slip
    assert "All checks passed" not in message, "an edited check cell must not count"


@pytest.mark.slow
def test_an_endless_loop_times_out_and_the_rest_is_graded(graded):
    rows, _, _ = graded
    assert _statuses(rows, "dan_loop") == {"6518296a": "pass", "c064": "timeout", "c061": "pass"}
    assert f"{CELL_TIMEOUT} s" in rows["dan_loop", SMALL, "c064"]["message"]


@pytest.mark.slow
def test_a_corrupt_file_is_an_error_and_a_notebook_not_handed_in_is_missing(graded):
    rows, _, _ = graded
    assert set(_statuses(rows, "eve_corrupt").values()) == {"error"}
    assert "not a readable notebook" in rows["eve_corrupt", SMALL, "c064"]["message"]
    assert _statuses(rows, "eve_corrupt", LESSON00) == {"6518296a": "missing"}


@pytest.mark.slow
def test_added_moved_and_deleted_cells_are_graded_by_cell_id(graded):
    rows, _, _ = graded
    assert _statuses(rows, "fay_reordered") == {"6518296a": "pass", "c064": "fail",
                                                "c061": "missing"}
    assert "keep the 2" in rows["fay_reordered", SMALL, "c064"]["message"], \
        rows["fay_reordered", SMALL, "c064"]["message"]
    assert "'c062'" in rows["fay_reordered", SMALL, "c061"]["message"]


@pytest.mark.slow
def test_feedback_pages_and_summary(graded):
    rows, summary, out = graded
    page = (out / "cat_wrong" / "feedback.html").read_text(encoding="utf-8")
    assert "2 of 4 points" in page and "standardise" in page
    assert grade.html.escape(rows["cat_wrong", SMALL, "c061"]["message"]) in page
    assert (out / "dan_loop" / SMALL).is_file(), "the notebook as run, for the instructor"
    line = next(line for line in summary.splitlines() if "(c064)" in line)
    # ann passes sgd_step; bob (error), dan (timeout), eve (error), fay (fail) do not; cat passes
    assert line.split()[-5:] == ["2", "1", "2", "1", "0"], line


@pytest.mark.slow
def test_runaway_notebooks_are_stopped(tmp_path):
    """A loop swallowing the interrupt meets the notebook's timeout; a memory hog gets MemoryError;
    a kernel that dies is an error for the exercises it did not reach."""
    # np.empty takes address space without touching memory: without the limit this loop would
    # run to the timeout (the machine's memory untouched), with it the kernel gets MemoryError
    lesson = tmp_path / SMALL
    nb = small_lesson()
    nbformat.write(nb, lesson)
    for student, loop in [("gus_stubborn", "import time\nwhile True:\n    try:\n"
                                           "        time.sleep(0.1)\n"
                                           "    except KeyboardInterrupt:\n        pass\n"),
                          ("hal_hog", "import numpy as np\nhoard = []\nwhile True:\n"
                                      "    hoard.append(np.empty(200 * 2**20 // 8))\n"),
                          ("ida_crash", "import os\nos._exit(1)\n")]:
        runaway = copy.deepcopy(nb)
        runaway.cells[_index(runaway, "c064")].source += "\n" + loop
        (tmp_path / "class" / student).mkdir(parents=True)
        nbformat.write(runaway, tmp_path / "class" / student / SMALL)
    out = tmp_path / "out"
    assert grade.main([str(tmp_path / "class"), "--notebooks", str(lesson), "--out", str(out),
                       "--timeout", "5", "--notebook-timeout", "20", "--memory-mb", "2000"]) == 0
    rows = list(csv.DictReader(open(out / "grades.csv", newline="", encoding="utf-8")))
    assert [(r["student"], r["status"]) for r in rows] == [
        ("gus_stubborn", "pass"), ("gus_stubborn", "timeout"), ("gus_stubborn", "timeout"),
        ("hal_hog", "pass"), ("hal_hog", "pass"), ("hal_hog", "pass"),
        ("ida_crash", "pass"), ("ida_crash", "error"), ("ida_crash", "error")], rows
    assert "within 5 s" in rows[1]["message"]
    assert any(t in rows[2]["message"] for t in ("within 5 s", "its 20 s")), rows[2]
    assert "kernel stopped while running cell 'c064'" in rows[7]["message"], rows[7]
    ran = nbformat.read(out / "hal_hog" / SMALL, as_version=4)
    assert [o.ename for o in ran.cells[_index(ran, "c064")].outputs
            if o.output_type == "error"] == ["MemoryError"]


def test_a_file_too_large_is_an_error_without_running(tmp_path):
    submission = tmp_path / LESSON00
    submission.write_text(" " * 3_000_000 + "{}")
    rows = grade.run_one(REPO / "notebooks" / LESSON00, submission, None, cell_timeout=5,
                         notebook_timeout=5, max_bytes=2_000_000, max_output=10**6)
    assert rows == [{"exercise": "6518296a", "status": "error", "message": rows[0]["message"]}]
    assert "3.0 MB, more than the 2 MB allowed" in rows[0]["message"]


def test_both_layouts_are_found(tmp_path):
    for sub in ["plain/ann", "nbgrader/submitted/bob/week1"]:
        (tmp_path / sub).mkdir(parents=True)
        (tmp_path / sub / LESSON00).write_text("{}")
    (tmp_path / "plain" / "ann" / "notes.ipynb").write_text("{}")
    found, strays = grade.find_submissions(tmp_path / "plain", [LESSON00])
    assert found == {"ann": {LESSON00: tmp_path / "plain" / "ann" / LESSON00}}
    assert strays == [tmp_path / "plain" / "ann" / "notes.ipynb"]
    bob = {"bob": {LESSON00: tmp_path / "nbgrader" / "submitted" / "bob" / "week1" / LESSON00}}
    for root in (tmp_path / "nbgrader", tmp_path / "nbgrader" / "submitted"):
        assert grade.find_submissions(root, [LESSON00]) == (bob, [])
    with pytest.raises(ValueError, match="SUBMISSIONS"):
        grade.find_submissions(tmp_path / "nowhere", [LESSON00])


def test_bad_options_name_the_option(capsys):
    with pytest.raises(SystemExit):
        grade.main(["somewhere", "--timeout", "0"])
    assert "--timeout must be at least 1, got 0" in capsys.readouterr().err


# --- nbgrader metadata -----------------------------------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_exercise_carries_nbgrader_metadata(path):
    nb = nbformat.read(path, as_version=4)
    cells = {c.id: c for c in nb.cells}
    for e in exercises.find_exercises(nb):
        answer = cells[e.answer_id].metadata.get("nbgrader", {})
        assert answer.get("solution") is True and answer.get("grade_id") == e.answer_id, \
            f"{path.name}: run `python scripts/nbgrader_metadata.py notebooks/*.ipynb`"
        for check_id in e.check_ids:
            check = cells[check_id].metadata["nbgrader"]
            assert check["grade"] is True and check["locked"] is True and check["points"] > 0
    assert not nbgrader_metadata.apply(nb), f"{path.name}: nbgrader metadata is stale"


def test_nbgrader_metadata_follows_the_schema_and_is_idempotent():
    nb = small_lesson()
    nb.cells[_index(nb, "c065")].metadata["nbgrader"] = {"points": 3}  # an instructor's weight
    assert nbgrader_metadata.apply(nb) is True
    assert nbgrader_metadata.apply(nb) is False
    metas = [c.metadata.get("nbgrader") for c in nb.cells]
    ids = [m["grade_id"] for m in metas if m]
    assert len(ids) == len(set(ids))
    for cell, meta in zip(nb.cells, metas):
        if meta is None:
            continue
        # nbgrader's schema 3: these keys, booleans, points only (and required) on grade cells
        assert set(meta) - {"points"} == {"grade", "grade_id", "locked", "schema_version",
                                           "solution", "task"}
        assert meta["schema_version"] == 3 and ("points" in meta) == meta["grade"]
        assert not (meta["grade"] and meta["solution"]) or cell.cell_type == "markdown"
    check = nb.cells[_index(nb, "c065")].metadata["nbgrader"]
    assert check["points"] == 3
    assert [e.points for e in exercises.find_exercises(nb)] == [1, 3, 1]
    student, _ = make_student.student_version(nb)
    assert all("nbgrader" not in c.metadata for c in student.cells)


NBGRADER = shutil.which("nbgrader") or (Path(sys.executable).parent / "nbgrader")


@pytest.mark.slow
@pytest.mark.skipif(not Path(NBGRADER).is_file(), reason="nbgrader is not installed "
                    "(pip install -r requirements-instructor.txt)")
def test_nbgrader_generates_and_autogrades_a_lesson(tmp_path):
    """nbgrader on lesson 01: generate_assignment, autograde a solved and an unsolved copy."""
    name = "01_layers_forward_backward.ipynb"
    course = tmp_path / "course"
    (course / "source" / "lesson01").mkdir(parents=True)
    nb = _read(name)
    nbgrader_metadata.apply(nb)  # what the committed notebook carries
    nbformat.write(nb, course / "source" / "lesson01" / name)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'nn'\n"
        "c.ExecutePreprocessor.timeout = 600\n")
    # nbgrader runs `alembic` from PATH: put its own bin/ first
    env = {**os.environ, "PATH": f"{Path(NBGRADER).parent}{os.pathsep}{os.environ['PATH']}"}

    def run(*args):
        result = subprocess.run([str(NBGRADER), *args], cwd=course, capture_output=True,
                                text=True, timeout=900, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    run("generate_assignment", "lesson01", "--force", "--create")
    released = nbformat.read(course / "release" / "lesson01" / name, as_version=4)
    assert "### BEGIN SOLUTION" not in "".join(c.source for c in released.cells)
    assert [c.id for c in released.cells] == [c.id for c in nb.cells]
    for student, version in [("ann", nb), ("bob", released)]:
        (course / "submitted" / student / "lesson01").mkdir(parents=True)
        nbformat.write(version, course / "submitted" / student / "lesson01" / name)
        run("db", "student", "add", student)
    run("autograde", "lesson01", "--force")
    run("export", "--to", str(tmp_path / "grades.csv"))
    scores = {row["student_id"]: (float(row["score"]), float(row["max_score"]))
              for row in csv.DictReader(open(tmp_path / "grades.csv", encoding="utf-8"))}
    points = sum(e.points for e in exercises.find_exercises(nb))
    assert scores == {"ann": (points, points), "bob": (0.0, points)}, scores
