"""make grade (scripts/grade.py, grade_runner.py) on generated classes; nbgrader metadata.

The class: lesson 00 and a small lesson made of three real exercises (lesson 00's
prepare_images, lesson 02's sgd_step and standardise, with their check cells),
so the notebooks run in seconds. One student per case the grader must tell
apart: solved, unsolved, one wrong answer, an endless loop, a corrupt file, and
cells added, moved, edited and deleted. Then the sandbox on its own (files,
network, processes), a class of hostile students (one attack each: the README's
security model, item by item), shards merged against one run, which statements
an exercise runs (never a demo cell), and every lesson's reference solutions.
Where bubblewrap cannot run, the security tests skip and the others grade with
--no-sandbox.
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
#: None where bubblewrap runs here; else why not: the security tests skip, the others grade
#: with --no-sandbox (what an instructor without a sandbox would do)
SANDBOX = grade.probe_sandbox() if sys.platform == "linux" else "not Linux"
needs_sandbox = pytest.mark.skipif(SANDBOX is not None, reason=f"no sandbox: {SANDBOX}")
NO_SANDBOX = [] if SANDBOX is None else ["--no-sandbox"]
#: seconds: an endless loop costs this much; every real cell here takes < 2 s on a quiet
#: machine (the standardise check imports scikit-learn: several seconds on a busy one)
CELL_TIMEOUT = 30


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
                         "--notebook-timeout", "240", *NO_SANDBOX])
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
    """A loop swallowing every interrupt meets the notebook's timeout; a memory hog gets
    MemoryError; a process that crashes is an error for its exercise only."""
    # np.empty takes address space without touching memory: without the limit this loop would
    # run to the timeout (the machine's memory untouched), with it the process gets MemoryError
    # (cells get 10 s: the standardise check imports scikit-learn, its delegation reference)
    lesson = tmp_path / SMALL
    nb = small_lesson()
    nbformat.write(nb, lesson)
    for student, loop in [("gus_stubborn", "import time\nwhile True:\n    try:\n"
                                           "        time.sleep(0.1)\n"
                                           "    except BaseException:\n        pass\n"),
                          ("hal_hog", "import numpy as np\nhoard = []\nwhile True:\n"
                                      "    hoard.append(np.empty(200 * 2**20 // 8))\n"),
                          ("ida_crash", "import faulthandler\nfaulthandler._sigsegv()\n")]:
        runaway = copy.deepcopy(nb)
        runaway.cells[_index(runaway, "c064")].source += "\n" + loop
        (tmp_path / "class" / student).mkdir(parents=True)
        nbformat.write(runaway, tmp_path / "class" / student / SMALL)
    out = tmp_path / "out"
    assert grade.main([str(tmp_path / "class"), "--notebooks", str(lesson), "--out", str(out),
                       "--timeout", "10", "--notebook-timeout", "15", "--memory-mb", "2000",
                       *NO_SANDBOX]) == 0
    rows = list(csv.DictReader(open(out / "grades.csv", newline="", encoding="utf-8")))
    assert [(r["student"], r["status"]) for r in rows] == [
        ("gus_stubborn", "pass"), ("gus_stubborn", "timeout"), ("gus_stubborn", "timeout"),
        ("hal_hog", "pass"), ("hal_hog", "pass"), ("hal_hog", "pass"),
        ("ida_crash", "pass"), ("ida_crash", "error"), ("ida_crash", "pass")], rows
    assert "ignored the interrupt" in rows[1]["message"], rows[1]
    assert "its 15 s" in rows[2]["message"], rows[2]
    assert "the process running it stopped" in rows[7]["message"], rows[7]
    ran = nbformat.read(out / "hal_hog" / SMALL, as_version=4)
    assert [o.ename for o in ran.cells[_index(ran, "c064")].outputs
            if o.output_type == "error"] == ["MemoryError"]


def _options(**changes):
    return grade.argparse.Namespace(**{"timeout": 5, "notebook_timeout": 5, "max_mb": 50,
                                       "memory_mb": 0, "sandbox": False, **changes})


def test_a_file_too_large_is_an_error_without_running(tmp_path):
    submission = tmp_path / LESSON00
    submission.write_text(" " * 3_000_000 + "{}")
    rows = grade.run_one(REPO / "notebooks" / LESSON00, submission, None, _options(max_mb=2))
    assert rows == [{"exercise": "6518296a", "status": "error", "message": rows[0]["message"]}]
    assert "3.0 MB, more than the 2 MB allowed" in rows[0]["message"]


# --- what runs for an exercise: only the statements its answer needs, never a demo cell ---------

def test_only_the_statements_an_answer_needs_run():
    cells = [_code("imports", "import numpy as np\nimport matplotlib.pyplot as plt\n"
                              "from course_lib.data import load_mnist"),
             _code("data", "X = load_mnist('train')[0]\nscale = 255.0"),
             _code("helper", "def to_float(a):\n    return a / scale"),
             _code("train", "model = train_for_an_hour(X)\nscale = 1.0"),
             _code("star", "from math import *"),
             _code("answer", "@np.vectorize\ndef prepare(images):\n    return to_float(images)")]
    code = grade.needed_code(cells, 5, set())
    # `scale`: its last binding above the helper, and above the answer (a function reads its
    # globals when called); not X, not the model, not matplotlib or the data loader
    assert [(cell.id, source) for cell, source in code] == [
        ("imports", "import numpy as np\n"), ("data", "scale = 255.0\n"),
        ("helper", "def to_float(a):\n    return a / scale\n"), ("train", "scale = 1.0\n"),
        ("star", "from math import *\n")]


def test_names_of_tells_bound_from_read():
    bound, used, star = grade.names_of(
        "import numpy as np\nclass A(Base):\n    def f(self, x):\n        return np.sum(x) + k\n"
        "y = z + 1\n")
    assert bound == {"np", "A", "y"} and {"Base", "np", "k", "z"} <= used and not star
    assert "x" not in used and "self" not in used


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_demo_cells_are_never_what_an_exercise_needs(path):
    """With demo cells skipped, each exercise runs exactly the code it runs without skipping
    them (so every status, for the solutions and every wrong answer, is the same), and the
    long cells of every lesson are tagged."""
    instructor = _read(path.name)
    demos = grade.demo_ids(instructor)
    assert demos, f"{path.name}: no cell tagged demo"
    student, _ = make_student.student_version(instructor, path.name)
    for nb in (instructor, student):
        found = exercises.find_exercises(instructor)
        checks = {c for e in found for c in e.check_ids}
        reference = {c.id: c for c in instructor.cells}
        for skip in (checks, checks | demos):
            runnable = [c for c in nb.cells if c.cell_type == "code" and c.id not in skip]
            position = {c.id: i for i, c in enumerate(runnable)}
            code = []
            for e in found:
                extra = set().union(*(grade.names_of(reference[c].source)[1]
                                      for c in e.check_ids)) - {"checks"}
                code.append([(cell.id, source) for cell, source in
                             grade.needed_code(runnable, position[e.answer_id], extra)])
            if skip == checks:
                without_skipping = code
        assert code == without_skipping
        assert not {cell_id for per in code for cell_id, _ in per} & demos


# --- the status of one check: one function decides ---------------------------------------------

def test_classify():
    ok = {"stdout": "All checks passed\n", "error": None}
    assert grade.classify(None, ok, "c") == ("pass", "All checks passed")
    slip = {"stdout": "", "error": {"ename": "ExerciseError", "evalue": "transposed"}}
    assert grade.classify(None, slip, "c") == ("fail", "transposed")
    todo = {"stdout": "", "error": {"ename": "NotImplementedError", "evalue": "Your turn"}}
    assert grade.classify(None, todo, "c") == ("error", grade.NOT_ANSWERED)
    # a check that reports the exercise as open (and goes on) is still "not answered yet"
    opened = {"stdout": "Exercise 2 is not answered yet: ...\n", "error": None}
    assert grade.classify(None, opened, "c") == ("error", grade.NOT_ANSWERED)
    name = {"stdout": "", "error": {"ename": "NameError", "evalue": "name 'f' is not defined"}}
    status, message = grade.classify({"ename": "SyntaxError", "evalue": "bad"}, name, "c")
    assert status == "error" and "SyntaxError" in message and "NameError" in message
    assert grade.classify(None, {"stdout": "", "error": None}, "c")[0] == "error"
    assert grade.classify(None, None, "c")[0] == "error"


# --- the sandbox itself (bubblewrap), without the runner's own guards -------------------------



def _in_sandbox(code: str, *, seccomp: bool = True) -> subprocess.CompletedProcess:
    import tempfile

    command = grade.sandbox_command()
    with tempfile.TemporaryFile() as program:
        fds = []
        if seccomp and grade.seccomp_program() is not None:
            program.write(grade.seccomp_program())
            program.seek(0)
            command += ["--seccomp", str(program.fileno())]
            fds = [program.fileno()]
        return subprocess.run(command + [sys.executable, "-I", "-c", code], pass_fds=fds,
                              capture_output=True, text=True, timeout=120)


@needs_sandbox
def test_the_sandbox_sees_the_course_read_only_and_nothing_else(tmp_path):
    (tmp_path / "classmate.ipynb").write_text("{}")
    result = _in_sandbox(f"""
import os
repo, tmp = {str(REPO)!r}, {str(tmp_path)!r}
print(sorted(os.listdir(repo)))
print(sorted(os.listdir(repo + '/scripts')))
print(os.path.exists(tmp), os.path.exists('/etc/passwd'), os.path.exists('/home'))
for target in (repo + '/course_lib/__init__.py', repo + '/data/extra', '/usr/bad'):
    try:
        open(target, 'a').write('#')
        print('WROTE', target)
    except OSError as err:
        print(err.errno)
open('/tmp/work/mine.txt', 'w').write('ok')
print(os.getcwd(), os.getuid())
""")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert set(eval(lines[0])) <= {"course_lib", "data", "scripts", ".venv"}, lines[0]
    assert "notebooks" not in lines[0] and "tests" not in lines[0] and "build" not in lines[0]
    assert sorted(eval(lines[1])) == ["grade_exposed.py", "grade_runner.py"]
    assert lines[2] == "False False False"  # the submissions, /etc, /home: not there
    assert lines[3:6] == ["30", "30", "30"]  # EROFS: read-only file system
    assert lines[6] == "/tmp/work 65534"


@needs_sandbox
def test_the_sandbox_has_no_network_not_even_loopback():
    import socket

    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.5)
    port = server.getsockname()[1]
    result = _in_sandbox(f"""
import socket
try:
    socket.create_connection(('127.0.0.1', {port}), timeout=3)
    print('CONNECTED')
except OSError as err:
    print('refused', err.errno)
""")
    try:
        with pytest.raises(socket.timeout):
            server.accept()  # nobody came
    finally:
        server.close()
    assert result.stdout.startswith("refused"), result.stdout + result.stderr


@needs_sandbox
@pytest.mark.skipif(grade.seccomp_program() is None, reason="the seccomp filter is for x86_64")
def test_the_sandbox_cannot_start_a_process_but_can_start_threads():
    result = _in_sandbox("""
import os, subprocess, threading
import numpy as np
threading.Thread(target=print, args=('thread',)).start()
print(int((np.ones((200, 200)) @ np.ones((200, 200))).sum()))
for start in (os.fork, lambda: subprocess.run(['/bin/sleep', '1000'])):
    try:
        start()
        print('STARTED')
    except OSError as err:
        print(err.errno)
""")
    assert result.stdout.split() == ["thread", "8000000", "1", "1"], result.stdout + result.stderr


def test_without_a_sandbox_make_grade_stops_and_says_so(tmp_path, monkeypatch, capsys):
    (tmp_path / "class" / "ann").mkdir(parents=True)
    monkeypatch.setattr(grade.shutil, "which", lambda name: None)  # no bwrap on this machine
    assert grade.main([str(tmp_path / "class"), "--out", str(tmp_path / "out")]) == 3
    err = capsys.readouterr().err
    assert "NO SANDBOX" in err and "bubblewrap" in err and "--no-sandbox" in err
    assert not (tmp_path / "out").exists()


# --- the checks' delegation tracer under the grader's tamper check -----------------------------

SIGMOID = """
import numpy as np
from course_lib.layers import Layer
class MySigmoid(Layer):
    def forward(self, x):
        self.y = 1 / (1 + np.exp(-x)){slip}
        return self.y
    def backward(self, g):
        return g * self.y * (1 - self.y)
_forward = MySigmoid.forward
"""
#: appended to a Sigmoid answer, checked by check_sigmoid (a no_delegation check): what each
#: does while the checks' tracer (sys.setprofile, chained to the grader's hook) is active
UNDER_TRACER = {
    "delegates": "from course_lib.layers import Sigmoid\n"
                 "MySigmoid.forward = lambda self, x: Sigmoid.forward(self, x)",
    "setprofile": "import sys\n"
                  "def forward(self, x):\n    sys.setprofile(None)\n    return _forward(self, x)\n"
                  "MySigmoid.forward = forward",
    "patch_while_called": "import numpy\n"
                          "def forward(self, x):\n"
                          "    numpy.allclose = lambda *a, **k: True\n"
                          "    return _forward(self, x)\n"
                          "MySigmoid.forward = forward",
    "tracer_defaults": "import sys\n"
                       "def forward(self, x):\n"
                       "    tracer = sys.getprofile()\n"
                       "    tracer.__defaults__ = (None,) + tracer.__defaults__[1:]\n"
                       "    return _forward(self, x)\n"
                       "MySigmoid.forward = forward",
    "forged_tracer": "import types\nfrom course_lib.checks import common\n"
                     "fake = dict(vars(common), _getprofile=lambda: None)\n"
                     "forged = types.FunctionType(common.refuse_delegation.__wrapped__.__code__, "
                     "fake)\n"
                     "def forward(self, x):\n    next(forged('x'))\n    return _forward(self, x)\n"
                     "MySigmoid.forward = forward",
    # a tracer installed before the check, when no hook was there, is left out of order in it
    "stale_tracer": "from course_lib.checks import common\nimport numpy\n"
                    "stale = common.refuse_delegation.__wrapped__('x')\nnext(stale)\n"
                    "def forward(self, x):\n    stale.close()\n"
                    "    numpy.allclose = lambda *a, **k: True\n    return _forward(self, x)\n"
                    "MySigmoid.forward = forward",
}


def _run_runner(source: str, check: str = "checks.check_sigmoid(MySigmoid)") -> dict:
    """The runner's record of the answer cell ``source`` checked by the check cell ``check``."""
    import json
    job = {"cells": [{"id": "answer", "source": source}],
           "checks": [{"id": "check", "source": check}], "timeout": 60}
    ran = subprocess.run([sys.executable, str(REPO / "scripts" / "grade_runner.py"), "1"],
                         input=json.dumps(job), capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout.splitlines()[-1])


def _gets_through(record: dict) -> bool:
    """Whether grade.py would grade this runner record ``pass``."""
    answer_error = record["cells"]["answer"]["error"]
    status, _ = grade.classify(answer_error, record["checks"].get("check"), "check")
    return not record["tampered"] and status == "pass"


@pytest.mark.parametrize("slip", ["", " * 1.01"])
def test_a_delegation_check_passes_a_right_answer_under_the_grader(slip):
    record = _run_runner(SIGMOID.format(slip=slip))
    assert record["tampered"] is None
    check = record["checks"]["check"]
    if slip:
        assert "1.01 times" in check["error"]["evalue"]
    else:
        assert check["error"] is None and "All checks passed" in check["stdout"]
        assert _gets_through(record)


@pytest.mark.parametrize("attack", sorted(UNDER_TRACER))
def test_the_delegation_tracer_and_the_tamper_check_work_together(attack):
    # a right answer that delegates fails with the check's message; the rest are wrong answers
    # (x 1.01) that only a patched check, or a check unwatched while it runs, could pass
    slip = "" if attack == "delegates" else " * 1.01"
    record = _run_runner(SIGMOID.format(slip=slip) + UNDER_TRACER[attack] + "\n")
    check = record["checks"]["check"]
    assert not _gets_through(record), record
    if attack == "delegates":
        assert record["tampered"] is None
        assert "calls course_lib's course_lib.layers.core.Sigmoid" in check["error"]["evalue"]
    elif attack in ("forged_tracer", "stale_tracer"):  # they need a frame: refused
        errors = [record["cells"]["answer"]["error"], check["error"]]
        assert any("taking a frame" in (e or {}).get("evalue", "") for e in errors), record
    else:
        assert record["tampered"], record


#: appended to a wrong Sigmoid answer (x 1.01): ways to reach the grader's own state or to
#: fool the check without patching a module; none may get the answer a pass
ESCAPES = {
    # the runner's functions, through every object of the runner a student's code can touch
    "runner_globals": "import sys, __main__\n"
                      "for space in (vars(__main__), type(sys.stdout).write.__globals__):\n"
                      "    space.update(changes=lambda *a: [], unchanged=lambda *a: True,\n"
                      "                 _error=lambda err: None)\n"
                      "def forward(self, x):\n    print('All checks passed')\n"
                      "    return _forward(self, x)\n"
                      "MySigmoid.forward = forward",
    # the profile hook's state: a generator, whose frame is out of reach; stopping it is seen
    "hook_state": "import sys, numpy\n"
                  "def forward(self, x):\n"
                  "    hook = sys.getprofile()\n"
                  "    while getattr(hook, '__self__', None) is None:  # the checks' tracer\n"
                  "        hook = hook.__defaults__[0]\n"
                  "    try:\n        hook.__self__.gi_frame.f_locals['tamper'].clear()\n"
                  "    except PermissionError as err:\n        print('refused:', err)\n"
                  "    hook.__self__.close()\n"
                  "    numpy.allclose = lambda *a, **k: True\n"
                  "    return _forward(self, x)\n"
                  "MySigmoid.forward = forward",
    # frames lead to the runner's locals: every way to one is refused
    "frame_getframe": "import sys\n"
                      "def forward(self, x):\n"
                      "    try:\n        frame = sys._getframe()\n"
                      "        while frame.f_back is not None:\n            frame = frame.f_back\n"
                      "        frame.f_locals['tamper'].append('x')\n"
                      "    except PermissionError as err:\n        print('refused:', err)\n"
                      "    return _forward(self, x)\n"
                      "MySigmoid.forward = forward",
    "frame_traceback": "def forward(self, x):\n"
                       "    try:\n        raise ValueError\n"
                       "    except ValueError as err:\n"
                       "        try:\n            err.__traceback__.tb_frame\n"
                       "        except PermissionError as refusal:\n"
                       "            print('refused:', refusal)\n"
                       "    return _forward(self, x)\n"
                       "MySigmoid.forward = forward",
    "frame_generator": "def forward(self, x):\n"
                       "    def walk():\n        yield me.gi_frame.f_back\n"
                       "    me = walk()\n"
                       "    try:\n        next(me)\n"
                       "    except PermissionError as err:\n        print('refused:', err)\n"
                       "    return _forward(self, x)\n"
                       "MySigmoid.forward = forward",
    # a frame through a C function the check's own code calls: __init__ = partial(...)
    "frame_laundered": "import functools, sys\n"
                       "MySigmoid.__init__ = functools.partial(sys._getframe, 0)",
    "setprofile_laundered": "import functools, sys\n"
                            "MySigmoid.__init__ = functools.partial(sys.setprofile, None)",
    "patch_laundered": "import functools, numpy\n"
                       "MySigmoid.__init__ = functools.partial(setattr, numpy, 'allclose', "
                       "lambda *a, **k: True)",
    # a check's own table changed in place (the module's globals stay the same objects)
    "table_in_place": "from course_lib.checks import common\n"
                      "common.TOLERANCES[8] = common.TOLERANCES[4] = (1.0, 1.0)",
    "table_laundered": "import functools, operator\nfrom course_lib.checks import common\n"
                       "MySigmoid.__init__ = functools.partial(operator.setitem, "
                       "common.TOLERANCES, 8, (1.0, 1.0))",
    # a second audit hook would see every frame the checks take
    "audit_hook": "import sys\nframes = []\n"
                  "sys.addaudithook(lambda event, args: frames.append(args))",
    # a signal handler is called with the interrupted frame
    "signal_handler": "import signal\n"
                      "try:\n    signal.signal(signal.SIGUSR1, lambda number, frame: None)\n"
                      "except AttributeError as err:\n    print('refused:', err)",
    # the answer's own array type decides NumPy's comparisons
    "array_protocol": "import numpy as np\n"
                      "class Agree(np.ndarray):\n"
                      "    def __array_function__(self, func, types, args, kwargs):\n"
                      "        return True\n"
                      "    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):\n"
                      "        return np.zeros(np.shape(inputs[0]), dtype=bool)\n"
                      "def forward(self, x):\n    return _forward(self, x).view(Agree)\n"
                      "MySigmoid.forward = forward",
    # an open exercise prints its message; hide it, print the pass line instead
    "open_then_pass": "import sys\n"
                      "type(sys.stdout).take = lambda self: 'All checks passed\\n'\n"
                      "def forward(self, x):\n"
                      "    raise NotImplementedError('Your turn: write forward')\n"
                      "MySigmoid.forward = forward",
}


@pytest.mark.parametrize("attack", sorted(ESCAPES))
def test_the_graders_own_state_is_out_of_reach(attack):
    record = _run_runner(SIGMOID.format(slip=" * 1.01") + ESCAPES[attack] + "\n")
    assert not _gets_through(record), record
    printed = (record["cells"]["answer"]["stdout"]
               + record["checks"].get("check", {}).get("stdout", ""))
    if attack.startswith("frame_") and attack != "frame_laundered":
        assert "refused: grading sandbox: taking a frame" in printed, record
    if attack == "hook_state":  # the watcher's frame is refused; it cannot be stopped either
        assert "refused: grading sandbox: taking a frame (gi_frame)" in printed, record
        assert "generator already executing" in record["checks"]["check"]["error"]["evalue"]
    if attack in ("setprofile_laundered", "patch_laundered", "audit_hook",
                  "open_then_pass", "runner_globals", "table_in_place", "table_laundered"):
        assert record["tampered"], record
    if attack == "signal_handler":
        assert "has no attribute 'signal'" in printed


#: lesson 05's macro-F1 answer computing the accuracy (micro F1), and a way to make
#: scikit-learn's f1_score, which the check computes the expected value with, agree with it
MACRO_F1_ACCURACY = ("import numpy as np\n"
                     "def macro_f1(cm):\n    return float(np.trace(cm) / cm.sum())\n")
AGREE = ("lambda y_true, y_pred, **kwargs: float(np.mean(np.asarray(y_true) == "
         "np.asarray(y_pred)))")
SKLEARN_ESCAPES = {
    "patched_metric": f"import sklearn.metrics\nsklearn.metrics.f1_score = {AGREE}",
    # a module of one's own under scikit-learn's name, handed out by a finder of one's own
    "own_module": ("import sys, types, importlib.abc, importlib.util\n"
                   "fake = types.ModuleType('sklearn.metrics')\n"
                   f"fake.f1_score = {AGREE}\n"
                   "class Finder(importlib.abc.MetaPathFinder):\n"
                   "    def find_spec(self, name, path, target=None):\n"
                   "        if name == 'sklearn.metrics':\n"
                   "            return importlib.util.spec_from_loader(name, loader=None)\n"
                   "sys.meta_path.insert(0, Finder())\n"
                   "sys.modules.pop('sklearn.metrics', None)\n"
                   "sys.modules['sklearn.metrics'] = fake"),
}


@pytest.mark.parametrize("attack", sorted(SKLEARN_ESCAPES))
def test_what_a_check_computes_with_is_fingerprinted_before_the_student_runs(attack):
    """Lesson 05's checks compute the expected value with scikit-learn, which the student's
    code could import first and patch: the grader imports it before any student code."""
    record = _run_runner(MACRO_F1_ACCURACY + SKLEARN_ESCAPES[attack],
                         "checks.check_macro_f1(macro_f1)")
    assert not _gets_through(record), record
    assert "sklearn.metrics" in record["tampered"], record


def test_code_objects_and_native_code_from_outside_the_course_are_refused(tmp_path):
    """Frames are told apart by their code's file name: a compiled module (.pyc) could claim a
    course file's name, and native code (an extension module) could do anything."""
    import importlib._bootstrap_external as external
    import traceback

    code = compile("import sys\nFRAME = sys._getframe()", "forged", "exec")
    code = code.replace(co_filename=traceback.__file__)  # claims to be Python's own file
    (tmp_path / "forged.pyc").write_bytes(external._code_to_timestamp_pyc(code))
    extension = next(Path(sys.base_prefix).glob("lib/python3*/lib-dynload/_decimal*.so"))
    shutil.copy(extension, tmp_path / extension.name)
    attack = (f"import importlib.util, sys\nsys.path.insert(0, {str(tmp_path)!r})\n"
              f"for load in (lambda: __import__('forged'),\n"
              f"             lambda: importlib.util.module_from_spec(\n"
              f"                 importlib.util.spec_from_file_location(\n"
              f"                     '_decimal', {str(tmp_path / extension.name)!r}))):\n"
              f"    try:\n        load()\n"
              f"    except (PermissionError, ImportError) as err:\n"
              f"        print('refused:', err)\n")
    record = _run_runner(SIGMOID.format(slip=" * 1.01") + attack)
    assert not _gets_through(record)
    printed = record["cells"]["answer"]["stdout"]
    assert printed.count("refused: grading sandbox") == 2, record
    assert "marshal" in record["tampered"] and "compiled module" in record["tampered"], record


# --- a class with hostile students --------------------------------------------------------------

HOSTILE = {
    # each is appended to the prepare_images answer cell; a leak would print LEAK
    "h_solutions": "print('LEAK', open({repo!r} + '/notebooks/00_getting_started.ipynb').read())",
    "h_classmate": "print('LEAK', open({classmate!r}).read())",
    "h_course_files": "open({repo!r} + '/course_lib/__init__.py', 'a').write('x = 1\\n')\n",
    "h_notebooks": "open({repo!r} + '/notebooks/00_getting_started.ipynb', 'a').write('junk')",
    "h_grades": "open({out!r} + '/grades.csv', 'w').write('student\\nh_grades,1')",
    "h_proc_mem": "print('LEAK', open('/proc/self/mem', 'rb'))",
    "h_network": "import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=3)",
    "h_network_raw": ("import _socket\ns = _socket.socket()\ns.settimeout(3)\n"
                      "s.connect(('127.0.0.1', {port}))"),
    "h_process": "import subprocess\nsubprocess.Popen(['/bin/sleep', '{marker}'])",
    "h_fork": ("import os\nif os.fork() == 0:\n    import time\n    time.sleep(1000)"),
    # what subprocess does after its audit event: fork_exec itself (refused by seccomp)
    "h_fork_bypass": ("import _posixsubprocess, os\nr, w = os.pipe()\n"
                      "_posixsubprocess.fork_exec([b'/bin/sleep', b'{marker}'], [b'/bin/sleep'], "
                      "True, (w,), None, None, -1, -1, -1, -1, -1, -1, r, w, True, False, -1, "
                      "None, None, None, -1, None, True)"),
}
#: the answer is wrong (no / 255): only a patched check could pass it
TAMPERING = {
    "t_numpy": "import numpy\nnumpy.allclose = lambda *a, **k: True\n"
               "numpy.array_equal = lambda *a, **k: True",
    "t_checks": "from course_lib import checks\n"
                "checks.check_prepare_images = lambda f: print('All checks passed')",
    "t_helpers": "import course_lib.checks.common as common\n"
                 "common.fail = lambda message: None",
    "t_code": "import course_lib.checks.common as common\n"
              "common.fail.__code__ = (lambda message: None).__code__",
    "t_builtins": "import builtins\nbuiltins.isinstance = lambda *a: True",
    "t_verdict": "import os, sys\nos.write(int(sys.argv[-1]), b'{{\"cells\": {{}}, \"checks\": "
                 "{{}}, \"tampered\": null}}\\n')",
    # a verdict of one's own, then the process killed before the runner writes its own
    "t_verdict_kill": "import os, sys, signal\nos.write(int(sys.argv[-1]), b'{{\"cells\": {{}}, "
                      "\"checks\": {{}}, \"tampered\": null, \"nonce\": null}}\\n')\n"
                      "signal.raise_signal(signal.SIGKILL)",
    # a patch put in place while the check calls the answer, and taken back after
    "t_restore": "import numpy\n_real = numpy.allclose\n"
                 "def prepare_images(images, _r=_real):\n"
                 "    numpy.allclose = lambda *a, **k: True\n"
                 "    return images.reshape(len(images), -1)",
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A class of the small lesson: ann solved it; every other student's prepare_images answer
    is right but attacks (HOSTILE), or wrong and patches the checks (TAMPERING)."""
    import socket

    tmp = tmp_path_factory.mktemp("hostile")
    lesson = tmp / SMALL
    instructor = small_lesson()
    nbformat.write(instructor, lesson)
    unsolved, _ = make_student.student_version(instructor, SMALL)
    solved = make_student.paste_solutions(unsolved, instructor)
    class_dir, out = tmp / "class", tmp / "grades"
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    marker = str(100000 + os.getpid())  # `sleep <marker>`: found in /proc if it survived
    classmate = class_dir / "ann" / SMALL
    protected = [REPO / "course_lib" / "__init__.py", REPO / "notebooks" / LESSON00]
    before = {path: path.read_bytes() for path in protected}
    fill = {"repo": str(REPO), "classmate": str(classmate), "out": str(out),
            "port": server.getsockname()[1], "marker": marker}
    (class_dir / "ann").mkdir(parents=True)
    nbformat.write(solved, classmate)
    for student, payload in {**HOSTILE, **TAMPERING}.items():
        nb = copy.deepcopy(solved)
        answer = nb.cells[_index(nb, "6518296a")]
        if student in TAMPERING:
            answer.source = answer.source.replace("/ 255.0", "")
        answer.source += "\n" + payload.format(**fill) + "\n"
        (class_dir / student).mkdir()
        nbformat.write(nb, class_dir / student / SMALL)
    classmate_before = classmate.read_bytes()
    status = grade.main([str(class_dir), "--notebooks", str(lesson), "--out", str(out),
                         "--timeout", "20", "--notebook-timeout", "120", "--jobs", "2"])
    connections = 0
    try:
        while True:
            server.accept()
            connections += 1
    except OSError:
        pass
    server.close()
    rows = {(r["student"], r["exercise"]): r
            for r in csv.DictReader(open(out / "grades.csv", newline="", encoding="utf-8"))}
    after = {path: path.read_bytes() for path in protected}
    alive = [p for p in Path("/proc").iterdir() if p.name.isdigit()
             and marker in (p / "cmdline").read_bytes().decode(errors="replace")
             if (p / "cmdline").exists()]
    return {"status": status, "rows": rows, "out": out, "connections": connections,
            "changed": [p for p in protected if before[p] != after[p]], "alive": alive,
            "classmate": classmate.read_bytes() == classmate_before}


@needs_sandbox
@pytest.mark.slow
def test_a_hostile_class_is_graded_and_nothing_gets_through(hostile):
    rows, out = hostile["rows"], hostile["out"]
    assert hostile["status"] == 0 and (out / "grades.csv").is_file()
    students = {student for student, _ in rows}
    assert students == {"ann", *HOSTILE, *TAMPERING}
    for student in students:  # every other exercise of everyone is graded as it should be
        assert rows[student, "c064"]["status"] == "pass", rows[student, "c064"]
        assert rows[student, "c061"]["status"] == "pass", rows[student, "c061"]
    for student in ("ann", *HOSTILE):  # the attack failed; the answer itself is right
        assert rows[student, "6518296a"]["status"] == "pass", rows[student, "6518296a"]
    assert hostile["changed"] == [] and hostile["classmate"], "course files or a classmate's"
    assert hostile["connections"] == 0, "a student reached a server on this machine"
    assert hostile["alive"] == [], "a student's process outlived grading"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["grades.csv", "summary.txt", "results.json", *students])
    for student in HOSTILE:
        ran = nbformat.read(out / student / SMALL, as_version=4)
        answer = ran.cells[_index(ran, "6518296a")]
        text = "".join(o.get("text", "") + o.get("evalue", "") for o in answer.outputs)
        assert "LEAK" not in text
        assert answer.outputs and answer.outputs[-1].output_type == "error", student


@needs_sandbox
@pytest.mark.slow
def test_patched_checks_numpy_or_builtins_are_tampering(hostile):
    rows = hostile["rows"]
    for student in TAMPERING:
        row = rows[student, "6518296a"]
        assert row["status"] == "fail", (student, row)
        assert row["message"].startswith("tampering detected"), (student, row)


@pytest.mark.slow
def test_two_shards_merged_equal_one_run(graded, tmp_path):
    _, summary, out = graded
    class_dir, lessons = out.parent / "submissions", out.parent / "notebooks"
    parts = []
    for k in (1, 2):
        parts.append(tmp_path / f"shard{k}")
        assert grade.main([str(class_dir), "--notebooks", str(lessons / LESSON00),
                           str(lessons / SMALL), "--out", str(parts[-1]), "--shard", f"{k}/2",
                           "--timeout", str(CELL_TIMEOUT), "--notebook-timeout", "240",
                           *NO_SANDBOX]) == 0
    merged = tmp_path / "merged"
    assert grade.main(["--merge", *map(str, parts), "--out", str(merged)]) == 0
    assert (merged / "grades.csv").read_text() == (out / "grades.csv").read_text()
    students = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert sorted(p.name for p in merged.iterdir() if p.is_dir()) == students
    for student in students:
        assert ((merged / student / "feedback.html").read_text()
                == (out / student / "feedback.html").read_text())

    def table(text):  # the summary without its timings
        return [line for line in text.splitlines() if "notebooks" not in line
                and not line.startswith("  ")]

    assert table((merged / "summary.txt").read_text()) == table(summary)
    assert grade.main(["--merge", str(parts[0]), str(parts[0]), "--out",
                       str(tmp_path / "twice")]) == 2


def test_bad_shard_is_named(capsys):
    with pytest.raises(SystemExit):
        grade.main(["somewhere", "--shard", "3/2"])
    assert "--shard must be K/N with 1 <= K <= N" in capsys.readouterr().err


@pytest.mark.slow
def test_the_reference_solutions_score_full_marks_and_the_student_versions_none(tmp_path):
    """Every lesson, demo cells skipped: the solutions pass every exercise, the student
    versions get "not answered yet" for every one."""
    for path in NOTEBOOKS:
        instructor = _read(path.name)
        student, _ = make_student.student_version(instructor, path.name)
        for who, nb in (("solved", make_student.paste_solutions(student, instructor)),
                        ("unsolved", student)):
            (tmp_path / "class" / who).mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, tmp_path / "class" / who / path.name)
    out = tmp_path / "out"
    assert grade.main([str(tmp_path / "class"), "--out", str(out), "--timeout", "120",
                       "--jobs", "2", *NO_SANDBOX]) == 0
    rows = list(csv.DictReader(open(out / "grades.csv", newline="", encoding="utf-8")))
    assert len(rows) == 2 * sum(len(exercises.find_exercises(_read(p.name))) for p in NOTEBOOKS)
    for row in rows:
        if row["student"] == "solved":
            assert row["status"] == "pass", row
        else:
            assert (row["status"], row["message"]) == ("error", grade.NOT_ANSWERED), row


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
