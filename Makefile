# Neural networks from scratch with NumPy: build, test and run the course.
# `make` (or `make help`) lists the targets. Needs GNU make and python3; npm (Node.js)
# for the offline slides and site (`make vendor`, used by slides, html, run and test).

VENV      ?= .venv
PY        := $(VENV)/bin/python
STAMP     := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
BUILD     := build
TIMEOUT   ?= 600
# Offline copies of reveal.js, require.js, jQuery and MathJax (package-lock.json).
NPM_STAMP := node_modules/.installed
# The notebooks `make slides` and `make html` render (`make run` passes build/notebooks).
NB_DIR    ?= notebooks
# Extra arguments for `make bench`, e.g. BENCH_ARGS="--threads 2 --epochs 5" or "--quick".
BENCH_ARGS ?=
# `make test-independent`: a scratch environment with PyTorch (CPU), not a course dependency.
REF_VENV  ?= .venv-ref
# Extra arguments for `make lab`, e.g. LAB_ARGS="--no-browser --port 8890".
LAB_ARGS  ?=
# The folder `make lab` opens: my_work/, the student's own copy of student/.
LAB_DIR   ?= my_work
# `make grade`: the class's notebooks (<student>/<notebook>.ipynb), the seconds one notebook
# may run in all (TIMEOUT is per cell), how many notebooks run at once, and more options of
# scripts/grade.py, e.g. GRADE_ARGS="--shard 2/8 --out build/shards/2" or "--no-sandbox".
SUBMISSIONS      ?=
NOTEBOOK_TIMEOUT ?= 1800
JOBS             ?= 1
GRADE_ARGS       ?=

PYTEST_NBVAL := --nbval --nbval-current-env --nbval-sanitize-with nbval_sanitize.cfg \
                --nbval-cell-timeout $(TIMEOUT)

.DEFAULT_GOAL := help
.PHONY: help install vendor test test-fast test-independent test-compat execute run slides html browser-check student lab instructor grade bench clean distclean

help: ## List the targets
	@echo "Targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

install: $(STAMP) ## Create .venv and install the pinned packages and course_lib

# Re-run the install whenever the pinned packages or the package metadata change.
$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $@

vendor: $(NPM_STAMP) ## Install the pinned reveal.js, require.js, jQuery, MathJax (npm ci)

$(NPM_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js and npm (e.g. apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

test: install vendor ## Unit tests, student notebooks, strict nbval of every notebook (what CI runs)
	$(PY) scripts/make_student.py --check $(NOTEBOOKS)
	$(PY) -m pytest -n 2 --dist loadfile $(PYTEST_NBVAL) tests notebooks

test-fast: install ## The unit tests only (no notebook runs): about 10 s, for iterating
	$(PY) -m pytest -n 2 -m "not slow" tests

test-independent: install ## course_lib against PyTorch (CPU) in a scratch .venv-ref: tests/independent
	test -x $(REF_VENV)/bin/python || python3 -m venv $(REF_VENV)
	$(REF_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
	  -r requirements.txt -e . torch==2.13.0
	$(REF_VENV)/bin/python -m pytest -p no:cacheprovider -q tests/independent

test-compat: install ## The lessons on the oldest declared versions (Python 3.10) and a Colab-like stack (Python 3.12), throw-away venvs
	$(PY) scripts/compat.py

execute: install ## Re-execute the notebooks in place, in order, deterministically
	$(PY) scripts/execute_notebooks.py --inplace --timeout $(TIMEOUT) $(NOTEBOOKS)

run: install vendor ## Execute every notebook into build/notebooks, then `make html` from them
	$(PY) scripts/execute_notebooks.py --output-dir $(BUILD)/notebooks --timeout $(TIMEOUT) $(NOTEBOOKS)
	$(MAKE) --no-print-directory html NB_DIR=$(BUILD)/notebooks

slides: install vendor ## reveal.js slide decks of the notebooks in build/slides (work offline)
	rm -rf $(BUILD)/slides
	$(PY) scripts/build_slides.py $(NB_DIR) $(BUILD)/slides
	@echo "Open $(BUILD)/slides/<notebook>.slides.html"

html: slides ## The course site in build/html: course map, lessons, slides (works offline)
	rm -rf $(BUILD)/html
	$(PY) scripts/render_html.py --slides-dir $(BUILD)/slides $(NB_DIR) $(BUILD)/html
	@echo "Open $(BUILD)/html/index.html"

browser-check: html ## Every deck and site page in headless Chromium at 1280x800 and 1920x1080: build/browser/
	$(PY) scripts/browser_check.py --slides-dir $(BUILD)/slides --site-dir $(BUILD)/html --out $(BUILD)/browser

student: install ## Regenerate student/ from notebooks/ (solutions out); commit it with the lesson
	$(PY) scripts/make_student.py $(NOTEBOOKS)

lab: install ## For students: JupyterLab on my_work/, your own copy of student/ (never overwritten)
	@mkdir -p $(LAB_DIR)/.copied
	@# .copied/ keeps the version of student/ each copy was made from, to tell a newer one
	@for nb in student/*.ipynb; do \
	  name="$${nb##*/}"; mine="$(LAB_DIR)/$$name"; was="$(LAB_DIR)/.copied/$$name"; \
	  if [ ! -e "$$mine" ]; then \
	    cp "$$nb" "$$mine" && cp "$$nb" "$$was" && echo "new lesson: $$mine"; \
	  elif { [ -e "$$was" ] && ! cmp -s "$$nb" "$$was"; } || \
	       { [ ! -e "$$was" ] && [ "$$nb" -nt "$$mine" ] && ! cmp -s "$$nb" "$$mine"; }; then \
	    echo "updated lesson: $$nb is newer than the version of your $$mine (kept as it is):"; \
	    echo "  open $$nb for the new one, or rename yours and run make lab again for a fresh copy"; \
	  fi; \
	done
	$(VENV)/bin/jupyter lab $(LAB_DIR)/ $(LAB_ARGS)$(if $(filter 0,$(shell id -u)), --allow-root)

instructor: install ## For instructors: JupyterLab on notebooks/, the lessons with their solutions
	$(VENV)/bin/jupyter lab notebooks/ $(LAB_ARGS)

grade: install ## For instructors: grade SUBMISSIONS=folder (<student>/<notebook>.ipynb) in a sandbox into build/grades/
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=path/to/folder [TIMEOUT=seconds per cell] [GRADE_ARGS=...]"; exit 2; }
	$(PY) scripts/grade.py --timeout $(TIMEOUT) --notebook-timeout $(NOTEBOOK_TIMEOUT) \
	  --jobs $(JOBS) --out $(BUILD)/grades $(GRADE_ARGS) $(SUBMISSIONS)

bench: install ## course_lib vs minimal NumPy (MLP, CNN), each notebook's time, goals (build/bench.json)
	$(PY) benchmarks/bench.py --profile --out $(BUILD)/bench.json $(BENCH_ARGS)

clean: ## Remove build/ and caches (keeps .venv)
	rm -rf $(BUILD) .pytest_cache *.egg-info
	find . -path ./$(VENV) -prune -o \
	  \( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -print0 | xargs -0 rm -rf

distclean: clean ## Also remove .venv and node_modules
	rm -rf $(VENV) node_modules
