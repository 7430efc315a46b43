# wire-dedup: `make run` installs what the CLI needs and runs the demo; `make test` adds the
# development extra (pytest, ruff, Spark, Redis, Selenium) and runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install install-dev run test lint bench bench-index bench-spark clean bench-report screenshots

## Two stamps, so that `make run` then `make test` (or the other way round) installs each part
## once: the CLI and its Parquet reader for the demo, the dev extra (about 1 GB) only for tests.
install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

$(VENV)/.installed: setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[parquet]'
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

## The demo: cluster the samples, then diff a wire story with a broadcaster's partial rewrite.
## The CLI is installed with the parquet extra, since samples/ holds a Parquet file.
run: install
	$(BIN)/dedup scan samples/
	$(BIN)/dedup diff samples/wire/meridian/oss-floods.txt samples/radio-vell/oss-floods.txt --context samples/

test: install-dev
	$(BIN)/python -m pytest -q

lint: install-dev
	$(BIN)/ruff check dedup tests benchmarks
	$(BIN)/ruff format --check dedup tests benchmarks

## Benchmarks print a table to stdout (progress on stderr); see README, "Quality and performance".
bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/scan_speed.py

## rensa, the fastest peer make bench compares with; without it the table has no rensa rows.
$(VENV)/.installed-bench: $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet -e '.[bench]' || echo "rensa not installed: no rensa rows"
	touch $@

bench-index: install-dev
	$(BIN)/python benchmarks/index_speed.py

bench-spark: install-dev
	$(BIN)/python benchmarks/spark_speed.py

## Size and build time of the HTML report on 2,000 generated stories (STORIES=20000 for more).
STORIES ?= 2000
bench-report: install-dev
	$(BIN)/python benchmarks/report_size.py --stories $(STORIES)

## PNGs at 1280 and 390 px of the samples report (OUT/samples) and of a report of
## SHOT_STORIES generated stories (OUT/20000; a few minutes); chromium and chromedriver needed.
OUT ?= build/screenshots
SHOT_STORIES ?= 20000
screenshots: install-dev
	SCREENSHOTS=$(abspath $(OUT))/samples $(BIN)/python -m pytest -q tests/test_html_browser.py -k screenshots
	mkdir -p $(OUT)
	$(BIN)/python -c "from benchmarks import synth; synth.write_corpus('$(OUT)/corpus-$(SHOT_STORIES).jsonl', $(SHOT_STORIES), seed=7)"
	SCREENSHOTS=$(abspath $(OUT))/$(SHOT_STORIES) SCREENSHOTS_INPUT=$(abspath $(OUT))/corpus-$(SHOT_STORIES).jsonl \
	    $(BIN)/python -m pytest -q tests/test_html_browser.py -k screenshots

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
