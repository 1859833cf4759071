# Two commands do everything: `make run` (the hub with its demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
LOAD_VENV := .venv-load

.PHONY: run test lint bench load chaos schemas clean down

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	@bash infra/scripts/ensure-kafka.sh $(PY)
	$(VENV)/bin/hub up --demo

test: $(STAMP)
	@bash infra/scripts/ensure-browser.sh
	@bash infra/scripts/ensure-kafka.sh $(PY)
	$(VENV)/bin/ruff check libs services tests benchmarks
	$(VENV)/bin/mypy libs services benchmarks
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check libs services tests benchmarks
	$(VENV)/bin/mypy libs services benchmarks

chaos: $(STAMP)
	@bash infra/scripts/ensure-kafka.sh $(PY)
	$(PY) -m tests.faults --broker kafka --faults 24
	$(PY) -m tests.faults --broker tansu --faults 8 --writes 1200

bench: $(STAMP)
	@bash infra/scripts/ensure-kafka.sh $(PY)
	$(PY) -m benchmarks

# Locust lives in a virtual environment of its own (its dependencies are not the hub's).
$(LOAD_VENV)/.installed:
	@test -x $(LOAD_VENV)/bin/python || $(PYTHON) -m venv $(LOAD_VENV)
	$(LOAD_VENV)/bin/python -m pip install --quiet locust==2.47.0
	@touch $@

load: $(STAMP) $(LOAD_VENV)/.installed
	@bash infra/scripts/ensure-kafka.sh $(PY)
	$(PY) -m benchmarks.load --locust $(LOAD_VENV)/bin/locust

schemas: $(STAMP)
	$(PY) -m contracts export

down: $(STAMP)
	$(VENV)/bin/hub down

clean:
	rm -rf .hub .pytest_cache .mypy_cache .ruff_cache
