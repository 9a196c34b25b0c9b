# Neural networks from scratch with NumPy: build, test and run the course.
# `make` (or `make help`) lists the targets. Needs GNU make and python3.

VENV      ?= .venv
PY        := $(VENV)/bin/python
STAMP     := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
BUILD     := build
TIMEOUT   ?= 600
# Extra arguments for `make lab`, e.g. LAB_ARGS="--no-browser --port 8890".
LAB_ARGS  ?=

PYTEST_NBVAL := --nbval --nbval-current-env --nbval-sanitize-with nbval_sanitize.cfg \
                --nbval-cell-timeout $(TIMEOUT)

.DEFAULT_GOAL := help
.PHONY: help install test execute run lab bench clean distclean

help: ## List the targets
	@echo "Targets:"
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

install: $(STAMP) ## Create .venv and install the pinned packages and course_lib

# Re-run the install whenever the pinned packages or the package metadata change.
$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $@

test: install ## Unit tests and strict nbval of every notebook (what CI runs)
	$(PY) -m pytest -n 2 --dist loadfile $(PYTEST_NBVAL) tests notebooks

execute: install ## Re-execute the notebooks in place, in order, deterministically
	$(PY) scripts/execute_notebooks.py --inplace --timeout $(TIMEOUT) $(NOTEBOOKS)

run: install ## Execute every notebook into build/notebooks and render build/html
	$(PY) scripts/execute_notebooks.py --output-dir $(BUILD)/notebooks --timeout $(TIMEOUT) $(NOTEBOOKS)
	$(PY) scripts/render_html.py $(BUILD)/notebooks $(BUILD)/html
	@echo "Open $(BUILD)/html/index.html"

lab: install ## Start JupyterLab on the course notebooks
	$(VENV)/bin/jupyter lab notebooks/ $(LAB_ARGS)

bench: install ## Benchmark matmul, MLP, CNN and the course's run time (writes build/bench.json)
	$(PY) benchmarks/bench.py --out $(BUILD)/bench.json

clean: ## Remove build/ and caches (keeps .venv)
	rm -rf $(BUILD) .pytest_cache *.egg-info
	find . -path ./$(VENV) -prune -o \
	  \( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -print0 | xargs -0 rm -rf

distclean: clean ## Also remove .venv
	rm -rf $(VENV)
