# Lägesbild: `make run` serves a demo county; `make test` checks everything CI checks.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SOURCES := service schemas adapters migrations tests bench

.PHONY: install run test check format lint types unit api stream browser chromium speech nginx bench bench-instances fuzz faults deploy-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstalls whenever pyproject.toml changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# With DATABASE_URL unset: an embedded PostgreSQL in ./var and the demo county.
run: install
	$(BIN)/lagesbild $(if $(DATABASE_URL),serve,demo)

format: install
	$(BIN)/ruff format $(SOURCES)

lint: install
	$(BIN)/ruff format --check $(SOURCES)
	$(BIN)/ruff check $(SOURCES)

types: install
	$(BIN)/mypy

check: lint types

# The browser tests drive Debian's Chromium; install it when it is missing (as root).
CHROMIUM ?= /usr/bin/chromium
chromium:
	@test -x $(CHROMIUM) || { \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@command -v pdftoppm >/dev/null && command -v pdftotext >/dev/null || { \
		echo "Installing Debian's poppler-utils (pdftoppm, pdftotext) for the printed pages"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils; }

# The Rakel read-out is measured by speaking it (tests/readout).
speech:
	@command -v espeak-ng >/dev/null || { \
		echo "Installing Debian's espeak-ng for the spoken read-out"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng; }

# deploy/ is run as tested with Debian's nginx (tests/faults/); install it when missing.
NGINX ?= /usr/sbin/nginx
nginx:
	@test -x $(NGINX) || { \
		echo "Installing Debian's nginx for the deployment and fault tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; }

# pytest exits non-zero when no test ran (5), so an empty run fails here too.
test: check chromium speech nginx
	$(BIN)/python -m pytest

browser: install chromium
	$(BIN)/python -m pytest tests/browser

unit: install
	$(BIN)/python -m pytest tests/unit

api: install
	$(BIN)/python -m pytest tests/api

stream: install
	$(BIN)/python -m pytest tests/stream

bench: install
	$(BIN)/python -m bench

# nginx (deploy/nginx.conf) in front of two instances on one PostgreSQL, all on loopback:
# viewers on both, reports through either, one instance SIGKILLed (tests/faults/deploy.py).
deploy-test: install nginx
	$(BIN)/python -m tests.faults.deploy

# The full kill-and-drop harness (the suite runs a small version in tests/faults/);
# prints its figures. FAULTS=… passes options, e.g. FAULTS="--only stream".
faults: install
	$(BIN)/python -m bench.faults $(FAULTS)

# Two instances against one behind nginx: the stream's fan-out capacity (bench/instances.py).
bench-instances: install nginx
	$(BIN)/python -m bench.instances

# The long fuzz run: 1 000 generated requests per operation and role (EXAMPLES=… to change).
EXAMPLES ?= 1000
fuzz: install
	$(BIN)/python -m bench.fuzz --examples $(EXAMPLES)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis test-artifacts
