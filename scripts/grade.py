"""Grade a class's notebooks: run each exercise's check on each student's answer, in a sandbox.

Usage:
    python scripts/grade.py SUBMISSIONS                      # make grade SUBMISSIONS=...
    python scripts/grade.py --timeout 120 --notebook-timeout 900 --jobs 2 SUBMISSIONS
    python scripts/grade.py SUBMISSIONS --shard 2/8 --out build/shards/2   # one slice
    python scripts/grade.py --merge build/shards/* --out build/grades      # join the slices

``SUBMISSIONS`` holds one folder per student, ``<student>/<notebook>.ipynb``;
nbgrader's layout ``submitted/<student>/<assignment>/<notebook>.ipynb`` works
too (pass the folder that holds ``submitted/``, or ``submitted/`` itself).
A notebook is matched to its lesson by file name; the lessons graded are those
of ``--notebooks`` (default ``notebooks/*.ipynb``) that at least one student
submitted.

Each exercise (``scripts/exercises.py``) of each submitted notebook runs in a
fresh process of its own (``scripts/grade_runner.py``), inside a bubblewrap
sandbox with a seccomp filter (:func:`sandbox_command`): the top-level
statements of the student's notebook that its answer needs
(:func:`needed_code`; never a cell tagged ``demo``, never a check cell), the
answer cell, then the instructor's check cells (so an edited check still
checks). The runner fingerprints NumPy, course_lib and the checks before the
student's code runs and reports any change as tampering. Timeouts: per cell
(``--timeout``) and per notebook (``--notebook-timeout``, all its exercises).

The status of every exercise (one function decides: :func:`classify`):

* ``pass``: every check cell printed "All checks passed";
* ``fail``: a check rejected the answer (``ExerciseError``; the message is the
  check's), or tampering was detected;
* ``error``: not answered yet (the answer still raises NotImplementedError),
  the answer or the check raised something else (a NameError, ...), the
  exercise's process died, or the notebook could not be read: not valid JSON,
  too large;
* ``timeout``: the answer, a cell it needs or the check did not finish in
  time, or the notebook's time ran out before this exercise;
* ``missing``: the answer or check cell is gone (deleted, its id changed), or
  the student did not submit the notebook.

Writes ``build/grades/grades.csv`` (``student,notebook,exercise,status,points,
max_points,message``, one row per student, notebook and exercise; the exercise
is its answer cell's id), ``build/grades/<student>/feedback.html``, the
notebooks with the outputs the grader saw, ``build/grades/<student>/<notebook>.ipynb``,
``summary.txt`` (also printed: per exercise how many students got each status)
and ``results.json`` (for ``--merge``). A submission that breaks, hangs or
floods its output is recorded and the next one is graded.

Where no sandbox can be had (no ``bwrap``, or it cannot create namespaces),
grading stops before it starts and says so; ``--no-sandbox`` grades anyway,
without isolation. The README's "Security model" says what the tests show.
"""

from __future__ import annotations

import argparse
import ast
import copy
import csv
import html
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import symtable
import sys
import tempfile
import threading
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


# --- the sandbox -------------------------------------------------------------------------------

RUNNER = Path(__file__).resolve().parent / "grade_runner.py"
#: what of the runner a student's code can reach (sys.stdout, the hooks), a module of its own
EXPOSED = RUNNER.parent / "grade_exposed.py"
#: the course's files a check needs: its code and data (never notebooks/, tests/, build/, ...)
COURSE_PATHS = ("course_lib", "data")
#: where the sandbox's throwaway working folder is (a tmpfs, gone with the sandbox)
SANDBOX_HOME = "/tmp/work"
#: how many system calls a sandboxed exercise may make to start a process: none (seccomp)
SECCOMP_X86_64 = (
    # (code, jt, jf, k): a classic-BPF program for seccomp(2), checked by its tests
    (0x20, 0, 0, 4),            # 0: A = arch
    (0x15, 0, 8, 0xC000003E),   # 1: not x86_64 -> allow (only used on x86_64)
    (0x20, 0, 0, 0),            # 2: A = syscall number
    (0x35, 7, 0, 0x40000000),   # 3: x32 ABI -> EPERM
    (0x15, 7, 0, 435),          # 4: clone3 -> ENOSYS (the C library falls back to clone)
    (0x15, 5, 0, 57),           # 5: fork -> EPERM
    (0x15, 4, 0, 58),           # 6: vfork -> EPERM
    (0x15, 0, 2, 56),           # 7: not clone -> allow
    (0x20, 0, 0, 16),           # 8: A = clone's flags (low 32 bits)
    (0x45, 0, 1, 0x00010000),   # 9: CLONE_THREAD (a thread: BLAS) -> allow, else EPERM
    (0x06, 0, 0, 0x7FFF0000),   # 10: allow
    (0x06, 0, 0, 0x00050001),   # 11: EPERM
    (0x06, 0, 0, 0x00050026),   # 12: ENOSYS
)


class SandboxError(RuntimeError):
    """No sandbox can be had on this machine (no bubblewrap, no user namespaces)."""


def _bind(path: Path | str, mode: str = "--ro-bind") -> list[str]:
    return [mode, str(path), str(path)]


def sandbox_command() -> list[str]:
    """bubblewrap's arguments: an empty root with read-only Python, the venv and the course code.

    Visible: /usr (and its /bin, /lib links), Python's install, the venv, the
    course's ``course_lib/`` and ``data/`` and the runner's two scripts, all
    read-only; a fresh /dev and a tmpfs /tmp, the only writable place, thrown
    away with the sandbox. Not visible: /proc (through /proc/self/mem a process
    can rewrite its own memory, checks and all), the rest of the repository
    (``notebooks/`` with the solutions, ``tests/``, ``build/``), the
    submissions, the home folder, /etc. New namespaces for everything (user,
    PID, network: only its own loopback, IPC, UTS, cgroup); no capabilities;
    uid 65534; killed with its parent; a new session (no terminal injection).
    """
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxError("bubblewrap (bwrap) is not installed: `apt-get install bubblewrap` "
                           "(Debian/Ubuntu) or `dnf install bubblewrap`")
    command = [bwrap, "--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib32", "lib64", "sbin"):
        link = Path("/") / name
        if link.is_symlink():
            command += ["--symlink", os.readlink(link), str(link)]
        elif link.is_dir():
            command += _bind(link)
    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(sys.prefix),
             Path(sys.executable).resolve().parent.parent, RUNNER, EXPOSED}
    paths |= {REPO / name for name in COURSE_PATHS}
    for path in sorted(paths, key=lambda p: len(p.parts)):
        if path.exists() and not any(parent in paths for parent in path.parents):
            command += _bind(path)
    command += ["--dev", "/dev", "--tmpfs", "/tmp", "--dir", SANDBOX_HOME,
                "--chdir", SANDBOX_HOME, "--unshare-all", "--unshare-user", "--uid", "65534",
                "--gid", "65534", "--cap-drop", "ALL", "--die-with-parent", "--new-session",
                "--hostname", "grading", "--clearenv", "--setenv", "HOME", SANDBOX_HOME,
                "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "MPLBACKEND", "Agg",
                "--setenv", "OMP_NUM_THREADS", "1", "--setenv", "OPENBLAS_NUM_THREADS", "1"]
    return command


def seccomp_program() -> bytes | None:
    """The seccomp filter (no fork, vfork or clone of a process) as bytes; None off x86_64."""
    import platform
    import struct

    if platform.machine() != "x86_64":
        return None
    return b"".join(struct.pack("<HBBI", *op) for op in SECCOMP_X86_64)


def probe_sandbox() -> str | None:
    """None when a sandboxed Python runs here, else why not (shown before grading starts)."""
    try:
        command = sandbox_command()
    except SandboxError as err:
        return str(err)
    result = subprocess.run(command + [sys.executable, "-I", "-c", "import course_lib.checks"],
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        return (f"bubblewrap is installed but cannot start a sandbox here (user namespaces "
                f"disabled? a container without them?): {result.stderr.strip()[-500:]}")
    return None


def _limits(memory_mb: int, cpu_seconds: int):
    """preexec_fn: the sandbox's rlimits (memory, CPU time, file size, open files)."""
    def apply():
        import resource

        if memory_mb:
            resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 2**20,) * 2)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (200 * 2**20,) * 2)
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    return apply


# --- which of the student's cells an exercise needs -------------------------------------------

def _python(source: str) -> str:
    """The cell as Python (IPython's %magics and !commands become calls)."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 left as it is: running it reports the error
        return source


STAR_IMPORT = re.compile(r"^\s*from\s+\S+\s+import\s+\*", re.MULTILINE)


def names_of(source: str) -> tuple[set[str], set[str], bool]:
    """What a cell binds at top level, the globals it reads anywhere, whether it star-imports."""
    try:
        table = symtable.symtable(source, "<cell>", "exec")
    except (SyntaxError, ValueError):
        return set(), set(), False
    bound = {s.get_name() for s in table.get_symbols()
             if s.is_assigned() or s.is_imported() or s.is_namespace()}
    used: set[str] = set()

    def walk(scope, top: bool) -> None:
        for symbol in scope.get_symbols():
            if symbol.is_referenced() and (top or symbol.is_global()):
                used.add(symbol.get_name())
        for child in scope.get_children():
            walk(child, False)

    walk(table, True)
    return bound, used, bool(STAR_IMPORT.search(source))


def statements(cell) -> list[tuple[str, set[str], set[str], bool]]:
    """A code cell's top-level statements: (source, names bound, globals read, star import).

    Statements sharing a line stay together; a cell that does not parse is one unit.
    """
    source = _python(cell.source)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return [(source, *names_of(source))]
    lines = source.splitlines(keepends=True)
    spans: list[list[int]] = []
    for node in tree.body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        if spans and first <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], node.end_lineno)
        else:
            spans.append([first, node.end_lineno])
    units = []
    for first, last in spans:
        text = "".join(lines[first - 1:last])
        units.append((text, *names_of(text)))
    return units


def needed_code(cells: list, answer_index: int, extra: set[str]) -> list[tuple[object, str]]:
    """The statements above ``cells[answer_index]`` that bind what it (and ``extra``) reads.

    ``cells`` are the runnable code cells in notebook order (demo and check cells
    left out). Top-level statements are the unit: of an import cell only the
    imports the answer uses run, of a cell that trains a model nothing unless
    the answer reads one of its names. A name is taken from the last statement
    above its reader that binds it (and, as a function reads its globals when called, the
    last one above the answer), transitively; a star import is always kept.
    Returns ``(cell, its statements joined)`` in notebook order.
    """
    units = [(i, *unit) for i in range(answer_index) for unit in statements(cells[i])]
    keep = {k for k, unit in enumerate(units) if unit[4]}
    used = names_of(_python(cells[answer_index].source))[1] | extra
    work = [(name, len(units)) for name in used]
    seen = set()
    while work:
        name, before = work.pop()
        if (name, before) in seen:
            continue
        seen.add((name, before))
        for k in range(before - 1, -1, -1):
            if name in units[k][2]:
                if k not in keep:
                    keep.add(k)
                    # read at its top level: bound above it; read in a function body: bound
                    # anywhere above the answer (a function reads its globals when called)
                    work += [(other, at) for other in units[k][3] for at in (k, len(units))]
                break
    chosen: dict[int, list[str]] = {}
    for k in sorted(keep):
        chosen.setdefault(units[k][0], []).append(units[k][1])
    return [(cells[i], "".join(parts)) for i, parts in chosen.items()]


# --- running one exercise --------------------------------------------------------------------

def run_exercise(cells: list, checks: list, options: argparse.Namespace,
                 seconds: float) -> dict:
    """Run ``cells`` ((cell, source) pairs) then ``checks`` in a fresh sandboxed process.

    It may take ``seconds`` at most.

    Returns the runner's record (``cells``, ``checks``, ``tampered``) plus
    ``killed`` (None, or why the process was stopped) and ``records``, how many
    verdict lines came back (the runner writes exactly one).
    """
    nonce = secrets.token_hex(16)  # the verdict must carry it: the student's code never sees it
    job = {"cells": [{"id": c.id, "source": source} for c, source in cells],
           "checks": [{"id": c.id, "source": c.source} for c in checks],
           "timeout": options.timeout, "nonce": nonce}
    read_end, write_end = os.pipe()
    fds = [write_end]
    command = [sys.executable, "-I", "-B", str(RUNNER), str(write_end)]
    filter_file = None
    workdir = None
    if options.sandbox:
        prefix = sandbox_command()
        program = seccomp_program()
        if program is not None:
            filter_file = tempfile.TemporaryFile()
            filter_file.write(program)
            filter_file.seek(0)
            fds.append(filter_file.fileno())
            prefix += ["--seccomp", str(filter_file.fileno())]
        command = prefix + command
        cwd = None
    else:
        workdir = tempfile.TemporaryDirectory(prefix="grade-")
        cwd = workdir.name
    killed = None
    try:
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, pass_fds=fds, cwd=cwd, start_new_session=True,
            preexec_fn=_limits(options.memory_mb, int(seconds) + 10),
            env=None if options.sandbox else {**os.environ, "HOME": cwd})
        os.close(write_end)
        chunks: list[bytes] = []
        reader = threading.Thread(target=lambda: chunks.extend(iter(
            lambda: os.read(read_end, 1 << 16), b"")), daemon=True)
        reader.start()
        try:
            _, stderr = process.communicate(json.dumps(job).encode(), timeout=seconds)
        except subprocess.TimeoutExpired:
            killed = "time"
            _, stderr = _kill(process)
        reader.join(timeout=10)
        if not options.sandbox:  # best effort: whatever the student left in the session
            _kill(process)
    finally:
        os.close(read_end)
        if filter_file is not None:
            filter_file.close()
        if workdir is not None:
            workdir.cleanup()
    lines = [line for line in b"".join(chunks).decode("utf-8", "replace").splitlines() if line]
    record: dict = {"cells": {}, "checks": {}, "tampered": None}
    if len(lines) == 1:
        try:
            record = json.loads(lines[0])
        except ValueError:  # the student's bytes and the runner's verdict on one line
            record["tampered"] = "the verdict was garbled (something else wrote to its pipe)"
        else:
            if not isinstance(record, dict) or record.pop("nonce", None) != nonce:
                record = {"cells": {}, "checks": {}, "tampered": "a verdict that is not the "
                          "grader's was written to its pipe"}
            elif process.returncode != 0 and killed is None:
                record["tampered"] = (f"the process stopped with exit status "
                                      f"{process.returncode} after its verdict")
    if killed is None and not lines:
        last = (stderr or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        killed = (f"the process running it stopped (exit status {process.returncode}"
                  f"{': ' + _clip(last[0], 200) if last[0] else ''}; out of memory? the CPU "
                  f"time limit? os.abort()?)")
    record.update(killed=killed, records=len(lines), returncode=process.returncode)
    return record


def _kill(process: subprocess.Popen):
    """Kill the sandbox and everything in its session (its PID namespace dies with it)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return process.communicate()


#: what a check prints, or raises, for an exercise not answered yet (its answer still raises
#: NotImplementedError); see classify
def classify(answer_error: dict | None, check: dict | None, check_id: str) -> tuple[str, str]:
    """The status and message of one check cell as it ran (the one place that decides).

    ``answer_error``: what the answer cell raised (``{ename, evalue}``) or None;
    ``check``: the check cell's ``{stdout, error}`` (None: it never ran).
    An answer still raising NotImplementedError is ``error`` "not answered yet",
    whether the check raises it or reports the exercise as open.
    """
    answer_name = (answer_error or {}).get("ename", "")
    error = (check or {}).get("error")
    stdout = (check or {}).get("stdout", "")
    if error is None and PASSED in stdout and not is_open(stdout):
        return "pass", PASSED
    if error is not None and error["ename"] == EXERCISE_ERROR:
        return "fail", _clip(error["evalue"])
    if is_open(stdout) or answer_name == "NotImplementedError" or (
            error is not None and error["ename"] == "NotImplementedError"):
        return "error", NOT_ANSWERED
    if error is not None and error["ename"] == "CellTimeout":
        return "timeout", _clip(error["evalue"])
    if error is not None and answer_name:
        return "error", _clip(f"your answer cell raised {answer_name}: "
                              f"{answer_error['evalue']}; then the check raised "
                              f"{error['ename']}: {error['evalue']}")
    if error is not None:
        return "error", _clip(f"the check raised {error['ename']}: {error['evalue']}")
    return "error", f"the check cell {check_id!r} ran but did not print '{PASSED}'"


def is_open(stdout: str) -> bool:
    """Whether a check's output says the exercise is still open (not answered yet)."""
    return OPEN.lower() in stdout.lower()


def grade_exercise(e: Exercise, record: dict, options: argparse.Namespace) -> tuple[str, str]:
    """An exercise's status and message from its runner record."""
    if record.get("tampered") or record["records"] > 1:
        what = record.get("tampered") or "more than one verdict was written"
        return "fail", _clip(f"tampering detected: {what}. The grader checks your answer with "
                             f"the course's own checks, NumPy and Python as they are; an answer "
                             f"that changes them gets no points.")
    answer = record["cells"].get(e.answer_id, {})
    if (answer.get("error") or {}).get("ename") == "CellTimeout":
        return "timeout", (f"cell {e.answer_id!r} did not finish within {options.timeout} s "
                           f"and was interrupted (an endless loop? a far too slow one?)")
    for name, cell in record["cells"].items():
        if (cell.get("error") or {}).get("ename") == "CellTimeout":
            return "timeout", (f"cell {name!r}, which this exercise needs, did not finish "
                               f"within {options.timeout} s")
    if record["killed"] == "time":
        return "timeout", (f"the answer or check did not finish within {options.timeout} s "
                           f"and ignored the interrupt")
    if record["killed"]:
        return "error", _clip(f"the check never finished: {record['killed']}")
    needed = [(name, cell["error"]) for name, cell in record["cells"].items()
              if name != e.answer_id and cell.get("error")]
    for check_id in e.check_ids:
        status, message = classify(answer.get("error"), record["checks"].get(check_id), check_id)
        if status == "error" and message != NOT_ANSWERED and needed:
            name, err = needed[0]
            message = _clip(f"{message} (cell {name!r}, which your answer needs, raised "
                            f"{err['ename']}: {err['evalue']})")
        if status != "pass":
            return status, message
    return "pass", PASSED


def prepare(submission, instructor, exercises: list[Exercise]):
    """``{answer_id: message}`` for the exercises whose cells are gone from ``submission``."""
    ids = {cell.get("id") for cell in submission.cells}
    missing = {}
    for e in exercises:
        gone = [("answer cell", e.answer_id)] if e.answer_id not in ids else []
        gone += [("check cell", c) for c in e.check_ids if c not in ids]
        if gone:
            what = ", ".join(f"the {kind} (id {cell_id!r})" for kind, cell_id in gone)
            missing[e.answer_id] = (f"{what} of exercise {e.number} ({e.name}) is not in the "
                                    f"notebook: it was deleted or its id changed. Start from a "
                                    f"fresh copy of the lesson and paste your answer in.")
    return missing


def demo_ids(instructor) -> set[str]:
    """Ids of the instructor notebook's cells tagged ``demo``: never run when grading."""
    return {c.id for c in instructor.cells if "demo" in c.metadata.get("tags", [])}


def _outputs(result: dict) -> list:
    outs = []
    for name in ("stdout", "stderr"):
        if result.get(name):
            outs.append(nbformat.v4.new_output("stream", name=name, text=result[name]))
    if result.get("error"):
        err = result["error"]
        outs.append(nbformat.v4.new_output("error", ename=err["ename"], evalue=err["evalue"],
                                           traceback=err.get("traceback", "").splitlines()))
    return outs


def run_one(instructor_path: Path, submission_path: Path, executed_path: Path | None,
            options: argparse.Namespace, progress=None) -> list[dict]:
    """Grade one submitted notebook; one ``{exercise, status, message}`` per exercise.

    Each exercise runs in a fresh sandboxed process (:func:`run_exercise`): the
    statements its answer needs (:func:`needed_code`; never a ``demo`` or check
    cell), its answer cell, then the instructor's check cells.
    """
    instructor = nbformat.read(instructor_path, as_version=4)
    exercises = find_exercises(instructor)
    size = submission_path.stat().st_size
    if size > options.max_mb * 10**6:
        return _same(exercises, "error", f"the notebook file is {size / 1e6:.1f} MB, more than "
                                         f"the {options.max_mb} MB allowed: clear its outputs "
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
    missing = prepare(submission, instructor, exercises)
    reference = {cell.id: cell for cell in instructor.cells}
    skip = demo_ids(instructor) | {c for e in exercises for c in e.check_ids}
    runnable = [c for c in submission.cells if c.cell_type == "code" and c.id not in skip]
    position = {c.id: i for i, c in enumerate(runnable)}
    deadline = time.monotonic() + options.notebook_timeout
    results, records = [], {}
    for e in exercises:
        if progress is not None:
            progress(e)
        if e.answer_id in missing:
            results.append({"exercise": e.answer_id, "status": "missing",
                            "message": missing[e.answer_id]})
            continue
        left = deadline - time.monotonic()
        if left < 1:
            results.append({"exercise": e.answer_id, "status": "timeout", "message": (
                f"the notebook used up its {options.notebook_timeout} s before this exercise's "
                f"check ran (a cell it needs is too slow or never ends)")})
            continue
        checks = [reference[c] for c in e.check_ids]
        extra = set().union(*(names_of(c.source)[1] for c in checks)) - {"checks"}
        index = position[e.answer_id]
        cells = needed_code(runnable, index, extra) + [(runnable[index],
                                                         _python(runnable[index].source))]
        seconds = min(left, options.timeout * (len(cells) + len(checks)) + 30)
        record = run_exercise(cells, checks, options, seconds)
        records[e.answer_id] = record
        status, message = grade_exercise(e, record, options)
        results.append({"exercise": e.answer_id, "status": status, "message": message})
    if executed_path is not None:
        ran = copy.deepcopy(submission)
        for cell in ran.cells:
            for record in records.values():
                result = record["cells"].get(cell.get("id")) or record["checks"].get(cell.get("id"))
                if result is not None and cell.cell_type == "code":
                    if cell.id in record["checks"]:
                        cell.source = reference[cell.id].source
                    cell.outputs = _outputs(result)
        executed_path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(ran, executed_path)
    return results


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


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` -> (K, N), 1 <= K <= N."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise ValueError(f"--shard must be K/N with 1 <= K <= N (e.g. 2/8), got {text!r}")
    return int(match.group(1)), int(match.group(2))


def _prepare_out(out: Path) -> None:
    if out.exists():
        if not (out / "grades.csv").is_file() and any(out.iterdir()):
            raise ValueError(f"--out {str(out)!r} is a folder without grades.csv: refusing to "
                             f"replace it")
        shutil.rmtree(out)
    out.mkdir(parents=True)


def grade_class(submissions: Path, instructor_paths: list[Path], out: Path,
                options: argparse.Namespace) -> list[Result]:
    """Grade every student's notebooks (or a shard's); write grades.csv, feedback and summary."""
    from tqdm.auto import tqdm

    lessons = {p.name: p for p in instructor_paths}
    exercises = {name: find_exercises(nbformat.read(path, as_version=4))
                 for name, path in lessons.items()}
    found, strays = find_submissions(submissions, list(lessons))
    # the lessons graded are those anyone in the class handed in, in every shard alike
    graded = [name for name in lessons if exercises[name]
              and any(name in files for files in found.values())]
    shard, shards = parse_shard(options.shard) if options.shard else (1, 1)
    students = list(found)[shard - 1::shards]
    _prepare_out(out)

    jobs = [(student, name) for student in students for name in graded if name in found[student]]
    timings: dict[tuple[str, str], float] = {}
    left = Counter(student for student, _ in jobs)
    lock = threading.Lock()
    notebooks_bar = tqdm(total=len(jobs), desc="notebooks", unit="notebook", position=0)
    students_bar = tqdm(total=len(students), desc="students ", unit="student", position=1)
    students_bar.update(sum(1 for s in students if not left[s]))

    def run(job):
        student, name = job
        start = time.monotonic()

        def progress(e: Exercise) -> None:
            with lock:
                notebooks_bar.set_postfix_str(f"{student}/{name} exercise {e.number}",
                                              refresh=True)

        try:
            rows = run_one(lessons[name], found[student][name], out / student / name, options,
                           progress)
        except Exception as err:  # noqa: BLE001 one notebook's trouble is not the class's
            rows = _same(exercises[name], "error", f"the notebook could not be graded "
                                                   f"({type(err).__name__}: {_clip(err, 300)})")
        with lock:
            timings[job] = time.monotonic() - start
            notebooks_bar.update()
            left[student] -= 1
            if not left[student]:
                students_bar.update()
        return job, rows

    graded_rows: dict[tuple[str, str], list[dict]] = {}
    with ThreadPoolExecutor(max_workers=options.jobs) as pool:
        for job, rows in pool.map(run, jobs):
            graded_rows[job] = rows
    notebooks_bar.close()
    students_bar.close()

    results = []
    for student in students:
        for name in graded:
            rows = graded_rows.get((student, name)) or _same(
                exercises[name], "missing", f"{name} was not submitted")
            by_id = {row["exercise"]: row for row in rows}
            for e in exercises[name]:
                row = by_id.get(e.answer_id, {"status": "error", "message": "not graded"})
                results.append(Result(student, name, e.answer_id, row["status"],
                                      e.points if row["status"] == "pass" else 0.0, e.points,
                                      _clip(row["message"]), e.number, e.name))
    spent = {f"{student}/{name}": seconds for (student, name), seconds in timings.items()}
    write_outputs(out, students, graded, results, spent, [str(p) for p in strays],
                  f"shard {shard}/{shards}" if shards > 1 else None)
    return results


def write_outputs(out: Path, students: list[str], graded: list[str], results: list[Result],
                  timings: dict[str, float], strays: list[str], shard: str | None) -> None:
    """grades.csv, the feedback pages, summary.txt, and results.json (what --merge reads)."""
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for r in results:
            row = asdict(r)
            row["points"], row["max_points"] = _fmt(r.points), _fmt(r.max_points)
            writer.writerow(row)
    for student in students:
        (out / student).mkdir(exist_ok=True)
        (out / student / "feedback.html").write_text(
            feedback_html(student, [r for r in results if r.student == student], graded),
            encoding="utf-8")
    table = summary(results, len(students))
    if shard:
        table = f"{shard}: " + table
    if timings:
        table += (f"\n{len(timings)} notebooks graded in {sum(timings.values()):.0f} s "
                  f"(slowest {max(timings.values()):.0f} s); per student:")
        for student in students:
            spent = [t for key, t in timings.items() if key.split("/")[0] == student]
            table += f"\n  {student}: {len(spent)} notebooks in {sum(spent):.0f} s"
    for path in strays:
        table += f"\nnot graded (no lesson of that name): {path}"
    (out / "summary.txt").write_text(table + "\n", encoding="utf-8")
    (out / "results.json").write_text(json.dumps({
        "students": students, "graded": graded, "results": [asdict(r) for r in results],
        "timings": timings, "strays": strays}, indent=1), encoding="utf-8")
    print(table)
    print(f"wrote {out / 'grades.csv'} and {len(students)} feedback pages "
          f"({out}/<student>/feedback.html)")


def merge(parts: list[Path], out: Path) -> list[Result]:
    """Join the outputs of ``--shard`` runs into one grades.csv, feedback pages and summary."""
    loaded = []
    for part in parts:
        path = part / "results.json"
        if not path.is_file():
            raise ValueError(f"{str(part)!r} holds no results.json: not the --out of a grade.py "
                             f"run")
        loaded.append(json.loads(path.read_text(encoding="utf-8")))
    graded = loaded[0]["graded"]
    if any(part["graded"] != graded for part in loaded):
        raise ValueError("the shards graded different lessons: run them on the same "
                         "SUBMISSIONS and --notebooks")
    owner: dict[str, Path] = {}
    for part, data in zip(parts, loaded):
        for student in data["students"]:
            if student in owner:
                raise ValueError(f"student {student!r} is in two shards ({owner[student]} and "
                                 f"{part}): merge each shard once")
            owner[student] = part
    students = sorted(owner)
    order = {student: i for i, student in enumerate(students)}
    results = sorted((Result(**row) for data in loaded for row in data["results"]),
                     key=lambda r: order[r.student])  # stable: each student's rows keep order
    _prepare_out(out)
    for student, part in owner.items():
        if (part / student).is_dir():
            shutil.copytree(part / student, out / student)
    timings = {key: t for data in loaded for key, t in data["timings"].items()}
    strays = sorted({path for data in loaded for path in data["strays"]})
    write_outputs(out, students, graded, results, timings, strays, None)
    return results


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path, nargs="?",
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
    parser.add_argument("--memory-mb", type=int, default=0 if sys.platform != "linux" else 4096,
                        help="address space of each exercise's process, in MB (4096 on Linux; "
                             "0: no limit): a runaway allocation raises MemoryError there")
    parser.add_argument("--shard", metavar="K/N",
                        help="grade only the K-th of N slices of the class (students K, K+N, "
                             "... in name order); join the slices with --merge")
    parser.add_argument("--merge", type=Path, nargs="+", metavar="SHARD_OUT",
                        help="join the --out folders of --shard runs into --out (runs nothing)")
    parser.add_argument("--no-sandbox", dest="sandbox", action="store_false",
                        help="run the students' code without bubblewrap (NOT isolated: only "
                             "where no sandbox can be had, for code you trust)")
    options = parser.parse_args(argv)
    if options.memory_mb < 0:
        parser.error(f"--memory-mb must be 0 (no limit) or more, got {options.memory_mb}")
    for name in ("timeout", "notebook_timeout", "jobs", "max_mb"):
        if getattr(options, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got "
                         f"{getattr(options, name)}")
    if options.merge:
        try:
            merge(options.merge, options.out)
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        return 0
    if options.submissions is None:
        parser.error("SUBMISSIONS is required (or --merge SHARD_OUT ...)")
    try:
        if options.shard:
            parse_shard(options.shard)
    except ValueError as err:
        parser.error(str(err))
    if options.sandbox:
        problem = probe_sandbox()
        if problem:
            print("\n" + "!" * 78 + "\n"
                  f"make grade: NO SANDBOX: {problem}\n"
                  "The students' code would run with your rights: your files, the network.\n"
                  "Install bubblewrap (`apt-get install bubblewrap`), or, for code you trust,\n"
                  "grade without isolation: make grade ... GRADE_ARGS=--no-sandbox\n"
                  + "!" * 78, file=sys.stderr)
            return 3
    else:
        print("\n" + "!" * 78 + "\nmake grade --no-sandbox: the students' code runs WITHOUT "
              "isolation,\nwith your rights (your files, the network). Only for code you "
              "trust.\n" + "!" * 78, file=sys.stderr)
    try:
        grade_class(options.submissions, options.notebooks, options.out, options)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
