"""Render executed notebooks as a small static HTML course site.

Usage:
    python scripts/render_html.py build/notebooks build/html
    python scripts/render_html.py --slides-dir build/slides notebooks build/html

Writes one HTML page per notebook (nbconvert's HTML exporter, template
``scripts/templates/course_lab``, images embedded, a navigation bar) and an
index.html with the course map: for each lesson its title, learning goals
(the list in the notebook's "Learning goals" cell), prerequisites and time to
run (from the course map table in README.md), and links to the page and, with
``--slides-dir``, to its slide deck (the folder, as written by
scripts/build_slides.py, is copied to ``html_dir/slides``). Links between
notebooks (``href="01_x.ipynb"``) are pointed at the rendered pages. The
course setup cell (tag "course-setup") is left out of the pages, and stored tqdm
progress bars (their first state, "0%|") are shown as one line saying which bars
ran (scripts/output_filters.py). MathJax does not break formulas automatically
(in a table cell it broke them at every operator).

The pages load require.js and MathJax from ``html_dir/_static/``, copied from
``node_modules/`` (``make vendor``), so the site works offline; ``--cdn``
uses nbconvert's CDN addresses instead.
"""

from __future__ import annotations

import argparse
import copy
import html
import re
import shutil
import sys
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from traitlets.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))
import offline_assets  # noqa: E402
import output_filters  # noqa: E402
from build_slides import SETUP_TAG, first_heading, notebook_paths  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK_LINK = re.compile(r'href="([^":/?#]+)\.ipynb(#[^"]*)?"')
GOALS_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+.*\bgoals?\b", re.IGNORECASE | re.MULTILINE)
LIST_ITEM = re.compile(r"^\s{0,3}(?:\d+[.)]|[-*+])\s+")

INDEX = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.45; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 0.6rem 0.5rem; text-align: left; vertical-align: top; }}
th {{ background: #f4f4f4; }}
td.num {{ font-weight: bold; font-size: 1.2em; }}
td ol, td ul {{ margin: 0.2rem 0; padding-left: 1.2rem; }}
td li {{ margin: 0.15rem 0; }}
td.links a {{ display: block; white-space: nowrap; margin-bottom: 0.3rem; }}
.lesson {{ font-weight: bold; }}
.file {{ color: #666; font-size: 0.85em; }}
code {{ background: #f4f4f4; padding: 0 0.2em; }}
</style>
{mathjax}
</head>
<body>
<h1>{title}</h1>
<p>The course map: the lessons in order, each a notebook. <em>Read</em> opens the notebook as a
page with its outputs; <em>Slides</em> opens it as a reveal.js slide deck (arrow keys or space to
move on, <kbd>Esc</kbd> for an overview, <kbd>S</kbd> for speaker view). Everything here works
without a network.</p>
<table>
<thead><tr><th>#</th><th>lesson and its learning goals</th><th>prerequisites</th>
<th>time to run</th><th>open</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<p class="file">To follow the course interactively, run <code>make lab</code> in the repository
(see README.md). Built with <code>make html</code>.</p>
</body>
</html>
"""

# MathJax 2 for the "$...$" in learning goals, configured like nbconvert's pages
MATHJAX = """<script type="text/x-mathjax-config">
MathJax.Hub.Config({{tex2jax: {{inlineMath: [['$', '$'], ['\\\\(', '\\\\)']], processEscapes: true}},
                    messageStyle: "none"}});
</script>
<script src="{url}"></script>"""

ROW = """<tr>
<td class="num">{num}</td>
<td><div class="lesson"><a href="{page}">{title}</a></div>{goals}</td>
<td>{prereq}</td>
<td>{time}</td>
<td class="links"><a href="{page}">Read</a>{slides}</td>
</tr>"""


def lesson_number(path: Path) -> str:
    """The leading number of a notebook's file name ("00" for 00_getting_started.ipynb)."""
    match = re.match(r"(\d+)", path.stem)
    return match.group(1) if match else ""


def learning_goals(nb) -> list[str]:
    """The items of the list in the notebook's "Learning goals" markdown cell (markdown)."""
    for cell in nb.cells:
        if cell.cell_type != "markdown" or not GOALS_HEADING.search(cell.source):
            continue
        items = []
        for line in cell.source.splitlines():
            if LIST_ITEM.match(line):
                items.append(LIST_ITEM.sub("", line).strip())
            elif items and line.strip() and line.startswith((" ", "\t")):
                items[-1] += " " + line.strip()  # a list item continued on the next line
        return items
    return []


def read_course_map(readme: Path) -> dict[str, dict[str, str]]:
    """The rows of the first table under the "Course map" heading of README.md, by lesson number.

    Each row maps lower-cased column names ("what it teaches", "prerequisites",
    "time to run", ...) to the cell's markdown text.
    """
    if not readme or not Path(readme).is_file():
        return {}
    lines = Path(readme).read_text(encoding="utf-8").splitlines()
    try:
        start = next(i for i, line in enumerate(lines)
                     if re.match(r"^#{1,6}\s+course map\b", line.strip(), re.IGNORECASE))
    except StopIteration:
        return {}
    rows, header = {}, None
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if not line.strip().startswith("|"):
            if header is not None and not line.strip():
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = [c.lower() for c in cells]
        elif not all(set(c) <= set("-: ") for c in cells):
            row = dict(zip(header, cells))
            num = re.sub(r"\D", "", row.get("#", ""))
            if num:
                rows[num] = row
    return rows


def inline_markdown(text: str) -> str:
    """Markdown of one table cell or list item as inline HTML."""
    rendered = markdown2html_mistune(text).strip()
    match = re.fullmatch(r"<p>(.*)</p>", rendered, re.DOTALL)
    return match.group(1) if match else rendered


def html_exporter(offline: bool = True) -> HTMLExporter:
    config = Config()
    config.TagRemovePreprocessor.remove_cell_tags = {SETUP_TAG}
    config.TagRemovePreprocessor.enabled = True
    return offline_assets.make_exporter(
        HTMLExporter, offline=offline, template_name="course_lab", config=config
    )


def render(notebooks, html_dir: Path, slides_dir: Path | None = None, readme: Path | None = None,
           title: str = "Neural networks from scratch with NumPy", offline: bool = True):
    """Write the lesson pages and index.html; return the paths written."""
    html_dir.mkdir(parents=True, exist_ok=True)
    if offline:
        offline_assets.copy_assets(html_dir)
    if slides_dir is not None:
        shutil.copytree(slides_dir, html_dir / "slides", dirs_exist_ok=True)
    exporter = html_exporter(offline)
    course_map = read_course_map(readme) if readme else {}

    lessons = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        lessons.append((path, nb, first_heading(nb, path.stem)))

    written, rows = [], []
    for i, (path, nb, lesson_title) in enumerate(lessons):
        page = f"{path.stem}.html"
        slides = f"slides/{path.stem}.slides.html"
        has_slides = (html_dir / slides).is_file()
        nav = {"index": "index.html", "slides": slides if has_slides else ""}
        if i > 0:
            nav["prev"], nav["prev_title"] = f"{lessons[i - 1][0].stem}.html", lessons[i - 1][2]
        if i + 1 < len(lessons):
            nav["next"], nav["next_title"] = f"{lessons[i + 1][0].stem}.html", lessons[i + 1][2]
        shown = output_filters.summarise_notebook_progress(copy.deepcopy(nb))
        body, _ = exporter.from_notebook_node(
            shown, resources={"metadata": {"name": lesson_title}, "course_nav": nav}
        )
        body = NOTEBOOK_LINK.sub(r'href="\1.html\2"', body)
        (html_dir / page).write_text(body, encoding="utf-8")
        written.append(html_dir / page)

        num = lesson_number(path)
        info = course_map.get(num, {})
        goals = learning_goals(nb)
        if goals:
            goals_html = "<ol>" + "".join(f"<li>{inline_markdown(g)}</li>" for g in goals) + "</ol>"
        else:
            goals_html = f"<p>{inline_markdown(info.get('what it teaches', ''))}</p>"
        rows.append(ROW.format(
            num=html.escape(num),
            page=html.escape(page),
            title=html.escape(lesson_title),
            goals=goals_html,
            prereq=inline_markdown(info.get("prerequisites", "")),
            time=inline_markdown(info.get("time to run", "")),
            slides=f'<a href="{html.escape(slides)}">Slides</a>' if has_slides else "",
        ))

    index = html_dir / "index.html"
    mathjax_url = exporter.mathjax_url
    index.write_text(INDEX.format(title=html.escape(title), rows="\n".join(rows),
                                  mathjax=MATHJAX.format(url=html.escape(mathjax_url))),
                     encoding="utf-8")
    written.append(index)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook_dir", type=Path, help="folder of executed notebooks (or one notebook)")
    parser.add_argument("html_dir", type=Path, help="output folder")
    parser.add_argument("--slides-dir", type=Path,
                        help="slide decks from scripts/build_slides.py, copied to HTML_DIR/slides")
    parser.add_argument("--readme", type=Path, default=REPO / "README.md",
                        help="README whose 'Course map' table gives prerequisites and times")
    parser.add_argument("--title", default="Neural networks from scratch with NumPy")
    parser.add_argument("--cdn", action="store_true",
                        help="load require.js and MathJax from nbconvert's CDNs (needs a network)")
    args = parser.parse_args(argv)

    notebooks = notebook_paths([args.notebook_dir])
    if not notebooks:
        print(f"no notebooks in {args.notebook_dir}", file=sys.stderr)
        return 1
    if args.slides_dir is not None and not args.slides_dir.is_dir():
        print(f"no slides in {args.slides_dir}: run scripts/build_slides.py first", file=sys.stderr)
        return 1
    try:
        written = render(notebooks, args.html_dir, args.slides_dir, args.readme, args.title,
                         offline=not args.cdn)
    except offline_assets.MissingAssets as err:
        print(err, file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
