"""Render executed notebooks as a small static HTML course.

Usage:
    python scripts/render_html.py build/notebooks build/html

Writes one HTML page per notebook (nbconvert's HTML exporter, images
embedded) and an index.html that lists the lessons in file-name order, each
titled by the notebook's first markdown heading. Links between notebooks
(``href="01_x.ipynb"``) are pointed at the rendered pages.
"""

import argparse
import html
import re
import sys
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
NOTEBOOK_LINK = re.compile(r'href="([^":/?#]+)\.ipynb(#[^"]*)?"')

INDEX = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 42rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; }}
li {{ margin: 0.4rem 0; }}
.file {{ color: #666; font-size: 0.9em; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p>The lessons, in order. Each page is the notebook as executed by <code>make run</code>.</p>
<ol>
{items}
</ol>
</body>
</html>
"""


def first_heading(nb, default):
    """The text of the first markdown heading in the notebook, else `default`."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = HEADING.search(cell.source)
            if match:
                return match.group(1)
    return default


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook_dir", type=Path, help="folder of executed notebooks")
    parser.add_argument("html_dir", type=Path, help="output folder")
    parser.add_argument("--title", default="Neural networks from scratch with NumPy")
    args = parser.parse_args(argv)

    notebooks = sorted(args.notebook_dir.glob("*.ipynb"))
    if not notebooks:
        print(f"no notebooks in {args.notebook_dir}", file=sys.stderr)
        return 1
    args.html_dir.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter()

    items = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        title = first_heading(nb, path.stem)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
        body = NOTEBOOK_LINK.sub(r'href="\1.html\2"', body)
        page = args.html_dir / f"{path.stem}.html"
        page.write_text(body, encoding="utf-8")
        print(f"wrote {page}")
        items.append(
            f'<li><a href="{html.escape(page.name)}">{html.escape(title)}</a> '
            f'<span class="file">({html.escape(path.name)})</span></li>'
        )

    index = args.html_dir / "index.html"
    index.write_text(
        INDEX.format(title=html.escape(args.title), items="\n".join(items)), encoding="utf-8"
    )
    print(f"wrote {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
