"""Outputs of executed notebooks as a reader should see them: progress bars and long text.

Used by scripts/build_slides.py (the decks) and scripts/render_html.py (the site).
The notebooks themselves are never changed.

**Progress bars.** With ipywidgets, an executed notebook stores a tqdm bar as one
``display_data`` output whose ``text/plain`` is the bar as it was first drawn,
``"epoch 1/3:   0%|          | 0/1000 [00:00<?, ?batch/s]"`` (later updates go to
the widget); scripts/execute_notebooks.py replaces that text with the bar's final
state, ``"epoch 1/3: 100%|██████████| 1000/1000 [00:04<00:00, 230.1batch/s]"``.
Either way, a slide of ten such lines says little. :func:`summarise_progress`
replaces the bars of one cell by a single line, ``progress bars: epoch 1/3 …
epoch 3/3 (1,000 batch each)``, at the place of the first bar. A plain tqdm
bar on stderr stores every redraw separated by carriage returns: there the
last redraw is the bar's final state, and that is what is kept.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import nbformat

# "epoch 1/3:   0%|          | 0/1000 [00:00<?, ?batch/s]", "100%|#####| 20/20 [00:01, 9.5it/s]"
# "epoch 1/3: 100%|██████████| 1000/1000 batch" (stored by scripts/execute_notebooks.py)
_BAR = re.compile(
    r"^\s*(?:(?P<desc>.*?):\s*)?(?P<pct>\d{1,3})%\|[^|\n]*\|\s*"
    r"(?P<n>[\d.]+[kMG]?)/(?P<total>[\d.]+[kMG]?)"
    r"(?:\s*\[(?P<stats>[^\]\n]*)\]|\s+(?P<unit>[A-Za-z]+))?\s*$")
# "loop: 0it [00:00, ?it/s]" (no total)
_COUNTER = re.compile(r"^\s*(?:(?P<desc>.*?):\s*)?(?P<n>\d+)(?P<unit>[A-Za-z]+)\s*"
                      r"\[(?P<stats>[^\]\n]*)\]\s*$")
_UNIT = re.compile(r"(?:\?|[\d.]+)(?P<unit>[A-Za-z]+)/s|s/(?P<unit2>[A-Za-z]+)")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PROGRESS_CLASS = "course-progress"


@dataclass
class Bar:
    """One tqdm bar as stored: its description, position, total and unit."""

    desc: str
    n: str
    total: str
    unit: str


def parse_bar(line: str) -> Bar | None:
    """The bar drawn on ``line``, or None if the line is not a tqdm bar."""
    match = _BAR.match(line) or _COUNTER.match(line)
    if not match:
        return None
    groups = match.groupdict()
    unit = groups.get("unit")
    if not unit:
        found = _UNIT.search(groups.get("stats") or "")
        unit = (found.group("unit") or found.group("unit2")) if found else "it"
    return Bar(desc=(groups.get("desc") or "").strip(), n=groups["n"],
               total=groups.get("total") or "", unit=unit)


def _bar_of_output(output) -> Bar | None:
    """The bar a display_data output shows (text/plain only, or with a widget view)."""
    if output.get("output_type") != "display_data":
        return None
    data = output.get("data", {})
    if "text/plain" not in data or not set(data) <= {"text/plain", WIDGET_VIEW}:
        return None
    lines = [line for line in data["text/plain"].splitlines() if line.strip()]
    return parse_bar(lines[0]) if len(lines) == 1 else None


def resolve_carriage_returns(text: str) -> str:
    """Each line as a terminal shows it after the last carriage return: a bar's final state."""
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def _final_stream_state(output):
    """A stderr stream of tqdm redraws reduced to the last redraw of each bar."""
    if output.get("output_type") != "stream" or "\r" not in output.get("text", ""):
        return output
    output = nbformat.from_dict(dict(output))
    output["text"] = resolve_carriage_returns(output["text"])
    return output


def _thousands(number: str) -> str:
    return f"{int(number):,}" if number.isdigit() else number


def progress_summary(bars: list[Bar]) -> str:
    """One line saying which progress bars ran, e.g. "progress bars: epoch 1/8 … epoch 8/8
    (1,719 batch each)"."""
    descs = [bar.desc for bar in bars if bar.desc]
    if len(descs) > 3:
        names = f"{descs[0]} … {descs[-1]}"
    else:
        names = ", ".join(descs)
    unit = bars[0].unit
    totals = sorted({bar.total for bar in bars if bar.total}, key=lambda t: (len(t), t))
    if not totals:
        size = ""
    elif len(totals) == 1:
        size = f"{_thousands(totals[0])} {unit}" + (" each" if len(bars) > 1 else "")
    else:
        size = ", ".join(_thousands(t) for t in totals) + f" {unit}"
    label = "progress bar" if len(bars) == 1 else f"{len(bars)} progress bars"
    text = f"{label}: {names}" if names else label
    return f"{text} ({size})" if size else text


def summary_output(bars: list[Bar]):
    """A display_data output holding :func:`progress_summary` as a quiet line of HTML."""
    text = progress_summary(bars)
    return nbformat.v4.new_output(
        "display_data",
        data={"text/html": f'<div class="{PROGRESS_CLASS}">{html.escape(text)}</div>',
              "text/plain": text})


def summarise_progress(outputs: list) -> list:
    """``outputs`` with their stored tqdm bars replaced by one summary line (see the module)."""
    kept, bars, first = [], [], None
    for output in outputs:
        bar = _bar_of_output(output)
        if bar is not None:
            bars.append(bar)
            if first is None:
                first = len(kept)
                kept.append(None)  # the summary goes here
            continue
        kept.append(_final_stream_state(output))
    if first is not None:
        kept[first] = summary_output(bars)
    return kept


def summarise_notebook_progress(nb):
    """Apply :func:`summarise_progress` to every code cell of ``nb`` (in place); return ``nb``."""
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.get("outputs"):
            cell.outputs = summarise_progress(cell.outputs)
    return nb
