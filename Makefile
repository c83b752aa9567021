# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
FLASK := $(BIN)/flask --app tracker
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test setup db lint bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $(STAMP)

## setup: virtual environment, pinned requirements, migrations, demo data when the database is empty
setup: $(STAMP)
	$(FLASK) db upgrade
	$(FLASK) tracker seed-demo --if-empty

## run: serve the app on http://127.0.0.1:5000 with the embedded SQLite database
run: setup
	$(FLASK) run --host $(HOST) --port $(PORT)

## test: the whole test suite (SQLite; set TEST_DATABASE_URL for PostgreSQL)
test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## bench: the pages under gunicorn at 32 connections with wrk, against two floors (see bench/README.md)
bench: setup
	@command -v wrk >/dev/null || { echo "== installing Debian's wrk (the load generator)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
