# wire-dedup: `make run` sets everything up and runs the demo; `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test lint bench bench-index bench-spark clean

install: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

## The demo: cluster the samples, then diff a wire story with a broadcaster's partial rewrite.
run: install
	$(BIN)/dedup scan samples/
	$(BIN)/dedup diff samples/wire/meridian/oss-floods.txt samples/radio-vell/oss-floods.txt

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check dedup tests benchmarks
	$(BIN)/ruff format --check dedup tests benchmarks

## Benchmarks print a table to stdout (progress on stderr); see README, "Quality and performance".
bench: install
	$(BIN)/python benchmarks/scan_speed.py

bench-index: install
	$(BIN)/python benchmarks/index_speed.py

bench-spark: install
	$(BIN)/python benchmarks/spark_speed.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
