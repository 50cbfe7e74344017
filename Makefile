# Two commands matter: `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install messages lint typecheck pytest fuzz bench clean

# Development: the public development SECRET_KEY is allowed (production start-up refuses it).
demo test pytest fuzz messages install lint typecheck: export OTKLIK_DEV = 1

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

# Front-end libraries (Chart.js) come from npm, pinned by package-lock.json.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.package-lock.json

messages: install
	$(PY) manage.py compilemessages -l ru --ignore '.venv' >/dev/null

demo: install messages
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py collectstatic --noinput -v0
	@bash scripts/demo.sh $(HOST) $(PORT)

lint: install
	$(VENV)/bin/ruff check otklik tests bench
	$(VENV)/bin/lint-imports

typecheck: install
	$(VENV)/bin/mypy otklik

pytest: install messages
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

# The long API fuzz (make test runs 4 cases per operation, derandomised): new random cases every run.
FUZZ_EXAMPLES ?= 300
fuzz: install messages
	OTKLIK_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) OTKLIK_FUZZ_RANDOM=1 $(VENV)/bin/pytest tests/security/test_api_fuzz.py

# Every benchmark at one size (bench/suite.py): a JSON record per run in bench/results/.
BENCH_SIZE ?= small
bench: install messages
	$(PY) bench/suite.py --size $(BENCH_SIZE) $(if $(BENCH_ONLY),--only $(BENCH_ONLY))

clean:
	rm -rf $(VENV) var
