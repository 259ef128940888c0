# retentionkit developer entry points. Every target installs what it needs itself.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo
DEMO_DB ?= $(DEMO_DIR)/retentionkit.duckdb

.PHONY: install test test-fast demo bench fuzz lint lint-imports typecheck browser postgres clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the browser tests (never `playwright install`, which downloads its own build).
browser:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "warning: could not install chromium; browser tests will be skipped"
	@# a CJK font, so the Chinese survey page (docs/surveys-zh.png) shows its characters
	@fc-list 2>/dev/null | grep -qi -e wqy -e "noto.*cjk" || \
	  (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-zenhei >/dev/null 2>&1) || \
	  echo "warning: no CJK font; the Chinese survey screenshot will show boxes"

# Debian's PostgreSQL server programs for the PostgreSQL tests (tests/conftest.py pg_server runs
# initdb and pg_ctl itself, on loopback, in a temporary folder; nothing is started here and the
# package's own cluster is not used).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) || \
	  echo "warning: could not install postgresql; PostgreSQL tests will be skipped"

test: $(STAMP) browser postgres lint-imports
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q --durations=25

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(STAMP) lint-imports typecheck
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

# mypy over the packages listed in pyproject.toml's [tool.mypy] files; part of `make lint`, not
# of `make test` (a cold run takes minutes on a loaded machine; lint-imports is in both).
typecheck: $(STAMP)
	$(BIN)/mypy

# Import rules of pyproject.toml [tool.importlinter]: core never imports a face, faces never
# import each other (docs/architecture.md).
lint-imports: $(STAMP)
	$(BIN)/lint-imports

demo: $(STAMP)
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	$(BIN)/retentionkit generate --out $(DEMO_DIR)/data --customers 5000 --months 30 --seed 7 --kind both
	$(BIN)/retentionkit --db $(DEMO_DB) load-dir $(DEMO_DIR)/data
	$(BIN)/retentionkit --db $(DEMO_DB) metrics --period month --last 6
	$(BIN)/retentionkit --db $(DEMO_DB) serve

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# The large fuzz run (docs/reliability.md): FUZZ_EXAMPLES Hypothesis examples per fuzz test
# (9 tests: 7 tables, GET routes, uploads; 1,200 → 10,800 cases, ≈ 0.1 s of CPU each) on
# FUZZ_WORKERS processes; the counters (cases per table and route, internal errors, partial
# writes, wall time) go to fuzz-report.json.gw* and are summed on screen.
FUZZ_EXAMPLES ?= 1200
FUZZ_WORKERS ?= 1
fuzz: $(STAMP)
	rm -f fuzz-report.json.*
	RK_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) RK_FUZZ_REPORT=fuzz-report.json \
	  $(BIN)/python -m pytest tests/fuzz -n $(FUZZ_WORKERS) -q; status=$$?; \
	  $(BIN)/python tests/fuzz/summary.py fuzz-report.json; exit $$status

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache
