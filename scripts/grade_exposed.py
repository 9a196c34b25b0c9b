"""The grading runner's objects that a student's code can reach, kept out of the runner's module.

``grade_runner.py`` hands these to the interpreter while a student's code runs:
``sys.stdout``/``sys.stderr`` (:class:`Capture`), the SIGALRM handler
(:func:`on_alarm`), the profile hook (:func:`profile_hook`, bound to a
generator) and ``get_ipython`` (:class:`NoIPython`). Whatever a student's code
can reach, it can also read the module globals of (a function's
``__globals__``): so these live here, in a module that holds nothing the
verdict depends on, and the runner's own functions stay out of reach.
"""

from __future__ import annotations

import io


class CellTimeout(BaseException):
    """A cell ran past its time (raised by SIGALRM; a BaseException so ``except Exception``
    in the student's code does not swallow it)."""


def on_alarm(signum, frame):
    """The SIGALRM handler: the cell running now has used up its time."""
    raise CellTimeout("the cell did not finish within its time")


class Capture(io.TextIOBase):
    """sys.stdout / sys.stderr for the whole run (one object, so their identity never changes):
    it writes into the buffer of the cell running now. What a check prints only informs
    the student: the verdict comes from whether the check raised, which the runner sees itself."""

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


def profile_hook(watcher, frame, event, arg):
    """The profile function, as ``types.MethodType(profile_hook, watcher)``: each event goes to
    the runner's watcher, a generator whose state is in its own frame (out of the student's
    reach). It uses no globals and no closure, so there is nothing here to swap."""
    return watcher.send((frame, event, arg))


class NoIPython:
    """``get_ipython()`` for cells with %magics (IPython turns them into calls): does nothing."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None

    def __new__(cls):  # get_ipython() returns the one instance
        if not hasattr(cls, "_one"):
            cls._one = object.__new__(cls)
        return cls._one
