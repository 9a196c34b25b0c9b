"""Grade a class's notebooks: run each submission, record every exercise's check, write feedback.

Usage:
    python scripts/grade.py SUBMISSIONS                      # make grade SUBMISSIONS=...
    python scripts/grade.py --timeout 120 --notebook-timeout 900 --jobs 2 SUBMISSIONS

``SUBMISSIONS`` holds one folder per student, ``<student>/<notebook>.ipynb``;
nbgrader's layout ``submitted/<student>/<assignment>/<notebook>.ipynb`` works
too (pass the folder that holds ``submitted/``, or ``submitted/`` itself).
A notebook is matched to its lesson by file name; the lessons graded are those
of ``--notebooks`` (default ``notebooks/*.ipynb``) that at least one student
submitted.

Each submitted notebook runs in a fresh kernel (nbclient), in a worker
process of its own with a temporary working folder, a per-cell timeout
(``--timeout``, interrupting the cell, then going on) and a per-notebook
timeout (``--notebook-timeout``; the worker is killed a minute after it).
Before it runs, the check cells (found by cell id in the instructor
notebook) get the instructor's source back, so an edited check still checks.
Then, for every exercise (``scripts/exercises.py``), the status of its cells:

* ``pass``: every check cell printed "All checks passed";
* ``fail``: a check rejected the answer (``ExerciseError``); the message is the check's;
* ``error``: the answer is not written yet (its check printed "Not answered
  yet"), or the answer or the check raised something else (a NameError, ...), or the notebook could not run: not valid
  JSON, too large, a kernel that died;
* ``timeout``: the answer or check cell did not finish in time, or the
  notebook's time ran out before it;
* ``missing``: the answer or check cell is gone (deleted, its id changed), or
  the student did not submit the notebook.

Writes ``build/grades/grades.csv`` (``student,notebook,exercise,status,points,
max_points,message``, one row per student, notebook and exercise; the exercise
is its answer cell's id), ``build/grades/<student>/feedback.html`` and the
notebooks as run, ``build/grades/<student>/<notebook>.ipynb``, and prints a
table per exercise (how many students passed). A submission that breaks,
hangs or floods its output is recorded and the next one is graded.

This is not a security sandbox: student code runs with your user's rights.
"""

from __future__ import annotations

import argparse
import copy
import csv
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))

from exercises import Exercise, find_exercises  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
STATUSES = ("pass", "fail", "error", "timeout", "missing")
COLUMNS = ["student", "notebook", "exercise", "status", "points", "max_points", "message"]
PASSED = "All checks passed"
#: what a check prints while the answer still raises NotImplementedError("Your turn ...")
#: (course_lib.checks.OPEN): the exercise is not answered yet
OPEN = "Not answered yet"
NOT_ANSWERED = ("not answered yet: the answer cell still raises NotImplementedError "
                "(replace that line with your code)")
EXERCISE_ERROR = "ExerciseError"
#: run again before each check cell: a student's variable named `checks` must not hide the checks
CHECK_PRELUDE = "from course_lib import checks  # added by make grade\n"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MAX_MESSAGE = 2000  # characters of a message kept in grades.csv and the feedback


@dataclass
class Result:
    """The grade of one exercise of one student's notebook (a row of grades.csv)."""

    student: str
    notebook: str
    exercise: str
    status: str
    points: float
    max_points: float
    message: str
    number: int = 0
    name: str = ""


def _clip(text: str, limit: int = MAX_MESSAGE) -> str:
    text = ANSI.sub("", str(text)).strip()
    return text if len(text) <= limit else text[:limit] + " [...]"


def _same(exercises: list[Exercise], status: str, message: str) -> list[dict]:
    """Every exercise with one status (a notebook that could not run, or was not submitted)."""
    return [{"exercise": e.answer_id, "status": status, "message": message} for e in exercises]


# --- running one notebook (in the worker process) ---------------------------------------------

class NotebookDeadline(Exception):
    """The notebook's own time limit ran out before the next cell."""


def _client_class():
    from nbclient import NotebookClient

    class GradingClient(NotebookClient):
        """nbclient with a notebook deadline, a record of timed-out cells and an output cap."""

        def __init__(self, nb, *, deadline: float, keep_output: set[str], max_output: int,
                     **kwargs):
            super().__init__(nb, **kwargs)
            self.deadline = deadline
            self.keep_output = keep_output  # ids of the check cells: their output always kept
            self.max_output = max_output
            self.output_size = 0
            self.output_capped = False
            self.timed_out: set[str] = set()
            self.replies: dict[str, dict] = {}
            self.current: str | None = None
            self.timeout_func = self._cell_timeout
            self.on_cell_executed = self._record_reply

        def _cell_timeout(self, cell) -> int:
            return max(1, int(min(self.timeout, self.deadline - time.monotonic()) + 0.999))

        def _record_reply(self, cell, cell_index, execute_reply):
            if execute_reply is not None:
                self.replies[cell.id] = execute_reply["content"]

        async def async_execute_cell(self, cell, cell_index, execution_count=None,
                                     store_history=True):
            if cell.cell_type == "code" and cell.source.strip():
                if time.monotonic() >= self.deadline:
                    raise NotebookDeadline(cell.id)
                self.current = cell.id
            return await super().async_execute_cell(cell, cell_index, execution_count,
                                                    store_history)

        async def _async_handle_timeout(self, timeout, cell=None):
            if cell is not None:
                self.timed_out.add(cell.id)
            return await super()._async_handle_timeout(timeout, cell)

        def output(self, outs, msg, display_id, cell_index):
            cell = self.nb.cells[cell_index]
            if cell.get("id") not in self.keep_output and msg["msg_type"] != "error":
                self.output_size += len(json.dumps(msg.get("content", {}), default=str))
                if self.output_size > self.max_output:
                    if not self.output_capped:
                        self.output_capped = True
                        outs.append(nbformat.v4.new_output(
                            "stream", name="stderr",
                            text=f"[make grade: output beyond {self.max_output // 10**6} MB "
                                 f"dropped]\n"))
                    return None
            return super().output(outs, msg, display_id, cell_index)

    return GradingClient


def prepare(submission, instructor, exercises: list[Exercise]):
    """The notebook to run: ``submission`` with its check cells' source taken from ``instructor``.

    Also returns ``{answer_id: message}`` for the exercises whose cells are gone.
    """
    nb = copy.deepcopy(submission)
    reference = {cell.id: cell for cell in instructor.cells}
    by_id: dict[str, int] = {}
    for index, cell in enumerate(nb.cells):
        by_id.setdefault(cell.get("id"), index)
    missing = {}
    for e in exercises:
        gone = [("answer cell", e.answer_id)] if e.answer_id not in by_id else []
        gone += [("check cell", c) for c in e.check_ids if c not in by_id]
        if gone:
            what = ", ".join(f"the {kind} (id {cell_id!r})" for kind, cell_id in gone)
            missing[e.answer_id] = (f"{what} of exercise {e.number} ({e.name}) is not in the "
                                    f"notebook: it was deleted or its id changed. Start from a "
                                    f"fresh copy of the lesson and paste your answer in.")
            continue
        for check_id in e.check_ids:
            nb.cells[by_id[check_id]] = nbformat.v4.new_code_cell(
                CHECK_PRELUDE + reference[check_id].source)
            nb.cells[by_id[check_id]]["id"] = check_id
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    return nb, missing


def _message(reply: dict | None) -> tuple[str, str]:
    return (reply or {}).get("ename", ""), _clip((reply or {}).get("evalue", ""))


def _stdout(cell) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", [])
                   if out.get("output_type") == "stream" and out.get("name") == "stdout")


def statuses(nb, exercises: list[Exercise], missing: dict[str, str], client, stopped: str | None,
             cell_timeout: int, notebook_timeout: int) -> list[dict]:
    """The status and message of every exercise of the notebook ``nb`` as ``client`` ran it."""
    cells = {cell.get("id"): cell for cell in nb.cells}
    results = []
    for e in exercises:
        if e.answer_id in missing:
            results.append({"exercise": e.answer_id, "status": "missing",
                            "message": missing[e.answer_id]})
            continue
        ids = (e.answer_id, *e.check_ids)
        late = [i for i in ids if i in client.timed_out]
        not_run = [i for i in e.check_ids if i not in client.replies]
        answer_name, answer_value = _message(client.replies.get(e.answer_id))
        if late:
            status, message = "timeout", (
                f"cell {late[0]!r} did not finish within {cell_timeout} s and was interrupted "
                f"(an endless loop? a far too slow one?)")
        elif not_run and stopped == "deadline":
            status, message = "timeout", (
                f"the notebook used up its {notebook_timeout} s before this exercise's check ran "
                f"(a cell above is too slow or never ends)")
        elif not_run and stopped:
            status, message = "error", (
                f"the check cell never ran: {stopped}")
        else:
            status, message = "pass", PASSED
            for check_id in e.check_ids:
                reply = client.replies[check_id]
                ename, evalue = _message(reply)
                if reply.get("status") == "error" and ename == EXERCISE_ERROR:
                    status, message = "fail", evalue
                elif reply.get("status") == "error":
                    status = "error"
                    if ename == "NotImplementedError" or answer_name == "NotImplementedError":
                        message = NOT_ANSWERED
                    elif answer_name:
                        message = (f"your answer cell raised {answer_name}: {answer_value}; "
                                   f"then the check raised {ename}: {evalue}")
                    else:
                        message = f"the check raised {ename}: {evalue}"
                elif OPEN in _stdout(cells[check_id]):
                    status, message = "error", NOT_ANSWERED
                elif PASSED not in _stdout(cells[check_id]):
                    status, message = "error", (f"the check cell {check_id!r} ran but did not "
                                                f"print '{PASSED}'")
                if status != "pass":
                    break
        results.append({"exercise": e.answer_id, "status": status, "message": message})
    return results


def run_one(instructor_path: Path, submission_path: Path, executed_path: Path | None,
            cell_timeout: int, notebook_timeout: int, max_bytes: int,
            max_output: int) -> list[dict]:
    """Grade one submitted notebook; one ``{exercise, status, message}`` per exercise."""
    instructor = nbformat.read(instructor_path, as_version=4)
    exercises = find_exercises(instructor)
    size = submission_path.stat().st_size
    if size > max_bytes:
        return _same(exercises, "error", f"the notebook file is {size / 1e6:.1f} MB, more than "
                                         f"the {max_bytes / 1e6:.0f} MB allowed: clear its outputs "
                                         f"(Edit > Clear Outputs of All Cells) and save it again")
    try:
        submission = nbformat.reads(submission_path.read_text(encoding="utf-8"), as_version=4)
    except Exception as err:  # not UTF-8, not JSON, not a notebook
        return _same(exercises, "error", f"the file is not a readable notebook "
                                         f"({type(err).__name__}: {_clip(err, 300)})")
    if not all(cell.get("id") for cell in submission.cells):
        return _same(exercises, "error", "the notebook's cells have no ids (saved by a Jupyter "
                                         "older than nbformat 4.5?): start from a fresh copy of "
                                         "the lesson")
    nb, missing = prepare(submission, instructor, exercises)
    checks = {c for e in exercises for c in e.check_ids}
    stopped = None
    with tempfile.TemporaryDirectory(prefix="grade-") as workdir:
        nbformat.write(nb, Path(workdir) / submission_path.name)  # the student's working copy
        client = _client_class()(
            nb, deadline=time.monotonic() + notebook_timeout, keep_output=checks,
            max_output=max_output, timeout=cell_timeout, kernel_name="python3",
            allow_errors=True, interrupt_on_timeout=True, record_timing=False,
            error_on_timeout={"ename": "CellTimeoutError",
                              "evalue": f"cell did not finish within {cell_timeout} s",
                              "traceback": []},
            resources={"metadata": {"path": workdir}})
        try:
            client.execute()
        except NotebookDeadline:
            stopped = "deadline"
        except Exception as err:  # DeadKernelError, a kernel that would not start, ...
            where = f" while running cell {client.current!r}" if client.current else ""
            stopped = (f"the kernel stopped{where} ({type(err).__name__}: {_clip(err, 300)}); "
                       f"out of memory? os._exit()? sys.exit()?")
    results = statuses(nb, exercises, missing, client, stopped, cell_timeout, notebook_timeout)
    if executed_path is not None:
        executed_path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, executed_path)
    return results


def worker(argv: list[str]) -> int:
    """``grade.py --worker``: grade one notebook, write its results as JSON (see grade_one)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", action="store_true")
    for name in ("instructor", "submission", "executed", "result"):
        parser.add_argument(f"--{name}", type=Path, required=True)
    for name in ("timeout", "notebook-timeout", "max-bytes", "max-output"):
        parser.add_argument(f"--{name}", type=int, required=True)
    parser.add_argument("--memory-mb", type=int, default=0)
    args = parser.parse_args(argv)
    if args.memory_mb:
        import resource  # the kernel, a child of this process, inherits the limit

        limit = args.memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    results = run_one(args.instructor, args.submission, args.executed, args.timeout,
                      args.notebook_timeout, args.max_bytes, args.max_output)
    args.result.write_text(json.dumps(results), encoding="utf-8")
    return 0


def grade_one(instructor_path: Path, submission_path: Path, executed_path: Path,
              options: argparse.Namespace) -> list[dict]:
    """Grade one notebook in a worker process, killed when it outlives the notebook timeout."""
    exercises = find_exercises(nbformat.read(instructor_path, as_version=4))
    with tempfile.TemporaryDirectory(prefix="grade-result-") as tmp:
        result = Path(tmp) / "result.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--worker",
                   "--instructor", str(instructor_path), "--submission", str(submission_path),
                   "--executed", str(executed_path), "--result", str(result),
                   "--timeout", str(options.timeout),
                   "--notebook-timeout", str(options.notebook_timeout),
                   "--max-bytes", str(options.max_mb * 10**6),
                   "--max-output", str(options.max_output_mb * 10**6),
                   "--memory-mb", str(options.memory_mb)]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   start_new_session=True, text=True)
        try:
            _, stderr = process.communicate(timeout=options.notebook_timeout + 60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the worker; its kernel exits with its parent
            process.communicate()
            return _same(exercises, "timeout", f"grading this notebook took more than "
                                               f"{options.notebook_timeout + 60} s and was stopped")
        if process.returncode == 0 and result.is_file():
            return json.loads(result.read_text(encoding="utf-8"))
        tail = _clip(stderr.strip().splitlines()[-1] if stderr.strip() else "no message", 300)
        return _same(exercises, "error", f"the notebook could not be graded (the grader's worker "
                                         f"exited with status {process.returncode}: {tail})")


# --- the class ----------------------------------------------------------------------------------

def find_submissions(root: Path,
                     lessons: list[str]) -> tuple[dict[str, dict[str, Path]], list[Path]]:
    """``{student: {notebook name: path}}`` under ``root``, and the .ipynb files matching no lesson.

    ``root/<student>/<name>.ipynb`` and ``root/<student>/<assignment>/<name>.ipynb``
    (nbgrader) are both found; ``root/submitted/`` is used when it exists.
    """
    if not root.is_dir():
        raise ValueError(f"SUBMISSIONS must be a folder of student folders, got {str(root)!r}, "
                         f"which is not a folder")
    if (root / "submitted").is_dir():
        root = root / "submitted"
    found: dict[str, dict[str, Path]] = {}
    strays = []
    for student in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = sorted((p for pattern in ("*.ipynb", "*/*.ipynb") for p in student.glob(pattern)
                        if ".ipynb_checkpoints" not in p.parts), key=lambda p: (len(p.parts), p))
        found[student.name] = {}
        for path in files:
            if path.name in lessons:
                found[student.name].setdefault(path.name, path)
            else:
                strays.append(path)
    return found, strays


def feedback_html(student: str, results: list[Result], notebooks: list[str]) -> str:
    """The feedback page of one student: per exercise its status and the check's message."""
    colour = {"pass": "#d7f5dd", "fail": "#fde2c8", "error": "#f9d0d0", "timeout": "#f9d0d0",
              "missing": "#e4e4e4"}
    got = sum(r.points for r in results)
    total = sum(r.max_points for r in results)
    parts = [f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
             f"<title>Feedback: {html.escape(student)}</title><style>"
             "body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
             "table{border-collapse:collapse;width:100%;margin-bottom:2rem}"
             "td,th{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top}"
             "td.msg{white-space:pre-wrap;font-family:monospace;font-size:90%}"
             "</style></head><body>",
             f"<h1>Feedback for {html.escape(student)}</h1>",
             f"<p>{_fmt(got)} of {_fmt(total)} points. Each exercise shows what its check "
             f"said when your notebook ran from top to bottom in a fresh kernel.</p>"]
    for notebook in notebooks:
        rows = [r for r in results if r.notebook == notebook]
        if not rows:
            continue
        parts.append(f"<h2>{html.escape(notebook)}: {_fmt(sum(r.points for r in rows))} of "
                     f"{_fmt(sum(r.max_points for r in rows))} points</h2>")
        parts.append("<table><tr><th>#</th><th>exercise</th><th>status</th><th>points</th>"
                     "<th>message</th></tr>")
        for r in rows:
            parts.append(f"<tr style='background:{colour[r.status]}'><td>{r.number}</td>"
                         f"<td>{html.escape(r.name)}<br><small>{html.escape(r.exercise)}"
                         f"</small></td><td>{r.status}</td><td>{_fmt(r.points)} / "
                         f"{_fmt(r.max_points)}</td><td class='msg'>{html.escape(r.message)}"
                         f"</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _fmt(points: float) -> str:
    return f"{points:g}"


def summary(results: list[Result], students: int) -> str:
    """The instructor's table: per exercise, how many students got each status."""
    counts: dict[tuple, Counter] = {}
    for r in results:
        counts.setdefault((r.notebook, r.number, r.exercise, r.name), Counter())[r.status] += 1
    head = f"{'notebook':<32} {'#':>2} {'exercise':<40} " + " ".join(f"{s:>7}" for s in STATUSES)
    lines = [f"{students} students", head, "-" * len(head)]
    for (notebook, number, exercise, name), c in counts.items():
        label = f"{name} ({exercise})" if name != exercise else exercise
        lines.append(f"{notebook[:32]:<32} {number:>2} {label[:40]:<40} "
                     + " ".join(f"{c[s]:>7}" for s in STATUSES))
    return "\n".join(lines)


def grade_class(submissions: Path, instructor_paths: list[Path], out: Path,
                options: argparse.Namespace) -> list[Result]:
    """Grade every student's notebooks; write grades.csv, the feedback pages and the summary."""
    from tqdm.auto import tqdm

    lessons = {p.name: p for p in instructor_paths}
    exercises = {name: find_exercises(nbformat.read(path, as_version=4))
                 for name, path in lessons.items()}
    found, strays = find_submissions(submissions, list(lessons))
    graded = [name for name in lessons if exercises[name]
              and any(name in files for files in found.values())]
    if out.exists():
        if not (out / "grades.csv").is_file() and any(out.iterdir()):
            raise ValueError(f"--out {str(out)!r} is a folder without grades.csv: refusing to "
                             f"replace it")
        shutil.rmtree(out)
    out.mkdir(parents=True)

    jobs = [(student, name) for student in found for name in graded if name in found[student]]
    timings: dict[tuple[str, str], float] = {}

    def run(job):
        student, name = job
        start = time.monotonic()
        rows = grade_one(lessons[name], found[student][name], out / student / name, options)
        timings[job] = time.monotonic() - start
        return job, rows

    graded_rows: dict[tuple[str, str], list[dict]] = {}
    with ThreadPoolExecutor(max_workers=options.jobs) as pool:
        for job, rows in tqdm(pool.map(run, jobs), total=len(jobs), desc="grading",
                              unit="notebook"):
            graded_rows[job] = rows

    results = []
    for student in found:
        for name in graded:
            rows = graded_rows.get((student, name)) or _same(
                exercises[name], "missing", f"{name} was not submitted")
            by_id = {row["exercise"]: row for row in rows}
            for e in exercises[name]:
                row = by_id.get(e.answer_id, {"status": "error", "message": "not graded"})
                results.append(Result(student, name, e.answer_id, row["status"],
                                      e.points if row["status"] == "pass" else 0.0, e.points,
                                      _clip(row["message"]), e.number, e.name))

    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for r in results:
            row = asdict(r)
            row["points"], row["max_points"] = _fmt(r.points), _fmt(r.max_points)
            writer.writerow(row)
    for student in found:
        (out / student).mkdir(exist_ok=True)
        (out / student / "feedback.html").write_text(
            feedback_html(student, [r for r in results if r.student == student], graded),
            encoding="utf-8")
    table = summary(results, len(found))
    if timings:
        table += (f"\n{len(timings)} notebooks run in {sum(timings.values()):.0f} s "
                  f"(slowest {max(timings.values()):.0f} s); per student:")
        for student in found:
            spent = [t for (who, _), t in timings.items() if who == student]
            table += f"\n  {student}: {len(spent)} notebooks in {sum(spent):.0f} s"
    for path in strays:
        table += f"\nnot graded (no lesson of that name): {path}"
    (out / "summary.txt").write_text(table + "\n", encoding="utf-8")
    print(table)
    print(f"wrote {out / 'grades.csv'} and {len(found)} feedback pages "
          f"({out}/<student>/feedback.html)")
    return results


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--worker" in argv:
        return worker(argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path,
                        help="folder of student folders (<student>/<notebook>.ipynb)")
    parser.add_argument("--notebooks", type=Path, nargs="+",
                        default=sorted((REPO / "notebooks").glob("*.ipynb")),
                        help="the instructor notebooks (default: notebooks/*.ipynb)")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "grades",
                        help="output folder (default: build/grades; replaced on each run)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (600)")
    parser.add_argument("--notebook-timeout", type=int, default=1800,
                        help="seconds per notebook (1800)")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks graded at once (1)")
    parser.add_argument("--max-mb", type=int, default=50,
                        help="largest notebook file accepted, in MB (50)")
    parser.add_argument("--max-output-mb", type=int, default=20,
                        help="output kept per notebook, in MB (20); check cells keep theirs")
    parser.add_argument("--memory-mb", type=int, default=0 if sys.platform != "linux" else 8192,
                        help="address space of a notebook's kernel, in MB (8192 on Linux; 0: "
                             "no limit): a runaway allocation raises MemoryError in the kernel")
    options = parser.parse_args(argv)
    if options.memory_mb < 0:
        parser.error(f"--memory-mb must be 0 (no limit) or more, got {options.memory_mb}")
    for name in ("timeout", "notebook_timeout", "jobs", "max_mb", "max_output_mb"):
        if getattr(options, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got "
                         f"{getattr(options, name)}")
    try:
        grade_class(options.submissions, options.notebooks, options.out, options)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
