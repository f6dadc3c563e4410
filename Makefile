# The two commands that matter are `make book` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
# nbgrader and jupyter-book start helper programs (alembic, kernels) that must come from this environment.
export PATH := $(BIN):$(PATH)

.PHONY: install book student-versions notebooks test test-fast lint bench-book bench-chapters bench-grading calibrate clean

$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $@

install: $(VENV)/.installed

## Student versions of the exercises, made by nbgrader, for the book's Exercises part
## (made again only when a source notebook or the nbgrader config changed).
student-versions: install
	$(BIN)/python -m autograder.student_versions

## The chapters' .ipynb copies that Binder and JupyterHub open (commit them after editing a chapter).
notebooks: install
	$(BIN)/python -m autograder.chapter_notebooks

## Build the book, executing every chapter (cached: an unchanged chapter is not re-run).
book: student-versions notebooks
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going
	@echo "Open _build/html/index.html"

## The whole test suite: lint, unit tests, the judge, nbgrader end to end, the book build.
test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

## The quick part of the suite (no book build, no nbgrader end to end): under 2 minutes.
test-fast: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not slow"

lint: install
	$(BIN)/ruff check .

bench-book: install
	$(BIN)/python benchmarks/book.py

bench-chapters: install
	$(BIN)/python benchmarks/chapters.py

bench-grading: install
	$(BIN)/python benchmarks/grading.py

## Re-calibrate the validation bounds (about an hour on 2 cores); commit autograder/calibration/.
calibrate: install
	for t in ex1_add_dropout ex2_batch_normalization ex3_weight_regularization; do \
	  $(BIN)/python -m autograder.calibrate run $$t --seeds 20 || exit 1; done
	$(BIN)/python -m autograder.calibrate summarize

clean:
	rm -rf _build exercises/student
