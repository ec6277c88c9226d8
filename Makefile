# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= data/kb.db
PORT ?= 8001

.PHONY: install install-test demo build-demo serve test lint bench docs screenshots clean sample-knowledge

$(BIN)/kb: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	@touch $(BIN)/kb

install: $(BIN)/kb

$(VENV)/.test-extras: pyproject.toml $(BIN)/kb
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

install-test: $(VENV)/.test-extras

build-demo: install
	rm -f $(DB) $(DB)-wal $(DB)-shm
	$(BIN)/kb --db $(DB) ingest --sources data/sample/sources.toml

serve: install
	$(BIN)/kb --db $(DB) serve --port $(PORT)

demo: build-demo serve

test: install-test
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: install-test
	$(BIN)/ruff check .

bench: install-test
	$(BIN)/python bench/bench_ingest.py

# docs/cli.md from `kb --help`, canned queries and weights in docs/ from data/ (tests/test_docs.py checks them)
docs: install
	$(BIN)/python docs/gen_docs.py

# docs/images/*.png: the sample base served on loopback, shot with playwright and /usr/bin/chromium
screenshots: install-test
	$(BIN)/python docs/screenshots.py

clean:
	rm -rf $(VENV) $(DB) $(DB)-wal $(DB)-shm

# Rewrite the knowledge the sample corpus builds (tests/fixtures/sample_knowledge.json) on purpose.
# (SAMPLE_DB is per checkout, so two worktrees can rebuild at once.)
SAMPLE_DB ?= /tmp/newskb-sample-$(notdir $(CURDIR)).db
sample-knowledge: install
	rm -f $(SAMPLE_DB) $(SAMPLE_DB)-wal $(SAMPLE_DB)-shm
	$(BIN)/kb --db $(SAMPLE_DB) ingest --sources data/sample/sources.toml
	$(BIN)/python -m tests.knowledge $(SAMPLE_DB) > tests/fixtures/sample_knowledge.json
