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
* cuts text outputs longer than ``--max-lines`` lines (default 12) to their
  first lines plus a note, and lets a still-too-tall output scroll;
* hides test plumbing: ``# NBVAL_...`` marker lines in code cells, and the
  course setup cell (tag "course-setup", see scripts/setup_cell.py);
* points links between notebooks (``href="01_x.ipynb"``) at the other decks.

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
import offline_assets  # noqa: E402

SETUP_TAG = "course-setup"
NBVAL_MARKER = re.compile(r"^[ \t]*#[ \t]*NBVAL_[A-Z_]+[^\n]*\n?", re.MULTILINE)
NOTEBOOK_LINK = re.compile(r'href="([^":/?#]+)\.ipynb(#[^"]*)?"')
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def slide_type(cell) -> str:
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
    lines = text.splitlines(keepends=True)
    if len(lines) <= max_lines:
        return text
    kept = lines[: max_lines - 1]
    if kept and not kept[-1].endswith("\n"):
        kept[-1] += "\n"
    return "".join(kept) + f"... ({len(lines) - len(kept)} more lines in the notebook)\n"


def prepare_for_slides(nb, max_lines: int = 12):
    """A copy of ``nb`` ready for slides: long text outputs cut, test markers and setup hidden."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if SETUP_TAG in cell.metadata.get("tags", []):
            cell.metadata.setdefault("slideshow", {})["slide_type"] = "skip"
        if cell.cell_type != "code":
            continue
        cell.source = NBVAL_MARKER.sub("", cell.source)
        for out in cell.outputs:
            if out.output_type == "stream":
                out.text = _trim_text(out.text, max_lines)
            elif "data" in out and "text/plain" in out.data and len(out.data) == 1:
                out.data["text/plain"] = _trim_text(out.data["text/plain"], max_lines)
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
    counts, warnings = slide_summary(nb)
    title = first_heading(nb, path.stem)
    body, _ = exporter.from_notebook_node(
        prepare_for_slides(nb, max_lines), resources={"metadata": {"name": title}}
    )
    body = NOTEBOOK_LINK.sub(r'href="\1.slides.html\2"', body)
    target = out_dir / f"{path.stem}.slides.html"
    target.write_text(body, encoding="utf-8")
    return target, {"title": title, "counts": counts, "warnings": warnings}


def slides_exporter(offline: bool = True) -> SlidesExporter:
    return offline_assets.make_exporter(
        SlidesExporter,
        offline=offline,
        template_name="course_reveal",
        reveal_theme="white",
        reveal_scroll=True,
        reveal_number="c/t",
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
        print(f"wrote {target} ({counts['slide']} slides, {counts['subslide']} subslides)")
        for warning in info["warnings"]:
            print(f"  warning: {path.name}: {warning}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
