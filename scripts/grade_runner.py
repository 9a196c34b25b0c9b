"""Run ONE exercise's check on a student's code, in a fresh process (started by grade.py).

``grade.py`` starts this script once per exercise, inside the sandbox
(bubblewrap: no network, the course read-only, nothing else of the machine's
files), with the job as JSON on stdin::

    {"cells": [{"id": ..., "source": ...}, ...],   # the student's cells the answer needs,
                                                    # then the answer cell, in notebook order
     "checks": [{"id": ..., "source": ...}, ...],   # the instructor's check cells
     "timeout": 600,                                # seconds per cell
     "nonce": "..."}                                # a secret: the verdict carries it

and writes ONE JSON line to the file descriptor given as its argument (a pipe
that grade.py reads): each cell's stdout, stderr and error, ``tampered``
(``None``, or what was found changed) and the nonce. grade.py's ``classify``
turns that into a status; a line without the nonce (the student's) or more
than one line is tampering.

Why a process per exercise: a check's verdict must not depend on anything the
student's code can replace. Four walls, each tested in ``tests/test_grade.py``:

1. **A fingerprint.** numpy, course_lib and course_lib.checks are imported
   *before* any student code runs, and every loaded module is fingerprinted
   (each global's identity, each Python function's code and defaults, each
   course, NumPy and builtins class's attributes, the content of the course's
   tables and arrays, Python's import system); what the job's checks refer to
   (scikit-learn's metrics) is imported first, so it is fingerprinted too. It
   is compared after the
   student's cells, by the profile hook each time the student's code returns
   to other code and each time the checks' code calls anything, and after the
   check: any difference (``np.allclose`` replaced, ``compare_arrays.__code__``
   swapped, ``builtins.len`` patched) makes the exercise ``fail`` with
   "tampering detected".
2. **An audit hook** (PEP 578; it cannot be removed) refuses, whoever asks:
   ctypes, the garbage collector's object lists, ``sys.settrace``, a second
   audit hook, forging code objects (``code.__new__``, ``marshal.loads``,
   ``compile`` under a course file's name), changing a course function's code,
   processes, threads, sockets and signals to other processes; and
   ``sys.setprofile`` from anything but this runner and the pristine checks
   (their delegation tracer). While any of the student's code is on the stack,
   it refuses every way to a frame object (``sys._getframe``, a traceback's
   ``tb_frame``, a generator's ``gi_frame``, ...); otherwise it lets only this
   runner and ``course_lib.checks.common`` (its pristine code objects, with
   their own globals) take frames, so a student's callable handed to the
   check's code cannot fetch one either. Frames are how one would reach this
   runner's state; signal handlers get one too, so ``signal.signal`` is taken
   away (SIGALRM is this runner's).
3. **Nothing of the runner within reach.** The objects a student's code can
   touch (``sys.stdout``, the SIGALRM handler, the profile hook,
   ``get_ipython``) come from ``grade_exposed.py``, a module that holds
   nothing the verdict depends on. The profile hook is a bound method of a
   generator whose state lives in its own frame; ``sys.modules["__main__"]``
   is the student's namespace, not this module. The verdict depends only on
   what this runner sees itself: whether a check cell raised (an open
   exercise raises while grading, see ``common.GRADING``), the fingerprint,
   the hook still installed and alive.
4. **The nonce.** The verdict line carries a secret read from stdin before
   any student code ran, and is written by this module's own JSON writer (the
   json module's insides could be the student's); ``os._exit`` and
   ``os.abort`` are taken away; grade.py accepts one line with the nonce from a
   process that exited normally.
"""

from __future__ import annotations

import _signal
import builtins
import importlib
import importlib.machinery
import importlib.util
import io
import json
import operator
import os
import pkgutil
import re
import signal
import sys
import sysconfig
import traceback
import types

# This module's own builtins: a private copy, so that a student's `builtins.len = ...` does not
# change how the runner compares fingerprints and writes its verdict.
__builtins__ = dict(vars(builtins))
FunctionType, ModuleType, MethodType, IS = (types.FunctionType, types.ModuleType,
                                            types.MethodType, operator.is_)

RUNNER_FILE = os.path.abspath(__file__)
EXPOSED_FILE = os.path.join(os.path.dirname(RUNNER_FILE), "grade_exposed.py")
STUDENT = "<student cell "  # the file name of the student's code (compile), to tell its frames
CHECK = "<check cell "
IMPORTLIB = "<frozen importlib"
MISSING = object()

#: audit events refused whoever raises them, a library's import included, and counted as
#: tampering: each gets around the fingerprint or reaches into the interpreter (a C function
#: the student planted where a library calls it on import must not add an audit hook: it
#: would be handed every frame the checks take). marshal.load has its own rule (importlib)
TAMPER_EVENTS = ("gc.get_objects", "gc.get_referrers", "gc.get_referents",
                 "sys._current_frames", "sys.settrace", "code.__new__", "marshal.load",
                 "sys.addaudithook")
#: refused as tampering too, but a library may use ctypes while it is imported (threadpoolctl)
CTYPES_EVENTS = "ctypes."
#: audit events refused without calling it tampering: processes, threads, network, signals
BLOCKED_EVENTS = ("os.fork", "os.forkpty", "os.exec", "os.posix_spawn", "os.spawn",
                  "os.system", "subprocess.Popen", "_thread.start_new_thread", "os.kill",
                  "os.killpg", "signal.pthread_kill", "socket.connect", "socket.bind",
                  "socket.sendto", "socket.sendmsg", "os.setuid", "os.chroot")
#: audit events that hand out a frame (or a generator's code, to forge one with)
FRAME_EVENTS = ("sys._getframe", "sys._getframemodulename")
FRAME_ATTRIBUTES = {"tb_frame", "gi_frame", "cr_frame", "ag_frame", "gi_code", "cr_code",
                    "ag_code"}
#: modules the student's code may not import (a library's own import of them is fine)
REFUSED_IMPORTS = ("ctypes", "_ctypes", "cffi")
#: the path importer cache's own kind of finder (importlib adds them as folders are imported)
FILE_FINDER = importlib.machinery.FileFinder
#: how a check cell calls a check (its references are imported up front)
CHECK_NAME = re.compile(r"\bchecks\.(check_\w+)")
#: the standard library's modules the checks compute with: watched at every step
WATCHED_STDLIB = ("math", "operator", "functools", "contextlib", "io", "os", "types",
                  "inspect", "traceback", "importlib", "collections", "copy")
#: modules not fingerprinted: they change by design while code runs
VOLATILE_MODULES = {"sys", "linecache", "warnings", "tokenize", "codecs",
                    "encodings", "abc", "_abc", "threading", "random", "typing", "__main__",
                    "__mp_main__"}  # (multiprocessing's name for the student's __main__)
#: the packages whose classes' attributes are fingerprinted too (others, e.g. tqdm, set class
#: attributes as they run)
CLASSES_WATCHED = ("course_lib", "numpy", "builtins", "grade_exposed")
#: module globals that change by design
VOLATILE_NAMES = {"__warningregistry__", "_", "__", "___", "__loader__", "__spec__",
                  "__cached__", "__builtins__"}
#: course_lib modules not imported up front: slow (scikit-learn, matplotlib) and not used by checks
NOT_PRELOADED = {"course_lib.data", "course_lib.plots"}


class SandboxRefusal(RuntimeError, PermissionError):
    """What the audit hook raises. A RuntimeError too, because a refused ``sys.addaudithook``
    is only refused when the hook raises a RuntimeError."""


def import_course() -> types.ModuleType:
    """numpy, course_lib's modules and course_lib.checks, imported before student code."""
    import numpy  # noqa: F401
    import numpy.linalg  # noqa: F401

    import course_lib
    for info in pkgutil.walk_packages(course_lib.__path__, "course_lib."):
        if info.name not in NOT_PRELOADED:
            importlib.import_module(info.name)
    return importlib.import_module("course_lib.checks")


def import_exposed() -> types.ModuleType:
    """``grade_exposed.py``, registered as a module (so that it is fingerprinted too)."""
    spec = importlib.util.spec_from_file_location("grade_exposed", EXPOSED_FILE)
    module = importlib.util.module_from_spec(spec)
    sys.modules["grade_exposed"] = module
    spec.loader.exec_module(module)
    return module


def trusted_prefixes() -> tuple[str, ...]:
    """Where the code of Python, the course's packages, the checks and this runner lives."""
    import course_lib
    return (sys.base_prefix, sys.prefix, os.path.dirname(course_lib.__file__), CHECK, "<frozen ",
            RUNNER_FILE, EXPOSED_FILE)


def _code_of(value) -> tuple:
    """What of a Python function the student could swap without replacing the function."""
    return (value.__code__, value.__defaults__, value.__kwdefaults__)


def fingerprint() -> dict:
    """``{module name: (module, its globals, {name: code of function}, {class: its dict})}``.

    Holding the objects themselves (not their ids) keeps an id from being reused.
    """
    snap = {}
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] in VOLATILE_MODULES:
            continue
        space = getattr(module, "__dict__", None)
        if not isinstance(space, dict):
            continue
        space = dict(space)
        functions, classes = {}, {}
        for key, value in space.items():
            if isinstance(value, FunctionType):
                functions[key] = _code_of(value)
            elif (isinstance(value, type) and value.__module__ == name
                  and name.split(".")[0] in CLASSES_WATCHED):
                members = dict(vars(value))
                classes[key] = (members, {k: _code_of(v) for k, v in members.items()
                                          if isinstance(v, FunctionType)})
        snap[name] = (module, space, functions, classes)
    return snap


def _same(a, b) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def changes(snap: dict, modules: dict) -> list[str]:
    """What differs from the fingerprint ``snap`` (empty when nothing does)."""
    found = []
    for name, (module, space, functions, classes) in snap.items():
        if modules.get(name, MISSING) is not module:
            found.append(f"sys.modules[{name!r}] was replaced or removed")
            continue
        now = module.__dict__
        for key, value in space.items():
            if (key not in VOLATILE_NAMES and "cache" not in key.lower()
                    and now.get(key, MISSING) is not value):
                found.append(f"{name}.{key} was replaced or deleted")
        for key in now.keys() - space.keys():
            # a submodule imported later appears in its package: that is not tampering
            if (key not in VOLATILE_NAMES and "cache" not in key.lower()
                    and not isinstance(now[key], ModuleType)):
                found.append(f"{name}.{key} was added")
        for key, code in functions.items():
            if not _same(_code_of(space[key]), code):
                found.append(f"the code of {name}.{key} was changed")
        for key, (members, codes) in classes.items():
            cls = space[key]
            current = vars(cls)
            for attr, value in members.items():
                if attr not in ("__doc__",) and current.get(attr, MISSING) is not value:
                    found.append(f"{name}.{key}.{attr} was replaced or deleted")
            for attr in current.keys() - members.keys():
                if not attr.startswith("_abc_") and attr not in ("__slotnames__", "_one"):
                    found.append(f"{name}.{key}.{attr} was added")
            for attr, code in codes.items():
                if not _same(_code_of(members[attr]), code):
                    found.append(f"the code of {name}.{key}.{attr} was changed")
        if len(found) > 5:
            break
    return found


def _is_array(value) -> bool:
    kind = type(value)
    return kind.__name__ == "ndarray" and kind.__module__ == "numpy"


def constants(snap: dict) -> list[tuple]:
    """What course_lib's tables and arrays hold (the checks' cases, tolerances, reference
    inputs), for :func:`constants_changed`: a student's code that changes one in place
    (``common.TOLERANCES[8] = (1, 1)``) leaves the module's globals as they were.

    One entry per list, dict or array held by a course module or class, or nested in one:
    ``(name, container, its items' identities)``, or ``(name, array, its bytes)``.
    """
    entries, seen = [], set()

    def visit(label: str, value, depth: int) -> None:
        if id(value) in seen or depth > 5:
            return
        kind = type(value)
        if kind is list or kind is tuple:
            seen.add(id(value))
            if kind is list:
                entries.append((label, value, tuple(value)))
            for item in value:
                visit(f"{label}[...]", item, depth + 1)
        elif kind is dict:
            seen.add(id(value))
            entries.append((label, value, tuple(value.keys()) + tuple(value.values())))
            for item in value.values():
                visit(f"{label}[...]", item, depth + 1)
        elif _is_array(value):
            seen.add(id(value))
            entries.append((label, value, value.tobytes()))

    for name, (_, space, _, classes) in snap.items():
        if name.split(".")[0] == "course_lib":
            for key, value in space.items():
                visit(f"{name}.{key}", value, 0)
            for cls, (members, _) in classes.items():
                for key, value in members.items():
                    visit(f"{name}.{cls}.{key}", value, 0)
    return entries


def constants_changed(entries: list[tuple]) -> list[str]:
    """The tables and arrays of :func:`constants` no longer as they were (fast: C compares)."""
    changed = []
    for label, value, held in entries:
        if _is_array(value):
            same = value.tobytes() == held
        elif type(value) is dict:
            same = len(value) * 2 == len(held) and all(map(
                IS, (*value.keys(), *value.values()), held))
        else:
            same = len(value) == len(held) and all(map(IS, value, held))
        if not same:
            changed.append(f"{label} was changed in place")
    return changed


def preload_references(checks: types.ModuleType, cells: list[dict]) -> None:
    """Import, before any student code, what the checks of ``cells`` refer to and would import
    later (scikit-learn's metrics for lesson 05): so that it is fingerprinted too, and a
    student's code cannot be the first to import it and patch it."""
    for cell in cells:
        for name in CHECK_NAME.findall(cell["source"]):
            check = getattr(checks, name, None)
            for reference in (*getattr(check, "__references__", ()),
                              *getattr(check, "__tools__", ())):
                checks.common._resolve(reference)  # imports a dotted name's module


def import_state() -> tuple:
    """Python's import system as it is: ``sys.meta_path``, ``sys.path_hooks`` and ``sys.path``
    (the lists and their items) and the path importer cache."""
    lists = tuple((name, getattr(sys, name), tuple(getattr(sys, name)))
                  for name in ("meta_path", "path_hooks", "path"))
    return lists, sys.path_importer_cache, dict(sys.path_importer_cache)


def import_changed(state: tuple) -> list[str]:
    """What of :func:`import_state` a student's code changed: a finder, a path entry or a cached
    importer of its own would hand a check's import a module of the student's. (The cache may
    gain importlib's own finders for folders imported from since.)"""
    lists, cache, held = state
    found = [f"sys.{name} was changed" for name, now, items in lists
             if getattr(sys, name, None) is not now or len(now) != len(items)
             or not all(map(IS, now, items))]
    if sys.path_importer_cache is not cache or any(
            held.get(key, MISSING) is not value and not (
                value is None or type(value) is FILE_FINDER)
            for key, value in list(cache.items())):
        found.append("sys.path_importer_cache was changed")
    return found


def quick_view(snap: dict) -> list[tuple[dict, int, tuple]]:
    """For :func:`unchanged`: each module's globals dict, its size and its values in order."""
    return [(module.__dict__, len(space), tuple(space.values()))
            for module, space, _, _ in snap.values()]


def unchanged(view: list[tuple[dict, int, tuple]]) -> bool:
    """Whether every module of ``view`` still holds the very same globals (fast: C loops).

    A replaced value breaks the identity; an added or deleted one the size.
    """
    return all(len(now) == size and all(map(IS, now.values(), values))
               for now, size, values in view)


#: JSON's escapes for a string's characters (str.translate: nothing a student could replace)
JSON_ESCAPES = {**{code: f"\\u{code:04x}" for code in range(32)},
                ord('"'): '\\"', ord("\\"): "\\\\"}


def to_json(value) -> str:
    """The verdict (dicts, lists, text, None) as JSON, written without the json module: a
    student's code may have changed that module's insides, and must not get to see the
    verdict (the encoder is handed the whole record)."""
    kind = type(value)
    if value is None:
        return "null"
    if issubclass(kind, str):
        return '"' + str.__str__(value).translate(JSON_ESCAPES) + '"'
    if kind is dict:
        return "{" + ", ".join(to_json(str(key)) + ": " + to_json(item)
                               for key, item in value.items()) + "}"
    if kind in (list, tuple):
        return "[" + ", ".join(to_json(item) for item in value) + "]"
    return '"(not text)"'


def codes_of(module: types.ModuleType) -> set:
    """Every code object of ``module``'s own functions and classes (nested ones and their
    wrapped originals too), by identity."""
    found, todo = set(), []
    for value in vars(module).values():
        members = vars(value).values() if isinstance(value, type) else (value,)
        for member in members:
            member = getattr(member, "__func__", member)  # static and class methods
            while isinstance(member, FunctionType):
                todo.append(member.__code__)
                member = getattr(member, "__wrapped__", None)
    while todo:
        code = todo.pop()
        if code.co_filename == module.__file__ and code not in found:
            found.add(code)
            todo.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return found


def _error(err: BaseException) -> dict:
    lines = traceback.format_exception(type(err), err, err.__traceback__)
    # keep the student's frames (and the check's), not this runner's
    keep = [line for line in lines if STUDENT in line or CHECK in line
            or not line.startswith("  File ")]
    return {"ename": type(err).__name__, "evalue": str(err)[:2000],
            "traceback": "".join(keep)[-4000:]}


def student_on_stack(frame, trusted: tuple[str, ...]) -> bool:
    """Whether any frame from ``frame`` down runs the student's code (any code not from
    Python, the packages, the checks or this runner: the student's cells, what they
    compiled or exec'd)."""
    while frame is not None:
        if not frame.f_code.co_filename.startswith(trusted):
            return True
        frame = frame.f_back
    return False


def library_import(frame, libraries: tuple[str, ...]) -> bool:
    """Whether ``frame`` runs a library module's own code while it is imported (the events it
    raises, threadpoolctl's ctypes, enum's frames, are the library's, not the student's)."""
    while frame is not None and frame.f_code.co_filename.startswith(IMPORTLIB):
        frame = frame.f_back
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(IMPORTLIB):
            return True
        if not name.startswith(libraries):
            return False
        frame = frame.f_back
    return False


def pristine_caller(frame, stdlib: str, pristine: dict) -> bool:
    """Whether the first frame from ``frame`` down that is not Python's standard library
    (traceback, contextlib, ...) runs one of the ``pristine`` code objects with that code's own
    module globals: this runner or the checks' common module, not a forged copy."""
    while frame is not None and frame.f_code.co_filename.startswith(stdlib):
        frame = frame.f_back
    return frame is not None and pristine.get(frame.f_code, MISSING) is frame.f_globals


def watch(view: list, snap: dict, table: list, imports: tuple, modules: dict, tamper: list,
          trusted: tuple[str, ...], checked: set[int]):
    """The profile hook's logic and state, as a generator: its state is in its own frame,
    which the student's code cannot reach (``gi_frame`` is refused).

    Each event ``(frame, event, arg)`` sent in: when the student's code returns to other
    code, when the checks' code calls a Python function, and when it calls a C function
    (``checked``: the ids of the checks' modules' globals), the modules must be as
    fingerprinted, and (except before a C function, to keep that cheap) the course's
    tables and arrays as they were. A difference is recorded in ``tamper``; the check runs
    on, unwatched (the verdict is ``fail`` already).
    """
    while True:
        frame, event, arg = yield
        if tamper:
            continue
        if event == "return":
            back = frame.f_back
            if (back is None or frame.f_code.co_filename.startswith(trusted)
                    or not back.f_code.co_filename.startswith(trusted)):
                continue
        elif event not in ("call", "c_call") or id(frame.f_globals) not in checked:
            continue  # (f_globals, unlike f_code, raises no audit event: cheap)
        if event != "c_call":
            tamper.extend(constants_changed(table) + import_changed(imports))
        if unchanged(view):
            continue
        found = changes(snap, modules)
        if found:
            tamper.extend(found)
        else:  # a submodule imported, a warning registered: the new state is the baseline
            view[:] = [(now, len(now), tuple(now.values())) for now, _, _ in view]


def main(argv: list[str]) -> None:
    out_fd = int(argv[0])
    write, exit_ = os.write, os._exit  # kept here: taken out of os and posix below
    # kept here too: the student's code may set attributes of the sys module
    getframe, getprofile, setprofile = sys._getframe, sys.getprofile, sys.setprofile
    set_signal, alarm, modules = signal.signal, signal.alarm, sys.modules
    job = json.loads(sys.stdin.read())
    sys.stdin = io.StringIO()
    nonce = job.pop("nonce", None)
    exposed = import_exposed()
    checks = import_course()
    common = modules["course_lib.checks.common"]
    common.GRADING = True  # an open exercise's check raises (see common.exercise_check)
    # the runner's frames (its refusals) are not the student's code, for the checks' messages
    common._LIBRARIES = (*common._LIBRARIES, os.path.dirname(RUNNER_FILE))
    stdout, stderr = exposed.Capture(), exposed.Capture()
    take_out, take_err = stdout.take, stderr.take  # bound now: a patched Capture.take is moot
    sys.stdout = sys.stderr = None  # replaced below; keeps print() of imports away from the pipe
    sys.stdout, sys.stderr = stdout, stderr
    set_signal(signal.SIGALRM, exposed.on_alarm)
    import posix
    # a signal handler is called with a frame: only the runner's SIGALRM handler may be set
    for module, names in ((os, ("_exit", "abort")), (posix, ("_exit", "abort")),
                          (signal, ("signal",)), (_signal, ("signal",))):
        for name in names:
            if hasattr(module, name):
                delattr(module, name)

    runner_codes = codes_of(modules[__name__])  # before __main__ is the student's
    # the student's namespace is a module of its own, and `import __main__` gives it
    student_main = ModuleType("__main__")
    namespace = student_main.__dict__
    namespace.update(__builtins__=builtins, get_ipython=exposed.NoIPython)
    modules["__main__"] = student_main

    record = {"cells": {}, "checks": {}, "tampered": None, "nonce": nonce}
    tamper: list[str] = []
    trusted = trusted_prefixes()
    libraries = trusted[:3]  # Python's and the venv's files, course_lib's
    stdlib = sysconfig.get_paths()["stdlib"]
    checked = {id(module.__dict__) for name, module in modules.items()
               if name.startswith("course_lib.checks")}
    preload_references(checks, job["checks"])
    snap = fingerprint()
    # every module loaded now, but the standard library's (checked after each cell and at the
    # end): what the checks compute with, scikit-learn's metrics included
    watched = {name: entry for name, entry in snap.items()
               if not getattr(entry[0], "__file__", None)
               or not str(entry[0].__file__).startswith(stdlib)
               or name.split(".")[0] in WATCHED_STDLIB}
    view = quick_view(watched)
    table = constants(snap)
    imports = import_state()
    protected = {
        id(value) for _, space, _, _ in snap.values() for value in space.values()
        if isinstance(value, type)}
    protected_functions = {  # the functions of every module loaded before the student's code
        id(value) for _, space, _, _ in snap.values() for value in space.values()
        if isinstance(value, FunctionType)} | {
        id(value) for _, _, _, classes in snap.values() for members, _ in classes.values()
        for value in members.values() if isinstance(value, FunctionType)}
    runner_globals = main.__globals__
    common_codes = codes_of(common)
    #: code objects allowed to take frames and set the profile hook, each with its own globals
    pristine = {code: runner_globals for code in runner_codes}
    pristine.update({code: common.__dict__ for code in common_codes})
    busy = [False]
    last_pyc = [""]  # the compiled file importlib opened last: what its marshal.loads reads

    def refuse(what: str, *, tampering: bool) -> None:
        if tampering:
            tamper.append(what)
        raise SandboxRefusal(f"grading sandbox: {what} is not allowed")

    def course_file(path: object) -> bool:
        """Whether ``path`` really lies in Python's, the venv's or course_lib's folders."""
        return os.path.realpath(str(path)).startswith(libraries)

    def audit(event: str, args: tuple) -> None:
        if event == "object.__getattr__" and args[1] not in FRAME_ATTRIBUTES:
            return  # the most frequent event by far (every frame.f_code): first, and fast
        if busy[0]:  # the hook's own frame walks raise events too
            return
        if event == "open":
            if isinstance(args[0], str) and args[0].endswith(".pyc"):
                last_pyc[0] = args[0]
            return
        frame_attribute = event == "object.__getattr__"  # (only frame attributes get here)
        if not (frame_attribute or event.startswith(FRAME_EVENTS) or event in (
                "sys.setprofile", "compile", "import", "object.__setattr__")
                or event.startswith((*TAMPER_EVENTS, CTYPES_EVENTS, *BLOCKED_EVENTS))):
            return
        busy[0] = True
        try:
            decide(event, args, frame_attribute, getframe(1))
        finally:
            busy[0] = False

    def decide(event: str, args: tuple, frame_attribute: bool, frame) -> None:
        if frame.f_globals is runner_globals:
            return  # this runner's own doing (its tracebacks)
        by_importlib = frame.f_code.co_filename.startswith(IMPORTLIB)
        # Code objects carry the file name that tells the student's frames from the course's:
        # only Python's import system may make them, and only from the course's own files.
        if event.startswith("marshal.load"):
            if not (by_importlib and course_file(last_pyc[0])):
                refuse("loading code objects (marshal) outside the course's files",
                       tampering=True)
            return
        if event == "compile":
            if (len(args) > 1 and str(args[1]).startswith(trusted)
                    and not (by_importlib and course_file(args[1]))):
                refuse(f"compiling code that claims to be {args[1]!r}", tampering=True)
            return
        if event == "import" and len(args) > 1 and args[1] is not None:
            if not course_file(args[1]):  # a compiled extension module: native code
                refuse(f"loading the compiled module {args[1]!r}", tampering=True)
        if event == "sys.setprofile":
            if not (pristine_caller(frame, stdlib, pristine)
                    and not student_on_stack(frame, trusted)):
                refuse("setting the profile hook (sys.setprofile)", tampering=True)
            return
        if event.startswith(TAMPER_EVENTS):
            refuse(f"the audit event {event!r}", tampering=True)
        if library_import(frame, libraries):
            return  # a library module's own code while it is imported (enum's frames, ctypes)
        if event.startswith(CTYPES_EVENTS):
            refuse(f"the audit event {event!r}", tampering=True)
        if event.startswith(BLOCKED_EVENTS):
            refuse(event, tampering=False)
        if frame_attribute or event.startswith(FRAME_EVENTS):
            what = args[1] if frame_attribute else event
            if student_on_stack(frame, trusted):
                refuse(f"taking a frame ({what}) in an answer", tampering=False)
            if not pristine_caller(frame, stdlib, pristine):
                refuse(f"taking a frame ({what}) from code the student handed over",
                       tampering=False)
            return
        if event == "import":
            if args and str(args[0]).split(".")[0] in REFUSED_IMPORTS:
                refuse(f"importing {args[0]!r}", tampering=True)
            return
        if event == "object.__setattr__" and args and (
                id(args[0]) in protected or (
                    (id(args[0]) in protected_functions
                     or (isinstance(args[0], FunctionType) and args[0].__code__ in common_codes))
                    and str(args[1]) in ("__code__", "__defaults__", "__kwdefaults__"))):
            refuse(f"setting {args[1]!r} of {args[0]!r} (the course's classes and functions)",
                   tampering=True)

    # compiled before the audit hook: their file name is a trusted one
    check_code = {cell["id"]: compile(cell["source"], f"{CHECK}{cell['id']}>", "exec")
                  for cell in job["checks"]}
    watcher = watch(view, watched, table, imports, modules, tamper, trusted, checked)
    next(watcher)
    hook = MethodType(exposed.profile_hook, watcher)
    sys.addaudithook(audit)

    def tampering() -> list[str]:
        """Everything found changed so far, and now."""
        return (tamper + changes(snap, modules) + constants_changed(table)
                + import_changed(imports))

    def finish(found: list[str]) -> None:
        if found:
            record["tampered"] = "; ".join(list(dict.fromkeys(found))[:5])
        write(out_fd, (to_json(record) + "\n").encode())
        exit_(0)

    def run(body, *, watched: bool = False) -> dict:
        """One cell (``body()`` runs it): its stdout, stderr and error. A check cell runs
        ``watched``, under the profile hook, which must still be in place at its end."""
        result = {"stdout": "", "stderr": "", "error": None}
        alarm(int(job["timeout"]))
        if watched:
            setprofile(hook)
        try:
            body()
        except BaseException as err:  # noqa: BLE001 the student's errors are reported, not raised
            result["error"] = _error(err)
        finally:
            if watched:
                installed = getprofile()
                setprofile(None)
                # (a check that raised is no pass anyway; and the cell's timeout, SIGALRM,
                # may strike while the hook runs, which stops it: a timeout, not tampering)
                if (installed is not hook or watcher.gi_frame is None) and not result["error"]:
                    tamper.append("the grader's profile hook was replaced, removed or stopped")
            alarm(0)
            result["stdout"], result["stderr"] = take_out(), take_err()
        return result

    for cell in job["cells"]:
        record["cells"][cell["id"]] = run(lambda: exec(
            compile(cell["source"], f"{STUDENT}{cell['id']}>", "exec"), namespace))
    found = tampering()
    if found:
        finish(found)

    # the check cells run in a namespace of their own: the student's code, called by a check,
    # cannot rebind `checks` (or anything else) under the check cell's feet
    check_namespace = dict(namespace, checks=checks)
    for cell in job["checks"]:
        result = run(lambda: exec(check_code[cell["id"]], check_namespace), watched=True)
        record["checks"][cell["id"]] = result
        found = tampering()
        if found or result["error"]:
            break
    finish(found)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except BaseException:  # a bug of the runner, not the student's: say where, on the real stderr
        traceback.print_exc(file=sys.__stderr__)
        sys.__stderr__.flush()
        raise SystemExit(70) from None
