# The course's commands. `make course` to set up and read; `make test` to check everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
BOOK   := build/book/_build/html
# uv installs the lock; its own version is pinned in the lock too, so one file says it.
UV_VERSION = $(shell sed -n 's/^uv==\([0-9.]*\).*/\1/p' requirements.txt)
# Python keeps its bytecode cache in the course's own .venv and folders: with
# PYTHONDONTWRITEBYTECODE set (some images set it), every kernel and service process
# compiled the SDK from source again, about half a second of CPU each (measured).
unexport PYTHONDONTWRITEBYTECODE
ALLOW_ROOT = $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: course setup lock book lab slides workshop test check grade exercises refresh text lint \
	format measure clean

course: book ## Set up, build the executed book, and say where to open it
	@echo
	@echo "The book:    file://$(CURDIR)/$(BOOK)/index.html"
	@echo "The lessons: make lab   (JupyterLab on notebooks/; exercises are in exercises/)"
	@echo "Grade work:  make grade"

setup: $(VENV)/.installed ## Create .venv and install the locked requirements with uv

# A bare venv, then uv (bootstrapped with the venv's pip), then the lock, exactly.
$(VENV)/.installed: requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "The course needs Python 3.11 or newer: make PYTHON=python3.12 ..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

lock: setup ## Re-pin every package from requirements.in into requirements.txt
	$(BIN)/uv pip compile requirements.in --universal --python-version 3.11 \
		--generate-hashes --quiet --custom-compile-command "make lock" -o requirements.txt

book: setup ## Build the book, executing every notebook (in parallel; warnings are errors)
	$(BIN)/python -m coursekit.book_build --out build/book

lab: setup ## Open the lessons in JupyterLab (the quickest way in)
	$(BIN)/jupyter lab --notebook-dir=. $(ALLOW_ROOT) $(LAB_ARGS) notebooks/01_incident.ipynb

slides: setup ## Render every lesson as an offline reveal.js deck in build/slides/
	$(BIN)/python -m coursekit.slides notebooks/*.ipynb --out build/slides

workshop: setup ## Every deck with speaker notes, the book and an index, offline: build/workshop/
	$(BIN)/python -m coursekit.workshop --out build/workshop

test: setup ## Run every test: shop, kit, notebooks, graders, book, browser (in parallel)
	$(BIN)/python -m pytest -n 4

check: setup ## The inner loop: lint, then the fast tests (about a minute)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n 2 -m "not slow" tests/

grade: setup ## Grade your exercises (or one: make grade EX=01)
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env -q -p no:xdist \
		$(if $(EX),exercises/$(EX)_*.ipynb,exercises/)

exercises: setup ## Re-run the solutions and regenerate the exercises from them
	$(BIN)/python -m coursekit.exercises --execute
	$(BIN)/python -m coursekit.notebook_files text solutions/*.ipynb

refresh: setup ## Re-run the lessons to update their checked outputs (and every text twin)
	$(BIN)/python -m coursekit.notebook_files refresh notebooks/*.ipynb
	$(BIN)/python -m coursekit.notebook_files text solutions/*.ipynb

text: setup ## Rewrite the text twins (text/*.md) of the lessons and solutions
	$(BIN)/python -m coursekit.notebook_files text notebooks/*.ipynb solutions/*.ipynb

lint: setup ## ruff: lint and format check
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

measure: setup ## Time and memory figures for the README
	$(BIN)/python scripts/measure.py

clean:
	rm -rf build _build
