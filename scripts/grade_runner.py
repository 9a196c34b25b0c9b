"""Run ONE exercise's check on a student's code, in a fresh process (started by grade.py).

``grade.py`` starts this script once per exercise, inside the sandbox
(bubblewrap: no network, the course read-only, nothing else of the machine's
files), with the job as JSON on stdin::

    {"cells": [{"id": ..., "source": ...}, ...],   # the student's cells the answer needs,
                                                    # then the answer cell, in notebook order
     "checks": [{"id": ..., "source": ...}, ...],   # the instructor's check cells
     "timeout": 600}                                # seconds per cell

and writes ONE JSON line to the file descriptor given as its argument (a pipe
that grade.py reads): each cell's stdout, stderr and error, and ``tampered``
(``None``, or what was found changed). grade.py's ``classify`` turns that into
a status.

Why a process per exercise: a check's verdict must not depend on anything the
student's code can replace. So numpy, course_lib and course_lib.checks are
imported *before* any student code runs, and a fingerprint is taken of every
loaded module (each global's identity, each Python function's code and
defaults, each Python class's attributes). The fingerprint is compared after
the student's cells, every time the student's code returns to the check (a
profile hook), and after the check: any difference (``np.allclose`` replaced,
``checks.common.compare_arrays.__code__`` swapped, ``builtins.len`` patched,
a constant of the checks edited) makes the exercise ``fail`` with "tampering
detected". An audit hook (PEP 578, which cannot be removed once added) blocks
what would get around that: ctypes, the garbage collector's object lists,
replacing the profile hook, starting processes or threads, sockets, killing
processes; ``os._exit`` is taken away so that the student's code cannot
write a verdict of its own and leave before the check.

One program other than the runner may set a profile function while grading:
the checks' delegation tracer (``course_lib.checks.common.refuse_delegation``,
which refuses answers that call course_lib's own implementation). The audit
hook lets ``sys.setprofile`` through only when the frame calling it runs one of
the code objects of the pristine ``course_lib/checks/common.py`` (taken by
identity before any student code runs: a code object cannot be forged, and
``compile`` under a course file's name and ``code.__new__`` are refused) with
that module's own globals, and only while those globals are as fingerprinted.
The tracer chains to the profile function installed before it (the runner's
``boundary``) and puts it back when it leaves, so the tamper check keeps
running under it; after each check cell, the runner's hook must be the one
installed again, or the run counts as tampered.
"""

from __future__ import annotations

import builtins
import importlib
import io
import json
import operator
import os
import pkgutil
import signal
import sys
import traceback
import types

# This module's own builtins: a private copy, so that a student's `builtins.len = ...` does not
# change how the runner compares fingerprints and writes its verdict.
__builtins__ = dict(vars(builtins))
FunctionType, ModuleType, IS = types.FunctionType, types.ModuleType, operator.is_

STUDENT = "<student cell "  # the file name of the student's code (compile), to tell its frames
CHECK = "<check cell "
IMPORTLIB = "<frozen importlib"
MISSING = object()

#: audit events the student's code may not raise: each is an attempt to get around the checks
TAMPER_EVENTS = ("ctypes.", "gc.get_objects", "gc.get_referrers", "gc.get_referents",
                 "sys.setprofile", "sys.settrace", "sys._current_frames", "code.__new__")
#: audit events refused without calling it tampering: processes, threads, network, signals
BLOCKED_EVENTS = ("os.fork", "os.forkpty", "os.exec", "os.posix_spawn", "os.spawn",
                  "os.system", "subprocess.Popen", "_thread.start_new_thread", "os.kill",
                  "os.killpg", "signal.pthread_kill", "socket.connect", "socket.bind",
                  "socket.sendto", "socket.sendmsg", "os.setuid", "os.chroot")
#: modules not fingerprinted: they change by design while code runs
VOLATILE_MODULES = {"sys", "linecache", "warnings", "tokenize", "codecs",
                    "encodings", "abc", "_abc", "threading", "random", "typing"}
#: the packages whose classes' attributes are fingerprinted too (others, e.g. tqdm, set class
#: attributes as they run)
CLASSES_WATCHED = ("course_lib", "numpy", "builtins")
#: module globals that change by design
VOLATILE_NAMES = {"__warningregistry__", "_", "__", "___", "__loader__", "__spec__",
                  "__cached__", "__builtins__"}


class CellTimeout(BaseException):
    """A cell ran past its time (raised by SIGALRM; a BaseException so ``except Exception``
    in the student's code does not swallow it)."""


class Capture(io.TextIOBase):
    """sys.stdout / sys.stderr for the whole run (one object, so their identity never changes):
    it writes into the buffer of the cell running now."""

    def __init__(self):
        self.buffer_ = io.StringIO()

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        if self.buffer_.tell() < 2_000_000:  # an output flood is cut, not kept
            self.buffer_.write(text)
        return len(text)

    def take(self) -> str:
        text, self.buffer_ = self.buffer_.getvalue(), io.StringIO()
        return text


#: course_lib modules not imported up front: slow (scikit-learn, matplotlib) and not used by checks
NOT_PRELOADED = {"course_lib.data", "course_lib.plots"}


def import_course() -> types.ModuleType:
    """numpy, course_lib's modules and course_lib.checks, imported before student code."""
    import numpy  # noqa: F401
    import numpy.linalg  # noqa: F401

    import course_lib
    for info in pkgutil.walk_packages(course_lib.__path__, "course_lib."):
        if info.name not in NOT_PRELOADED:
            importlib.import_module(info.name)
    return importlib.import_module("course_lib.checks")


def trusted_prefixes() -> tuple[str, ...]:
    """Where the code of Python, the course's packages and the checks lives."""
    import course_lib
    return (sys.base_prefix, sys.prefix, os.path.dirname(course_lib.__file__), CHECK, "<frozen ")


def _code_of(value) -> tuple:
    """What of a Python function the student could swap without replacing the function."""
    return (value.__code__, value.__defaults__, value.__kwdefaults__)


def fingerprint(names=None) -> dict:
    """``{module name: (module, its globals, {name: code of function}, {class: its dict})}``.

    Holding the objects themselves (not their ids) keeps an id from being reused.
    """
    snap = {}
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] in VOLATILE_MODULES:
            continue
        if names is not None and name not in names:
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


def changes(snap: dict) -> list[str]:
    """What differs from the fingerprint ``snap`` (empty when nothing does)."""
    found = []
    for name, (module, space, functions, classes) in snap.items():
        if sys.modules.get(name, module) is not module:
            found.append(f"sys.modules[{name!r}] was replaced")
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
                if not attr.startswith("_abc_") and attr != "__slotnames__":
                    found.append(f"{name}.{key}.{attr} was added")
            for attr, code in codes.items():
                if not _same(_code_of(members[attr]), code):
                    found.append(f"the code of {name}.{key}.{attr} was changed")
        if len(found) > 5:
            break
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


def repair(snap: dict) -> None:
    """Put every fingerprinted module back as it was (before writing the verdict of a tampered
    run with json and friends)."""
    for module, space, functions, _ in snap.values():
        now = module.__dict__
        for key in [key for key in now if key not in space
                    and not isinstance(now[key], ModuleType)]:
            del now[key]
        now.update(space)
        for key, (code, defaults, kwdefaults) in functions.items():
            function = space[key]
            function.__code__, function.__defaults__ = code, defaults
            function.__kwdefaults__ = kwdefaults
    sys.modules.update({name: module for name, (module, _, _, _) in snap.items()})


def codes_of(module: types.ModuleType) -> set:
    """Every code object of ``module``'s own functions (nested ones and their wrapped originals
    too), by identity."""
    found, todo = set(), []
    for value in vars(module).values():
        while isinstance(value, FunctionType):
            todo.append(value.__code__)
            value = getattr(value, "__wrapped__", None)
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


def is_student(code, trusted: tuple[str, ...]) -> bool:
    """Whether ``code`` is the student's: anything not from Python, the packages or the check."""
    return not code.co_filename.startswith(trusted)


def main(argv: list[str]) -> None:
    out_fd = int(argv[0])
    write, exit_ = os.write, os._exit  # kept here: taken out of os and posix below
    # kept here too: the student's code may set attributes of the sys module (or of this one)
    _getframe, getprofile = sys._getframe, sys.getprofile
    dumps = json.dumps
    job = json.loads(sys.stdin.read())
    sys.stdin = io.StringIO()
    checks = import_course()
    stdout, stderr = Capture(), Capture()
    sys.stdout = sys.stderr = None  # replaced below; keeps print() of imports away from the pipe
    sys.stdout, sys.stderr = stdout, stderr
    import posix
    for module in (os, posix):
        for name in ("_exit", "abort"):
            if hasattr(module, name):
                delattr(module, name)

    record = {"cells": {}, "checks": {}, "tampered": None}

    def finish() -> None:
        state["student"] = False
        found = state["tamper"] + changes(snap)
        if found:
            record["tampered"] = "; ".join(found[:5])
            repair(snap)  # json, str, ... as they were: the verdict is written by the originals
        write(out_fd, (dumps(record) + "\n").encode())
        exit_(0)

    state = {"student": True, "tamper": []}

    def library_import() -> bool:
        """Whether a library's module is being imported (its module code runs): the events it
        raises (threadpoolctl's ctypes, ...) are its own, not the student's."""
        frame = _getframe(2)
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

    def audit(event: str, args: tuple) -> None:
        if not state["student"]:
            return
        if (event.startswith("ctypes.") or event == "import") and library_import():
            return
        if event == "sys.setprofile" and delegation_tracer(_getframe(1)):
            return
        if event.startswith(TAMPER_EVENTS):
            state["tamper"].append(f"the audit event {event!r} (not allowed while grading)")
            raise PermissionError(f"grading sandbox: {event} is not allowed")
        if event == "compile" and len(args) > 1 and str(args[1]).startswith(trusted) \
                and not sys._getframe(1).f_code.co_filename.startswith("<frozen importlib"):
            state["tamper"].append(f"compiling code that claims to be {args[1]!r}")
            raise PermissionError("grading sandbox: compile() with the name of a course file")
        if event == "object.__setattr__" and args and (
                id(args[0]) in protected or (
                    (id(args[0]) in protected_functions
                     or (isinstance(args[0], FunctionType) and args[0].__code__ in common_codes))
                    and str(args[1]) in ("__code__", "__defaults__", "__kwdefaults__"))):
            state["tamper"].append(f"setting {args[1]!r} of {args[0]!r}")
            raise PermissionError("grading sandbox: changing the course's classes or the code "
                                  "of a function is not allowed")
        if event.startswith(BLOCKED_EVENTS):
            raise PermissionError(f"grading sandbox: {event} is not allowed")
        if event == "import" and args and str(args[0]).split(".")[0] in ("ctypes", "_ctypes",
                                                                          "cffi", "posix"):
            state["tamper"].append(f"importing {args[0]!r}")
            raise PermissionError(f"grading sandbox: importing {args[0]} is not allowed")

    def on_alarm(signum, frame):
        raise CellTimeout(f"cell did not finish within {job['timeout']} s")

    signal.signal(signal.SIGALRM, on_alarm)
    trusted = trusted_prefixes()
    libraries = trusted[:3]  # Python's and the venv's files, course_lib's
    snap = fingerprint()
    watched = {name for name in snap if name.split(".")[0] in ("course_lib", "numpy", "builtins",
                                                              "math", "operator", "functools",
                                                              "contextlib", "io", "os")}
    watched_snap = {name: snap[name] for name in watched}
    view = quick_view(watched_snap)
    protected = {
        id(value) for _, space, _, _ in snap.values() for value in space.values()
        if isinstance(value, type)}
    protected_functions = {  # the functions of every module loaded before the student's code
        id(value) for _, space, _, _ in snap.values() for value in space.values()
        if isinstance(value, FunctionType)} | {
        id(value) for _, _, _, classes in snap.values() for members, _ in classes.values()
        for value in members.values() if isinstance(value, FunctionType)}
    common = sys.modules["course_lib.checks.common"]
    common_codes = codes_of(common)
    common_snap = {common.__name__: snap[common.__name__]}

    def delegation_tracer(frame) -> bool:
        """Whether ``frame`` is the pristine checks' delegation tracer (see the docstring)."""
        return (frame.f_code in common_codes and frame.f_globals is common.__dict__
                and not changes(common_snap))

    # compiled before the audit hook: their file name is a trusted one
    check_code = {cell["id"]: compile(cell["source"], f"{CHECK}{cell['id']}>", "exec")
                  for cell in job["checks"]}
    sys.addaudithook(audit)

    def tampered() -> bool:
        found = state["tamper"] + changes(snap)
        if found:
            record["tampered"] = "; ".join(found[:5])
        return bool(found)

    namespace = {"__name__": "__main__", "__builtins__": builtins, "get_ipython": _NoIPython}
    for cell in job["cells"]:
        result = {"stdout": "", "stderr": "", "error": None}
        record["cells"][cell["id"]] = result
        signal.alarm(int(job["timeout"]))
        try:
            exec(compile(cell["source"], f"{STUDENT}{cell['id']}>", "exec"), namespace)
        except BaseException as err:  # noqa: BLE001 the student's errors are reported, not raised
            result["error"] = _error(err)
        finally:
            signal.alarm(0)
            result["stdout"], result["stderr"] = stdout.take(), stderr.take()
    if tampered():
        finish()

    def boundary(frame, event, arg):
        """Each time the student's code returns to the check's, the check's world is as it was."""
        if (event == "return" and frame.f_back is not None and is_student(frame.f_code, trusted)
                and not is_student(frame.f_back.f_code, trusted)):
            if not unchanged(view):
                found = changes(watched_snap)
                if found:
                    state["tamper"].extend(found)
                    state["student"] = False  # Python unsets the hook that raises: let it
                    raise PermissionError("grading: tampering detected")
                # a submodule imported, a warning registered: the new state is the baseline
                view[:] = [(now, len(now), tuple(now.values())) for now, _, _ in view]

    namespace["checks"] = checks  # the pristine package, whatever the student named `checks`
    for cell in job["checks"]:
        result = {"stdout": "", "stderr": "", "error": None}
        record["checks"][cell["id"]] = result
        code = check_code[cell["id"]]
        signal.alarm(int(job["timeout"]))
        state["student"] = False
        sys.setprofile(boundary)
        state["student"] = True
        try:
            exec(code, namespace)
        except BaseException as err:  # noqa: BLE001
            result["error"] = _error(err)
        finally:
            state["student"] = False
            if getprofile() is not boundary and not result["error"]:
                state["tamper"].append("the grader's profile hook was replaced or removed")
            sys.setprofile(None)
            signal.alarm(0)
            state["student"] = True
            result["stdout"], result["stderr"] = stdout.take(), stderr.take()
        if tampered() or result["error"]:
            break
    finish()


class _NoIPython:
    """``get_ipython()`` for cells with %magics (IPython turns them into calls): does nothing."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None

    def __new__(cls):  # get_ipython() returns the one instance
        if not hasattr(cls, "_one"):
            cls._one = object.__new__(cls)
        return cls._one


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except BaseException:  # a bug of the runner, not the student's: say where, on the real stderr
        traceback.print_exc(file=sys.__stderr__)
        sys.__stderr__.flush()
        raise SystemExit(70) from None
