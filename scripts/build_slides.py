"""Build a reveal.js slide deck from every course notebook, for offline lectures.

Usage:
    python scripts/build_slides.py notebooks build/slides
    python scripts/build_slides.py notebooks/00_getting_started.ipynb build/slides

Each notebook becomes ``OUT/NAME.slides.html`` (nbconvert's SlidesExporter,
template ``scripts/templates/course_reveal``, theme "white", images embedded).
The slides follow the notebooks' own slide metadata
(``cell.metadata.slideshow.slide_type``): "slide" for the title and each
section, "subslide" for a new idea within a section (reveal.js shows it
below: press the down arrow or space), "fragment" to reveal a cell on the same
slide, "skip" for setup cells, "-" to stay on the current slide. A code cell
and its plot are one cell, so they stay on one slide.

For the lecture hall the build also:

* loads reveal.js, require.js, jQuery and MathJax from ``OUT/_static/``,
  copied from ``node_modules/`` (``make vendor``), not from a CDN; pass
  ``--cdn`` to use nbconvert's CDN addresses instead (nothing is copied);
* leaves out what is not for the audience: the course setup cell (tag
  "course-setup", see scripts/setup_cell.py) and other "skip" cells, a slide
  that would hold only a "Setup" heading and text about those, cells that are
  only ``assert`` lines, exercise solutions (``### BEGIN SOLUTION``: the
  statement and its collapsed hint stay) and the check cells right after them,
  and ``# NBVAL_...`` marker lines;
* shows stored tqdm progress bars (their final state, or their first, ``0%|``) as one line
  saying which bars ran (scripts/output_filters.py), and cuts text outputs
  longer than ``--max-lines`` lines (default 12) to their first lines plus a
  note;
* ends every deck with a link to the next one (a last slide, unless the last
  slide already links there; after the last lesson, back to the first);
* puts "notes" cells (``slide_type: notes``) into reveal.js speaker notes
  (press ``S``);
* points links between notebooks (``href="01_x.ipynb"``) at the other decks;
* lays slides out for a projector (template ``course_reveal``): 1120x700
  slides scaled to the window, no prompts, code blocks that shrink to fit
  rather than being cut, a slide taller than the window scrolling inside it
  (decided after MathJax has typeset it), no automatic line breaks in
  formulas. ``scripts/browser_check.py`` measures the result in Chromium.

It prints one line per deck (slides and subslides counted) and warns about
slide metadata that is missing: no title slide, or no slide metadata at all.
Exits with status 1 if a notebook could not be converted.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_student  # noqa: E402
import offline_assets  # noqa: E402
import output_filters  # noqa: E402

SETUP_TAG = "course-setup"
NBVAL_MARKER = re.compile(r"^[ \t]*#[ \t]*NBVAL_[A-Z_]+[^\n]*\n?", re.MULTILINE)
NOTEBOOK_LINK = re.compile(r'href="([^":/?#]+)\.ipynb(#[^"]*)?"')
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
SETUP_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?:set-?up|imports?)\b", re.IGNORECASE | re.MULTILINE)
CHECK_CALL = re.compile(r"\bchecks\.check_\w+\(")
STARTS = ("slide", "subslide")
# reveal.js lays a slide out at this size and scales it to the window: 16:10, so at
# 1280x800 it fills the screen; at 16:9 (1920x1080) the height sets the scale.
SLIDE_WIDTH, SLIDE_HEIGHT = 1120, 700


def slide_type(cell) -> str:
    """The cell's reveal.js role: "slide", "subslide", "fragment", "skip", "notes" or "-"."""
    return cell.metadata.get("slideshow", {}).get("slide_type", "-")


def first_heading(nb, default: str) -> str:
    """The text of the first markdown heading in the notebook, else ``default``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = HEADING.search(cell.source)
            if match:
                return match.group(1)
    return default


def notebook_paths(sources) -> list[Path]:
    """The notebooks named, folders expanded to their ``*.ipynb`` in name order."""
    paths = []
    for src in map(Path, sources):
        paths.extend(sorted(src.glob("*.ipynb")) if src.is_dir() else [src])
    return paths


def _trim_text(text: str, max_lines: int) -> str:
    """``text`` cut to ``max_lines`` lines, the last one saying how many more there are."""
    lines = text.splitlines(keepends=True)
    if len(lines) <= max_lines:
        return text
    kept = lines[: max_lines - 1]
    if kept and not kept[-1].endswith("\n"):
        kept[-1] += "\n"
    return "".join(kept) + f"... ({len(lines) - len(kept)} more lines in the notebook)\n"


def is_solution_cell(cell) -> bool:
    """A cell holding an exercise's solution (``### BEGIN SOLUTION``)."""
    return any(make_student.BEGIN.match(line) for line in cell.source.splitlines())


is_assert_only = make_student.is_assert_only  # one definition: the student view collapses them


def check_cells_of_solutions(nb) -> set[int]:
    """Indices of the check cells (``checks.check_...``) that follow a solution cell.

    They run the solution above them and print "All checks passed": nothing for the
    audience while the solution is not on the slide.
    """
    checks, after_solution = set(), False
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            after_solution = False
        elif is_solution_cell(cell):
            after_solution = True
        elif after_solution and CHECK_CALL.search(cell.source):
            checks.add(index)
    return checks


def slide_groups(nb) -> list[list[int]]:
    """Cell indices grouped into slides: a group starts at each "slide" or "subslide" cell."""
    groups = []
    for index, cell in enumerate(nb.cells):
        if not groups or slide_type(cell) in STARTS:
            groups.append([])
        groups[-1].append(index)
    return groups


def setup_only_groups(nb, hidden: set[int]) -> set[int]:
    """Cells of slides that would show only a "Setup" (or "Imports") heading and text about
    the hidden setup cells below it."""
    dropped = set()
    for group in slide_groups(nb):
        shown = [i for i in group if i not in hidden]
        hidden_code = [i for i in group if i in hidden and nb.cells[i].cell_type == "code"]
        if (hidden_code and shown and all(nb.cells[i].cell_type == "markdown" for i in shown)
                and SETUP_HEADING.search(nb.cells[shown[0]].source)):
            dropped.update(group)
    return dropped


def drop_cells(nb, dropped: set[int]) -> None:
    """Remove the cells at ``dropped`` from ``nb``, keeping the slide starts they carried.

    A removed "slide" or "subslide" cell passes its start to the next kept cell of the
    same slide, so no empty slide is left and no slide runs into the one before it.
    """
    pending, kept = None, []
    for index, cell in enumerate(nb.cells):
        kind = slide_type(cell)
        if index in dropped:
            if kind in STARTS and (pending != "slide"):
                pending = kind
            continue
        if pending and kind not in STARTS and kind != "notes":
            cell.metadata.setdefault("slideshow", {})["slide_type"] = pending
            pending = None
        elif kind in STARTS:
            if pending == "slide" and kind == "subslide":
                cell.metadata["slideshow"]["slide_type"] = "slide"
            pending = None
        kept.append(cell)
    nb.cells = kept


def links_to(nb, cells, stem: str) -> bool:
    """Whether any of ``cells`` links to the notebook or deck ``stem``."""
    pattern = re.compile(re.escape(stem) + r"\.(?:ipynb|slides\.html)")
    return any(pattern.search(cell.source) for cell in cells if cell.cell_type == "markdown")


def next_deck(path: Path) -> tuple[str, str, bool] | None:
    """(stem, title, is_next) of the deck to go to after ``path``'s: the next notebook in
    its folder, or the first one (is_next False) after the last lesson."""
    siblings = sorted(Path(path).parent.glob("*.ipynb"))
    names = [p.name for p in siblings]
    if Path(path).name not in names or len(siblings) < 2:
        return None
    position = names.index(Path(path).name)
    target = siblings[(position + 1) % len(siblings)]
    title = first_heading(nbformat.read(target, as_version=4), target.stem)
    return target.stem, title, position + 1 < len(siblings)


def next_deck_cell(stem: str, title: str, is_next: bool):
    """A last slide linking to the next deck (or back to the first after the last lesson)."""
    words = "Next" if is_next else "That was the last lesson. Back to the start"
    cell = nbformat.v4.new_markdown_cell(f"## {words}: [{title}]({stem}.ipynb)")
    cell.metadata["slideshow"] = {"slide_type": "slide"}
    cell.metadata["tags"] = ["course-next-deck"]
    cell.id = "course-next-deck"
    return cell


def hidden_on_slides(nb) -> set[int]:
    """Indices of the cells the slides leave out (see :func:`prepare_for_slides`)."""
    hidden = set()
    for index, cell in enumerate(nb.cells):
        if (SETUP_TAG in cell.metadata.get("tags", []) or slide_type(cell) == "skip"
                or is_assert_only(cell) or (cell.cell_type == "code" and is_solution_cell(cell))):
            hidden.add(index)
    hidden |= check_cells_of_solutions(nb)
    return hidden | setup_only_groups(nb, hidden)


def prepare_for_slides(nb, max_lines: int = 12, next_deck_link: tuple | None = None):
    """A copy of ``nb`` ready for slides (the notebook itself is not changed).

    Left out: the course setup cell (tag "course-setup") and other "skip" cells, a slide
    that would hold only a "Setup" heading and text about those, cells that are only
    ``assert`` lines, exercise solutions (``### BEGIN SOLUTION``; the statement and its
    collapsed hint stay) and the check cells right after them. Stored tqdm bars become
    one line (scripts/output_filters.py), text outputs longer than ``max_lines`` are
    cut, ``# NBVAL_...`` markers are removed.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed notebook.
    max_lines : int
        Text outputs longer than this are cut to ``max_lines`` lines.
    next_deck_link : tuple of (str, str, bool) or None
        (stem, title, is_next) of the deck to link at the end (:func:`next_deck`): a
        last slide links there unless the last slide already does.

    Returns
    -------
    nbformat.NotebookNode
        The notebook the deck is made from.
    """
    nb = copy.deepcopy(nb)
    drop_cells(nb, hidden_on_slides(nb))
    for cell in nb.cells:
        if cell.cell_type == "markdown" and is_solution_cell(cell):
            cell.source, _ = make_student.strip_solution(cell.source, "markdown")
        if cell.cell_type != "code":
            continue
        cell.source = NBVAL_MARKER.sub("", cell.source)
        cell.outputs = output_filters.summarise_progress(cell.outputs)
        for out in cell.outputs:
            if out.output_type == "stream":
                out.text = _trim_text(out.text, max_lines)
            elif "data" in out and "text/plain" in out.data and len(out.data) == 1:
                out.data["text/plain"] = _trim_text(out.data["text/plain"], max_lines)
    if next_deck_link and nb.cells:
        last = [nb.cells[i] for i in slide_groups(nb)[-1]]
        if not links_to(nb, last, next_deck_link[0]):
            nb.cells.append(next_deck_cell(*next_deck_link))
    return nb


def slide_summary(nb) -> tuple[dict, list[str]]:
    """Counts of slide types and warnings about missing slide metadata."""
    counts = {"slide": 0, "subslide": 0, "fragment": 0, "skip": 0}
    for cell in nb.cells:
        kind = slide_type(cell)
        if kind in counts:
            counts[kind] += 1
    warnings = []
    if not any("slideshow" in cell.metadata for cell in nb.cells):
        warnings.append("no slide metadata at all: the whole notebook is one slide")
    elif nb.cells and slide_type(nb.cells[0]) != "slide":
        warnings.append('the first cell is not a "slide": no title slide')
    return counts, warnings


def export_slides(path: Path, out_dir: Path, exporter, max_lines: int = 12) -> tuple[Path, dict]:
    """Write ``out_dir/<stem>.slides.html`` for the notebook at ``path``."""
    nb = nbformat.read(path, as_version=4)
    _, warnings = slide_summary(nb)
    title = first_heading(nb, path.stem)
    shown = prepare_for_slides(nb, max_lines, next_deck(path))
    body, _ = exporter.from_notebook_node(shown, resources={"metadata": {"name": title}})
    body = NOTEBOOK_LINK.sub(r'href="\1.slides.html\2"', body)
    target = out_dir / f"{path.stem}.slides.html"
    target.write_text(body, encoding="utf-8")
    counts, _ = slide_summary(shown)
    left_out = len({c.id for c in nb.cells} - {c.id for c in shown.cells})
    return target, {"title": title, "counts": counts, "warnings": warnings, "left_out": left_out}


def slides_exporter(offline: bool = True) -> SlidesExporter:
    """nbconvert's SlidesExporter with the course template, offline unless ``offline`` is
    false, slides of SLIDE_WIDTH x SLIDE_HEIGHT."""
    return offline_assets.make_exporter(
        SlidesExporter,
        offline=offline,
        template_name="course_reveal",
        reveal_theme="white",
        reveal_scroll=True,
        reveal_number="c/t",
        reveal_width=str(SLIDE_WIDTH),
        reveal_height=str(SLIDE_HEIGHT),
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+", type=Path, help="notebooks or folders of notebooks")
    parser.add_argument("out_dir", type=Path, help="output folder")
    parser.add_argument("--cdn", action="store_true",
                        help="load reveal.js, MathJax etc. from nbconvert's CDNs (needs a network)")
    parser.add_argument("--max-lines", type=int, default=12,
                        help="cut longer text outputs to this many lines (default 12)")
    args = parser.parse_args(argv)

    notebooks = notebook_paths(args.sources)
    if not notebooks:
        print(f"no notebooks in {' '.join(map(str, args.sources))}", file=sys.stderr)
        return 1
    args.out_dir.mkdir(parents=True, exist_ok=True)
    if not args.cdn:
        try:
            offline_assets.copy_assets(args.out_dir)
        except offline_assets.MissingAssets as err:
            print(err, file=sys.stderr)
            return 1
    exporter = slides_exporter(offline=not args.cdn)

    failed = []
    for path in notebooks:
        try:
            target, info = export_slides(path, args.out_dir, exporter, args.max_lines)
        except Exception as err:  # a broken notebook: report it, go on with the others
            print(f"FAILED {path}: {type(err).__name__}: {err}", file=sys.stderr)
            failed.append(path)
            continue
        counts = info["counts"]
        print(f"wrote {target} ({counts['slide']} slides, {counts['subslide']} subslides; "
              f"{info['left_out']} cells left out)")
        for warning in info["warnings"]:
            print(f"  warning: {path.name}: {warning}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
