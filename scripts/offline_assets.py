"""Local copies of the JavaScript and CSS that nbconvert's HTML pages and slides load.

nbconvert's templates point at CDNs (unpkg for reveal.js, cdnjs for
require.js, jQuery and MathJax, and for mermaid). A lecture hall or a train
may have no network, so the course pages load local copies instead:

* ``package.json`` / ``package-lock.json`` pin the packages, installed from
  the npm registry into ``node_modules/`` by ``npm ci`` (``make vendor``,
  a prerequisite of ``make slides``, ``make html`` and ``make test``);
* :func:`copy_assets` copies the files the pages need (a few MB, not the
  whole packages) into a folder ``_static/`` beside the pages;
* :func:`exporter_config` points nbconvert's exporters at those copies;
* the templates in ``scripts/templates/`` drop nbconvert's mermaid loader,
  whose CDN address would otherwise be written into every page
  (``course_common/`` holds what both templates import).

The versions are the ones nbconvert 7's templates were written for:
reveal.js 4.0.2 (nbconvert's default), require.js 2.1.10 and MathJax 2.7.7
(nbconvert's defaults), jQuery 2.2.4 (nbconvert asks for 2.0.3, which is not
on the npm registry; 2.2.4 is the last 2.x).

:func:`cdn_references` lists what in a page would still be fetched from the
network; the tests and ``--check`` use it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NODE_MODULES = REPO / "node_modules"
TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = "_static"

# package in node_modules -> the files and folders the pages use
ASSETS = {
    "reveal.js": [
        "LICENSE",
        "dist/reveal.js",
        "dist/reveal.css",
        "dist/theme/white.css",
        "dist/theme/fonts/source-sans-pro",
        "plugin/notes/notes.js",
    ],
    "requirejs": ["require.js"],
    "jquery": ["LICENSE.txt", "dist/jquery.min.js"],
    "mathjax": [
        "LICENSE",
        "MathJax.js",
        "config/TeX-AMS_CHTML-full.js",
        "config/Safe.js",
        "extensions",
        "jax/element",
        "jax/input/TeX",
        "jax/output/CommonHTML",
        "jax/output/PreviewHTML",
        "fonts/HTML-CSS/TeX/woff",
        "localization/en",
    ],
}

NPM_HINT = "Run `make vendor` (npm ci) first: it installs them from package-lock.json."


class MissingAssets(RuntimeError):
    """node_modules/ lacks a package the offline pages need."""


def copy_assets(out_dir: Path, node_modules: Path = NODE_MODULES) -> Path:
    """Copy the offline assets into ``out_dir/_static`` and return that folder."""
    static = Path(out_dir) / STATIC
    for package, parts in ASSETS.items():
        for part in parts:
            src = node_modules / package / part
            if not src.exists():
                raise MissingAssets(f"{src} is missing. {NPM_HINT}")
            dst = static / package / part
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)
    return static


def exporter_config(prefix: str = STATIC) -> dict:
    """Traits for nbconvert's HTMLExporter / SlidesExporter loading the local copies.

    ``prefix`` is the URL of the ``_static`` folder relative to the page.
    """
    return {
        "require_js_url": f"{prefix}/requirejs/require.js",
        "jquery_url": f"{prefix}/jquery/dist/jquery.min.js",
        "mathjax_url": f"{prefix}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
        "mermaid_js_url": "",
        "mermaid_layout_elk_js_url": "",
        "jupyter_widgets_base_url": "",
        "font_awesome_url": "",
        "reveal_url_prefix": f"{prefix}/reveal.js",
        "extra_template_basedirs": [str(TEMPLATES)],
        # templates both course templates import (the MathJax configuration)
        "extra_template_paths": [str(TEMPLATES / "course_common")],
    }


def make_exporter(cls, offline: bool = True, prefix: str = STATIC, **traits):
    """An nbconvert exporter of class ``cls`` using the course templates.

    With ``offline`` the pages load the local copies under ``prefix``; without,
    nbconvert's CDN defaults (then nothing needs to be copied).
    """
    config = exporter_config(prefix)
    if not offline:
        config = {key: config[key] for key in ("extra_template_basedirs", "extra_template_paths")}
    names = cls.class_trait_names()
    for key, value in list(config.items()) + list(traits.items()):
        if key in names:
            traits.setdefault(key, value)
    return cls(**traits)


# <script src=...>, <link href=...>, import("...") and @import url(...) that point off the machine
_REMOTE = re.compile(
    r"""(?:<script[^>]*\ssrc=|<link[^>]*\shref=|\bimport\s*\(|@import\s+url\()\s*["']?"""
    r"""((?:https?:)?//[^"')\s>]+)""",
    re.IGNORECASE,
)
_CDN_HOSTS = re.compile(r"(unpkg\.com|cdnjs\.cloudflare\.com|cdn\.jsdelivr\.net|"
                        r"mathjax\.org|code\.jquery\.com|fonts\.googleapis\.com)", re.IGNORECASE)


def cdn_references(page: str) -> list[str]:
    """Addresses a page would fetch from the network: remote scripts, styles, imports,
    and any mention of a known CDN host (links in the lesson text to web pages are fine)."""
    found = [m.group(1) for m in _REMOTE.finditer(page)]
    found += [m.group(0) for m in _CDN_HOSTS.finditer(page)]
    return sorted(set(found))


_LOCAL_REF = re.compile(r"""(?:<script[^>]*\ssrc=|<link[^>]*\shref=)["']([^"'#?]+)""", re.I)
# any quoted path into the assets folder, e.g. the modules the reveal template require()s
_STATIC_REF = re.compile(r"""["']((?:\.\./)*""" + STATIC + r"""/[^"'#?]+)""")


def missing_local_files(page_path: Path) -> list[str]:
    """Scripts, style sheets and assets the page loads by relative path that do not exist."""
    page_path = Path(page_path)
    page = page_path.read_text(encoding="utf-8")
    refs = set(_LOCAL_REF.findall(page)) | set(_STATIC_REF.findall(page))
    missing = []
    for ref in sorted(refs):
        if "://" in ref or ref.startswith(("data:", "//")):
            continue
        if not (page_path.parent / ref).exists():
            missing.append(ref)
    return missing
