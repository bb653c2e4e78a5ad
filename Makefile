# Tongban — the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_WORKERS ?= auto

.PHONY: install demo serve test lint format browser clean benchmarks messages

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

## make demo: install, create the embedded database, load the demo city, serve on http://127.0.0.1:8000
demo: install
	$(BIN)/tongban db upgrade
	$(BIN)/tongban demo
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	$(BIN)/tongban serve --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/tongban serve --host $(HOST) --port $(PORT)

## make test: lint and type checks, then the whole suite (SQLite, plus PostgreSQL when
## TONGBAN_TEST_DATABASE_URL is set) including browser tests in headless Chromium.
test: install browser lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

## Debian's chromium and CJK fonts for browser tests and PDF rendering (installed when missing).
browser:
	@bash scripts/ensure-browser.sh

## make messages [TSV=file]: refresh the zh_CN catalog from code and templates (TSV adds translations)
messages: install
	$(BIN)/python scripts/messages.py $(TSV)

benchmarks: install
	@bash scripts/ensure-wrk.sh
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
