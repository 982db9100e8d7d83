# The course's commands. `make course` to set up and read; `make test` to check everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
BOOK   := build/book/_build/html

.PHONY: course setup book lab slides test grade exercises refresh lint format measure clean

course: book ## Set up, build the executed book, and say where to open it
	@echo
	@echo "The book:    file://$(CURDIR)/$(BOOK)/index.html"
	@echo "The lessons: make lab   (JupyterLab on notebooks/; exercises are in exercises/)"
	@echo "Grade work:  make grade"

setup: $(VENV)/.installed ## Create .venv and install everything

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

book: setup ## Build the book, executing every notebook (warnings are errors)
	rm -rf build/book
	$(BIN)/jupyter-book build . --config book/_config.yml --toc book/_toc.yml \
		--path-output build/book -W -n --keep-going

lab: setup ## Open the lessons in JupyterLab
	$(BIN)/jupyter lab --notebook-dir=. $(if $(filter 0,$(shell id -u)),--allow-root) \
		notebooks/01_incident.ipynb

slides: setup ## Render every lesson as an offline reveal.js deck in build/slides/
	$(BIN)/python -m coursekit.slides notebooks/*.ipynb --out build/slides

test: setup ## Run every test: shop, kit, notebooks under nbval, graders, book, browser
	$(BIN)/python -m pytest

grade: setup ## Grade your exercises (or one: make grade EX=01)
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env -q \
		$(if $(EX),exercises/$(EX)_*.ipynb,exercises/)

exercises: setup ## Re-run the solutions and regenerate the exercises from them
	$(BIN)/python -m coursekit.exercises --execute

refresh: setup ## Re-run the lessons to update their checked outputs
	$(BIN)/python -m coursekit.notebook_files refresh notebooks/*.ipynb

lint: setup ## ruff: lint and format check
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

measure: setup ## Time and memory figures for the README
	$(BIN)/python scripts/measure.py

clean:
	rm -rf build _build
