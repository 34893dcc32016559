# Two commands do all the set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench messages clean

$(STAMP): pyproject.toml setup.py helpline/distress/_native.c
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

## run: the whole service on this machine (web, alert worker, embedded Redis when REDIS_URL is unset)
run: $(STAMP)
	$(BIN)/helpline serve

## test: the whole test suite against real Redis, HTTP, loopback Twilio and headless Chromium
test: $(STAMP)
	bash scripts/ensure-chromium
	$(BIN)/python -m pytest

## bench: every benchmark, printing figures
bench: $(STAMP)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

## messages: extract messages.pot and update the catalogs
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -o locales/messages.pot --no-location --omit-header .
	$(BIN)/pybabel update -i locales/messages.pot -d locales --no-fuzzy-matching --omit-header

clean:
	rm -rf $(VENV) build *.egg-info helpline/distress/_native*.so
