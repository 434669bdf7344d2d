# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
CHECKSUM := $(shell cksum pyproject.toml | cut -d' ' -f1)
# What is installed, per pyproject.toml: the site's dependencies (for `make run`), or
# those and the test tools (`make test`), which also stands for the first.
STAMP := $(VENV)/.installed-dev-$(CHECKSUM)
RUN_STAMP := $(VENV)/.installed-run-$(CHECKSUM)

.PHONY: install run test lint bench bench-imports bench-scale clean-db

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@ $(RUN_STAMP)

# Without the test tools (browser driver, S3 server, linters): a faster first `make run`.
$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	rm -f $(VENV)/.installed-run-*
	touch $@

install: $(STAMP)

## Serve the site with demo data on http://127.0.0.1:$(PORT) (plain HTTP, so HTTPS=0)
run: export HTTPS = 0
run: $(RUN_STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py run_site --port $(PORT)

## Run the whole test suite (browser tests need Chromium; REQUIRE_BROWSER=1 makes them mandatory)
test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python bench/percentiles.py

## The home page's latency while three 100,000-line imports run (a few minutes)
bench-imports: install
	$(BIN)/python bench/imports.py

## One web node against two nodes and a streaming replica (DATABASE_URL: the demo; ~4 min)
bench-scale: install
	$(BIN)/python bench/scale.py
