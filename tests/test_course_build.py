"""The course build: slides, the HTML site, student notebooks and the setup cell.

The slide and site tests build notebook 00 and need the npm packages
(``make vendor``, a prerequisite of ``make test``).
"""

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import build_slides  # noqa: E402
import make_student  # noqa: E402
import offline_assets  # noqa: E402
import output_filters  # noqa: E402
import render_html  # noqa: E402
import setup_cell  # noqa: E402

NB00 = REPO / "notebooks" / "00_getting_started.ipynb"
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))

needs_npm = pytest.mark.skipif(
    not (offline_assets.NODE_MODULES / "reveal.js" / "dist" / "reveal.js").is_file(),
    reason="node_modules missing: run `make vendor` (make test does)",
)


def read(path):
    return nbformat.read(path, as_version=4)


# --- slides and site ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Slides and site of notebook 00, built offline as `make html` does."""
    out = tmp_path_factory.mktemp("build")
    assert build_slides.main([str(NB00), str(out / "slides")]) == 0
    assert render_html.main(["--slides-dir", str(out / "slides"), str(NB00), str(out / "html")]) == 0
    return out


@needs_npm
def test_slides_are_a_reveal_deck_with_the_notebooks_slides(built):
    deck = built / "slides" / "00_getting_started.slides.html"
    page = deck.read_text(encoding="utf-8")
    shown = build_slides.prepare_for_slides(read(NB00), next_deck_link=build_slides.next_deck(NB00))
    kinds = [build_slides.slide_type(c) for c in shown.cells]
    # reveal.js: one <section> per slide around one <section> per (sub)slide
    assert page.count("<section") == 2 * kinds.count("slide") + kinds.count("subslide")
    assert '<div class="reveal">' in page and "Reveal.initialize" in page
    assert "Getting started" in page
    assert "COURSE_REPO" not in page, "the setup cell (skip) should not be on a slide"
    assert "NBVAL_IGNORE_OUTPUT" not in page
    assert 'href="01_layers_forward_backward.slides.html"' in page, "no link to the next deck"
    assert "return images.reshape" not in page, "the solution of exercise 1 is on a slide"
    assert "check_prepare_images" not in page, "its check cell is on a slide"


@needs_npm
def test_slides_and_pages_typeset_maths_without_automatic_line_breaks(built):
    """In a table cell, MathJax's automatic line breaks split a formula at every operator."""
    for path in (built / "slides" / "00_getting_started.slides.html",
                 built / "html" / "00_getting_started.html"):
        page = path.read_text(encoding="utf-8")
        assert "linebreaks: {automatic: false}" in page, path.name
        assert "automatic: true" not in page, path.name


@needs_npm
def test_slides_and_site_load_nothing_from_a_cdn(built):
    pages = sorted(built.glob("**/*.html"))
    assert len(pages) >= 4  # deck, deck copied into the site, lesson page, index
    for path in pages:
        if "_static" in path.parts:
            continue
        page = path.read_text(encoding="utf-8")
        assert offline_assets.cdn_references(page) == [], path
        assert offline_assets.missing_local_files(path) == [], path
    for static in (built / "slides" / "_static", built / "html" / "_static"):
        assert (static / "reveal.js" / "dist" / "reveal.js").is_file()
        assert (static / "mathjax" / "MathJax.js").is_file()
        assert (static / "mathjax" / "config" / "TeX-AMS_CHTML-full.js").is_file()


@needs_npm
def test_cdn_build_is_caught_by_the_offline_check(tmp_path):
    assert build_slides.main(["--cdn", str(NB00), str(tmp_path)]) == 0
    page = (tmp_path / "00_getting_started.slides.html").read_text(encoding="utf-8")
    found = offline_assets.cdn_references(page)
    assert any("unpkg.com/reveal.js" in ref for ref in found), found
    assert not (tmp_path / "_static").exists()


@needs_npm
def test_site_index_is_a_course_map_linking_pages_and_slides(built):
    html_dir = built / "html"
    index = (html_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="00_getting_started.html"' in index
    assert 'href="slides/00_getting_started.slides.html"' in index
    assert (html_dir / "slides" / "00_getting_started.slides.html").is_file()
    # learning goals from the notebook, time to run and prerequisites from README's course map
    goals = render_html.learning_goals(read(NB00))
    assert goals and all(len(g) > 10 for g in goals)
    assert "load the course" in index
    row = render_html.read_course_map(REPO / "README.md")["00"]
    assert row["time to run"] and row["prerequisites"]
    assert render_html.inline_markdown(row["prerequisites"]) in index

    lesson = (html_dir / "00_getting_started.html").read_text(encoding="utf-8")
    assert 'href="index.html"' in lesson and 'href="slides/00_getting_started.slides.html"' in lesson
    assert "COURSE_REPO" not in lesson, "the setup cell should be left out of the site"
    assert "check_prepare_images" in lesson


def test_readme_course_map_lists_every_lesson_with_prerequisites_and_time():
    rows = render_html.read_course_map(REPO / "README.md")
    present = sorted(nb.name[:2] for nb in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(rows) == present, "the README's course map and notebooks/ disagree"
    for num, row in rows.items():
        assert row.get("what it teaches") and row.get("prerequisites"), num
        assert "time to run" in row, num


def test_long_outputs_are_cut_on_slides_only():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("# NBVAL_IGNORE_OUTPUT\nfor i in range(30): print(i)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                           text="".join(f"{i}\n" for i in range(30)))]
    nb.cells = [cell]
    slides = build_slides.prepare_for_slides(nb, max_lines=5)
    text = slides.cells[0].outputs[0].text
    assert text.splitlines() == ["0", "1", "2", "3", "... (26 more lines in the notebook)"]
    assert slides.cells[0].source == "for i in range(30): print(i)"
    assert nb.cells[0].outputs[0].text.count("\n") == 30, "the notebook itself is unchanged"


def _code(source, outputs=(), **metadata):
    return nbformat.v4.new_code_cell(source, outputs=list(outputs), metadata=metadata)


def _md(source, **metadata):
    return nbformat.v4.new_markdown_cell(source, metadata=metadata)


def _slide(kind):
    return {"slideshow": {"slide_type": kind}}


def _sources(nb):
    return [cell.source for cell in nb.cells]


def test_slides_leave_out_setup_asserts_solutions_and_their_checks():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _md("# Title", **_slide("slide")),
        _code("setup()", tags=[build_slides.SETUP_TAG], **_slide("skip")),
        _md("## Exercise\nWrite `f`.", **_slide("slide")),
        _md("<details><summary>Hint</summary>\n\nDouble it.\n\n</details>"),
        _code(SOLVED),
        _code("checks.check_f(f)"),
        _code("assert f(2) == 4\n# NBVAL_CHECK_OUTPUT\nassert f(0) == 0"),
        _md("## Results"),
        _code("checks.check_g(g)  # not after a solution: stays"),
        _code("plot(f)"),
    ]
    shown = build_slides.prepare_for_slides(nb)
    assert _sources(shown) == ["# Title", "## Exercise\nWrite `f`.", nb.cells[3].source,
                               "## Results", "checks.check_g(g)  # not after a solution: stays",
                               "plot(f)"]
    assert len(nb.cells) == 10, "the notebook itself is unchanged"


def test_a_left_out_cell_passes_its_slide_start_on():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _md("# Title", **_slide("slide")),
        _code("assert True", **_slide("subslide")),  # starts a subslide, left out
        _code("x = 1"),                              # so this one starts it
        _code("assert x", **_slide("slide")),        # starts a slide, left out ...
        _md("text", **_slide("subslide")),           # ... so this subslide becomes the slide
        _code("setup()", **_slide("skip")),
    ]
    shown = build_slides.prepare_for_slides(nb)
    assert [(c.source, build_slides.slide_type(c)) for c in shown.cells] == [
        ("# Title", "slide"), ("x = 1", "subslide"), ("text", "slide")]


def test_a_slide_with_only_a_setup_heading_is_left_out():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _md("# Title", **_slide("slide")),
        _md("## Learning goals\n\n1. one", **_slide("slide")),
        _code("setup()", tags=[build_slides.SETUP_TAG], **_slide("skip")),
        _md("## Setup\n\nThe cells below import NumPy.", **_slide("slide")),
        _code("import numpy as np", **_slide("skip")),
        _md("## 1. First idea", **_slide("slide")),
    ]
    shown = build_slides.prepare_for_slides(nb)
    assert _sources(shown) == ["# Title", "## Learning goals\n\n1. one", "## 1. First idea"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_deck_ends_with_a_link_to_the_next(path):
    target = build_slides.next_deck(path)
    assert target is not None
    shown = build_slides.prepare_for_slides(read(path), next_deck_link=target)
    last = [shown.cells[i] for i in build_slides.slide_groups(shown)[-1]]
    assert build_slides.links_to(shown, last, target[0]), f"{path.name}: no link to {target[0]}"
    expected = NOTEBOOKS[(NOTEBOOKS.index(path) + 1) % len(NOTEBOOKS)].stem
    assert target[0] == expected and target[2] == (path != NOTEBOOKS[-1])


@needs_npm
def test_notes_cells_become_speaker_notes(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [_md("# Title", **_slide("slide")), _md("Say this aloud.", **_slide("notes")),
                _md("## Next idea", **_slide("subslide"))]
    path = tmp_path / "talk.ipynb"
    nbformat.write(nb, path)
    assert build_slides.main([str(path), str(tmp_path / "slides")]) == 0
    page = (tmp_path / "slides" / "talk.slides.html").read_text(encoding="utf-8")
    notes = re.search(r'<aside class="notes">(.*?)</aside>', page, re.DOTALL)
    assert notes and "Say this aloud." in notes.group(1)
    assert "RevealNotes" in page, "the speaker-view plugin (S) is loaded"


BAR = "epoch {}/3:   0%|          | 0/1000 [00:00<?, ?batch/s]"


def _bar(text):
    return nbformat.v4.new_output("display_data", data={"text/plain": text})


def test_stored_progress_bars_become_one_line_in_place():
    result = nbformat.v4.new_output("stream", name="stdout", text="test accuracy 0.876\n")
    outputs = [_bar(BAR.format(1)), _bar(BAR.format(2)), _bar(BAR.format(3)), result]
    shown = output_filters.summarise_progress(outputs)
    assert len(shown) == 2 and shown[1] is result
    line = shown[0].data["text/plain"]
    assert line == "3 progress bars: epoch 1/3, epoch 2/3, epoch 3/3 (1,000 batch each)"
    assert "0%|" not in shown[0].data["text/html"]
    bars = [_bar(f"epoch {i}/8:   0%|   | 0/1719 [00:00<?, ?batch/s]") for i in range(1, 9)]
    many = output_filters.summarise_progress(bars)
    assert many[0].data["text/plain"] == \
        "8 progress bars: epoch 1/8 … epoch 8/8 (1,719 batch each)"
    assert output_filters.summarise_progress([result]) == [result], "other outputs stay"


def test_a_plain_tqdm_bar_on_stderr_keeps_its_final_state():
    redraws = ("\r  0%|          | 0/20 [00:00<?, ?it/s]"
               "\r100%|##########| 20/20 [00:00<00:00, 95.8it/s]\n")
    stream = nbformat.v4.new_output("stream", name="stderr", text=redraws)
    shown = output_filters.summarise_progress([stream])
    assert shown[0].text == "100%|##########| 20/20 [00:00<00:00, 95.8it/s]\n"
    assert stream.text == redraws, "the notebook's output is unchanged"


@needs_npm
def test_site_pages_show_progress_bars_as_one_line(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [_md("# 00 Bars"), _code("fit(model)", [_bar(BAR.format(1)), _bar(BAR.format(2))])]
    nbformat.write(nb, tmp_path / "00_bars.ipynb")
    assert render_html.main([str(tmp_path / "00_bars.ipynb"), str(tmp_path / "html")]) == 0
    page = (tmp_path / "html" / "00_bars.html").read_text(encoding="utf-8")
    assert "0%|" not in page
    assert "2 progress bars: epoch 1/3, epoch 2/3 (1,000 batch each)" in page


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_opens_with_a_title_slide(path):
    counts, warnings = build_slides.slide_summary(read(path))
    assert not warnings, f"{path.name}: {warnings}"
    assert counts["slide"] >= 2


# --- student notebooks ----------------------------------------------------------------------

SOLVED = """\
def f(x):
    # keep me
    ### BEGIN SOLUTION
    y = 2 * x
    return y
    ### END SOLUTION

print("after")
"""


def test_solution_is_replaced_keeping_the_lines_around_it():
    source, count = make_student.strip_solution(SOLVED)
    assert count == 1
    assert source.splitlines() == [
        "def f(x):",
        "    # keep me",
        f'    raise NotImplementedError("{make_student.MESSAGE}")',
        "",
        'print("after")',
    ]
    compile(source, "student", "exec")
    md, count = make_student.strip_solution("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION",
                                            "markdown")
    assert count == 1 and "Because" not in md and make_student.MARKDOWN_ANSWER in md


@pytest.mark.parametrize("source, message", [
    ("### BEGIN SOLUTION\nx = 1\n", "without an END"),
    ("x = 1\n### END SOLUTION\n", "without a BEGIN"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "a second BEGIN"),
])
def test_unbalanced_markers_are_named(source, message):
    with pytest.raises(make_student.SolutionMarkerError, match=message):
        make_student.strip_solution(source, where="nb.ipynb, cell 3")


def test_outputs_of_solution_and_check_cells_are_cleared_until_the_next_markdown():
    nb = nbformat.v4.new_notebook()
    out = [nbformat.v4.new_output("stream", name="stdout", text="All checks passed\n")]
    nb.cells = [
        nbformat.v4.new_code_cell("print(1)", outputs=list(out), execution_count=1),
        nbformat.v4.new_code_cell(SOLVED, outputs=list(out), execution_count=2),
        nbformat.v4.new_code_cell("check(f)", outputs=list(out), execution_count=3),
        nbformat.v4.new_code_cell("plot(f)", outputs=list(out), execution_count=4),
        nbformat.v4.new_markdown_cell("Next section"),
        nbformat.v4.new_code_cell("print(2)", outputs=list(out), execution_count=5),
    ]
    student, cells = make_student.student_version(nb)
    assert cells == [1]
    assert [len(c.get("outputs", [])) for c in student.cells] == [1, 0, 0, 0, 0, 1]
    assert student.cells[2].source == "check(f)", "the check stays"
    assert len(nb.cells[1].outputs) == 1, "the instructor notebook is unchanged"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_has_exercises_that_make_a_clean_student_version(path):
    student, cells = make_student.student_version(read(path), path.name)
    assert cells, f"{path.name} has no ### BEGIN SOLUTION exercise"
    for index in cells:
        cell = student.cells[index]
        assert "NotImplementedError" in cell.source or cell.cell_type == "markdown"
        assert not cell.get("outputs")
    markers = [line for c in student.cells for line in c.source.splitlines()
               if make_student.BEGIN.match(line) or make_student.END.match(line)]
    assert not markers, f"{path.name}: solution markers left: {markers}"


def _outputs_text(cell):
    parts = []
    for out in cell.outputs:
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
        elif "text/plain" in out.get("data", {}):
            parts.append(out.data["text/plain"])
    return "\n".join(parts)


def test_student_notebook_fails_its_check_until_the_solution_is_pasted_back():
    """Notebook 00 as a student would run it: the check says the exercise is open, then passes."""
    teacher = read(NB00)
    student, cells = make_student.student_version(teacher, NB00.name)
    assert cells
    index = cells[0]
    check_index = index + 1
    assert "checks.check_" in student.cells[check_index].source

    client = NotebookClient(student, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(NB00.parent)}})
    with client.setup_kernel():
        for i, cell in enumerate(student.cells):
            if cell.cell_type == "code":
                client.execute_cell(cell, i)
        before = _outputs_text(student.cells[check_index])
        assert "Not answered yet: prepare_images still raises NotImplementedError" in before, before
        assert "All checks passed" not in before
        errors = [i for i, c in enumerate(student.cells) if c.cell_type == "code"
                  and any(o.output_type == "error" for o in c.outputs)]
        assert not errors, f"Run All stops at cell {errors[0]}: an open exercise is no error"

        # The student pastes the solution in and runs the exercise and check cells again.
        student.cells[index].source = teacher.cells[index].source
        for i in (index, check_index):
            client.execute_cell(student.cells[i], i)
        after = _outputs_text(student.cells[check_index])
    assert "All checks passed" in after, after


# --- the exercises: what every one has, and the committed student versions --------------

def _exercises(nb):
    """Indices of the code cells holding a ### BEGIN SOLUTION block."""
    return [i for i, c in enumerate(nb.cells)
            if c.cell_type == "code"
            and any(make_student.BEGIN.match(line) for line in c.source.splitlines())]


def test_the_lessons_ask_for_every_core_piece():
    """At least 25 checked exercises in lessons 01-05 (issue: students build the network)."""
    counts = {p.stem[:2]: len(_exercises(read(p))) for p in NOTEBOOKS}
    assert sum(n for lesson, n in counts.items() if "01" <= lesson <= "05") >= 25, counts


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_exercise_has_a_hint_a_function_and_a_check(path):
    nb = read(path)
    student, _ = make_student.student_version(nb, path.name)
    for i in _exercises(nb):
        cell = nb.cells[i]
        where = f"{path.name}, cell {i} (id {cell.id})"
        before = [c for c in nb.cells[max(0, i - 3):i] if c.cell_type == "markdown"]
        assert any("<details" in c.source and "Hint" in c.source for c in before), \
            f"{where}: no hint (<details><summary>Hint</summary> ...) in the markdown above it"
        raises = [line for line in student.cells[i].source.splitlines()
                  if "raise NotImplementedError" in line]
        assert raises and all(line.startswith((" ", "\t")) for line in raises), \
            f"{where}: the answer must sit inside a def or class, so the student version " \
            f"defines its name and later cells fail with a clear message, not a NameError"
        after = []
        for c in nb.cells[i + 1:]:
            if c.cell_type == "markdown":
                break
            after.append(c)
        assert any("checks.check_" in c.source for c in after), f"{where}: no check cell after it"


def test_committed_student_versions_are_up_to_date():
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "make_student.py"), "--check",
                             *map(str, NOTEBOOKS)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr + "run `make student` and commit student/"


def test_student_versions_keep_every_cell_id_and_no_solution():
    for path in NOTEBOOKS:
        nb, committed = read(path), read(REPO / "student" / path.name)
        assert [c.id for c in committed.cells] == [c.id for c in nb.cells], path.name
        assert committed.metadata["course"]["version"] == "student"
        solved = make_student.paste_solutions(committed, nb)
        assert [c.source for c in solved.cells] == [c.source for c in nb.cells]
        assert not _exercises(committed), path.name


def test_uses_exercises_cells_are_cleared_in_the_student_version():
    nb = nbformat.v4.new_notebook()
    out = [nbformat.v4.new_output("stream", name="stdout", text="accuracy 0.97\n")]
    nb.cells = [nbformat.v4.new_markdown_cell("Train your own network"),
                nbformat.v4.new_code_cell("fit(my_model)", outputs=list(out), execution_count=1,
                                          metadata={"tags": [make_student.USES_EXERCISES]}),
                nbformat.v4.new_code_cell("print(1)", outputs=list(out), execution_count=2)]
    student, _ = make_student.student_version(nb)
    assert [len(c.get("outputs", [])) for c in student.cells] == [0, 0, 1]


# --- the setup cell -------------------------------------------------------------------------

def test_setup_cell_is_inserted_once_as_the_first_code_cell():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("import numpy")]
    assert setup_cell.apply(nb) is True
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "code"]
    cell = nb.cells[1]
    assert setup_cell.is_setup_cell(cell)
    assert cell.metadata["slideshow"]["slide_type"] == "skip"
    assert setup_cell.COURSE_REPO in cell.source
    assert setup_cell.apply(nb) is False, "a second run changes nothing"
    assert len(nb.cells) == 3

    # an old version elsewhere is replaced and moved to the first code cell
    nb.cells[1].source = "old"
    nb.cells.append(nb.cells.pop(1))
    assert setup_cell.apply(nb) is True
    assert setup_cell.is_setup_cell(nb.cells[1]) and nb.cells[1].source == setup_cell.setup_source()
    assert sum(map(setup_cell.is_setup_cell, nb.cells)) == 1
    nbformat.validate(nb)


def test_notebook_00_and_readme_badges_are_up_to_date():
    nb = read(NB00)
    assert setup_cell.apply(nb) is False, "run: python scripts/setup_cell.py notebooks/00*.ipynb"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert setup_cell.update_readme(readme) == readme, "run: python scripts/setup_cell.py"
    owner_name = setup_cell.github_path()
    assert f"mybinder.org/v2/gh/{owner_name}/" in readme
    assert f"colab.research.google.com/github/{owner_name}/" in readme


def test_setup_cell_is_silent_when_course_lib_is_importable(capsys):
    exec(compile(setup_cell.setup_source(), "setup", "exec"), {})
    assert capsys.readouterr().out == ""


def test_setup_cell_finds_the_checkout_when_course_lib_is_not_installed(tmp_path):
    script = tmp_path / "setup.py"
    script.write_text(setup_cell.setup_source())
    # -S: no site-packages, so course_lib is not installed; run from notebooks/ like Jupyter
    result = subprocess.run([sys.executable, "-S", str(script)], cwd=REPO / "notebooks",
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"course_lib \S+ from \S+\n", result.stdout), result.stdout
    assert Path(result.stdout.split(" from ")[1].strip()) == REPO


@pytest.mark.skipif(not (REPO / ".git").exists(), reason="needs the repository as a git clone")
def test_setup_cell_clones_the_course_when_there_is_no_checkout(tmp_path):
    script = tmp_path / "setup.py"
    script.write_text(setup_cell.setup_source(REPO.as_uri()))  # a local clone stands in for GitHub
    work = tmp_path / "content"
    work.mkdir()
    result = subprocess.run([sys.executable, "-S", str(script)], cwd=work,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    clone = work / REPO.name
    assert (clone / "course_lib" / "data.py").is_file() and (clone / "data").is_dir()
    assert f"from {clone}" in result.stdout
