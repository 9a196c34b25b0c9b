"""One simulated student's answer to one exercise, and what its check must say about it."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("correct", "wrong", "delegates")


@dataclass(frozen=True)
class Answer:
    """An answer cell as a student might write it.

    Parameters
    ----------
    exercise : str
        The exercise, as the lesson names it (``"MySigmoid"``).
    slip : str
        What this answer does, in a few words (``"derivative from the input"``;
        for a correct answer, its style: ``"np.exp with a mask"``).
    kind : {"correct", "wrong", "delegates"}
        ``correct``: the check prints PASSED and nothing else. ``wrong``: it
        raises ExerciseError whose message contains every string of ``names``.
        ``delegates``: the answer calls or inherits course_lib's own
        implementation of the piece; ExerciseError containing every string of
        ``names`` (words that tell the student to write it themselves).
    source : str
        The answer cell's code.
    check : str
        The check cell's code, e.g. ``"checks.check_sigmoid(MySigmoid)"``.
    names : tuple of str
        Words the message must contain (case-insensitive) to name the slip.
    named : bool
        False when the message is right to reject the answer but does not name
        the slip (``names`` then holds what it does say). The whole class may
        have at most 5 of these.
    """

    exercise: str
    slip: str
    kind: str
    source: str
    check: str
    names: tuple[str, ...] = ()
    named: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind != "correct" and not self.names:
            raise ValueError(f"{self.exercise} / {self.slip}: a {self.kind} answer needs the "
                             f"words its message must contain (names=...)")
