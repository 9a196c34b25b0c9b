"""Find the numbers a lesson's markdown states that the notebook itself never shows.

Usage:
    python scripts/claims.py notebooks/*.ipynb          # report every claim and its backing
    python scripts/claims.py --unbacked notebooks/*.ipynb

A *claim* is a number in a markdown cell's prose: "0.978", "97.8%", "4.61",
"1,000 images", "347x". It is *backed* when the same number appears in the
notebook's evidence: a code cell's source (a setting, an ``assert``) or a
text output (what a cell printed), compared at the precision the claim is
written with (the claim 97.8% is backed by a printed 0.9784; 0.98 by 0.9827).
Numbers a picture shows are backed with an HTML comment in the markdown cell,
invisible on the page: ``<!-- from the plot: 1e18, 0.17 -->``.

Not claims: numbers inside LaTeX maths ($...$) or code spans, section and
lesson numbers ("## 3.", "lesson 04"), exercise numbers, versions, years,
small counts up to :data:`SMALL` ("two layers", "3 classes"), and the short
:data:`ALLOWED` list of constants and definitions.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

#: integers up to this are counts a sentence uses freely ("3 classes", "10 digits")
SMALL = 12
#: constants and definitions that need no cell to back them
ALLOWED = {
    "255",     # the largest byte value
    "28",      # MNIST's image side (28x28)
    "784",     # 28 * 28
    "60,000", "10,000", "70,000",  # MNIST's documented split sizes
    "1e-8", "1e-6", "1e-5", "1e-7",  # epsilons and step sizes quoted from definitions
    "2015",    # Kingma and Ba (Adam)
}

MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$|\\\(.*?\\\)|\\\[.*?\\\]", re.S)
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)
COMMENT_BACKING = re.compile(r"<!--\s*from the plot:\s*(.*?)-->", re.S)
HTML = re.compile(r"<[^>]+>")
LINK_TARGET = re.compile(r"\]\([^)]*\)")
HEADING_NUMBER = re.compile(r"^(#+\s*)(\d+\.)+", re.M)
REFERENCE = re.compile(r"\b(lesson|lessons|exercise|exercises|section|sections|step|cell|part|"
                       r"notebook|figure|chapter|issue|version|python)s?\s+\d+(\.\d+)*(\s*(,|and|to|-|–)\s*\d+)*",
                       re.I)
NUMBER = re.compile(r"(?<![\w.])[-−]?(\d{1,3}(,\d{3})+|\d+(\.\d+)?|\.\d+)([eE][-+]?\d+)?(%|x\b|×)?")
EVIDENCE_NUMBER = re.compile(r"[-−]?(\d+(?:,\d{3})*(?:\.\d+)?|\.\d+)([eE][-+]?\d+)?")


@dataclass
class Claim:
    cell: int
    text: str
    backed_by: str  # "" when unbacked


def _value(text: str) -> tuple[float, int]:
    """The number's value and its number of decimals as written."""
    digits = text.replace(",", "").replace("−", "-")
    mantissa = re.split(r"[eE]", digits)[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return float(digits), decimals


def evidence(nb) -> tuple[str, set[float]]:
    """All code sources and text outputs of ``nb``, and every number in them."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        parts.append(cell.source)
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(out.get("text", ""))
            elif "data" in out:
                parts.append(out["data"].get("text/plain", ""))
    text = "\n".join(parts)
    numbers = set()
    for m in EVIDENCE_NUMBER.finditer(text):
        try:
            numbers.add(float(m.group(0).replace(",", "").replace("−", "-")))
        except ValueError:
            pass
    return text, numbers


def prose(markdown: str) -> str:
    """The markdown with maths, code, HTML, link targets and references taken out."""
    text = MATH.sub(" ", markdown)
    text = CODE.sub(" ", text)
    text = COMMENT_BACKING.sub(" ", text)
    text = HTML.sub(" ", text)
    text = LINK_TARGET.sub("]", text)
    text = HEADING_NUMBER.sub(r"\1", text)
    text = REFERENCE.sub(" ", text)
    text = re.sub(r"\b\d+x\d+\b", " ", text)        # sizes like 28x28, 3x3
    text = re.sub(r"\b\d{2}[-–]\d{2}\b", " ", text)  # lesson ranges like 02-03
    return text


def _backed(claim: str, numbers: set[float], plot: set[str]) -> str:
    if claim in ALLOWED or claim.rstrip("%x×") in ALLOWED:
        return "allowed"
    if claim in plot or claim.rstrip("%x×") in plot:
        return "plot"
    value, decimals = _value(claim.rstrip("%x×"))
    candidates = [(value, decimals)]
    if claim.endswith("%"):
        candidates.append((value / 100, decimals + 2))
    for target, places in candidates:
        for n in numbers:
            if round(n, places) == round(target, places) or round(abs(n), places) == round(target, places):
                return "shown"
    return ""


def claims(nb) -> list[Claim]:
    """Every claim in ``nb``'s markdown, with how it is backed."""
    _, numbers = evidence(nb)
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        plot = set()
        for m in COMMENT_BACKING.finditer(cell.source):
            plot |= {p.strip() for p in m.group(1).split(",") if p.strip()}
        for m in NUMBER.finditer(prose(cell.source)):
            text = m.group(0).lstrip("-−")
            if not m.group(5) and not m.group(4) and "." not in text and "," not in text:
                if int(text) <= SMALL or 1900 <= int(text) <= 2099:  # small counts; years
                    continue
            found.append(Claim(index, text, _backed(text, numbers, plot)))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unbacked", action="store_true", help="list only unbacked claims")
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    total = unbacked = 0
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        found = claims(nb)
        bad = [c for c in found if not c.backed_by]
        total, unbacked = total + len(found), unbacked + len(bad)
        kinds = {k: sum(c.backed_by == k for c in found) for k in ("shown", "plot", "allowed")}
        print(f"{path.name}: {len(found)} claims ({kinds['shown']} shown by a cell, "
              f"{kinds['plot']} read from a plot, {kinds['allowed']} allowed), {len(bad)} unbacked")
        for c in (bad if args.unbacked else found):
            line = nb.cells[c.cell].source
            i = line.find(c.text)
            context = line[max(0, i - 50):i + 40].replace("\n", " ")
            print(f"  cell {c.cell} ({nb.cells[c.cell].get('id', '?')}): {c.text:>8}  "
                  f"[{c.backed_by or 'UNBACKED'}]  …{context}…")
    print(f"total: {total} claims, {unbacked} unbacked")
    return 1 if unbacked else 0


if __name__ == "__main__":
    sys.exit(main())
