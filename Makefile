# The two commands of the README: `make demo` and `make test`. Both build the virtual
# environment first, so they work on a fresh machine with only Python 3.11 and pip.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench fuzz clean

$(BIN)/rempart: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { echo "Python >= 3.11 is needed (PYTHON=$(PYTHON)); set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(BIN)/rempart

# An editable install leaves Rempart's modules uncompiled: where PYTHONDONTWRITEBYTECODE is
# set, every command would compile them again (a tenth of a second per start-up). Only the
# files changed since the last run are compiled.
setup: $(BIN)/rempart
	@$(BIN)/python -m compileall -q src

demo: setup
	$(BIN)/rempart demo --workspace rempart-demo

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q

# Rempart as a hospital installs it (no dev extras: no Ibis, PySpark, pandas), for the
# benches that run it as a whole process (bench_sigma.py uses it when it exists).
BENCH_VENV ?= .venv-bench
$(BENCH_VENV)/bin/rempart: pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -e '.[bench]'
	@touch $(BENCH_VENV)/bin/rempart

bench: setup $(BENCH_VENV)/bin/rempart
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@echo "benchmarks: see bench/README.md"

# the long mutation run of docs/reliability.md (RUNS=100000 for a night)
RUNS ?= 2000
fuzz: setup
	$(BIN)/python bench/fuzz_sources.py --runs $(RUNS)

clean:
	rm -rf $(VENV) $(BENCH_VENV) rempart-demo rempart-workspace .pytest_cache .mypy_cache .ruff_cache
