# Two commands on a fresh clone: `make demo` and `make test`. Only python3, pip and make are assumed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCALE ?= 1M

.PHONY: demo test install install-test browser lint format bench clean

$(BIN)/northstar: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	@touch $@

# `make install`: only the virtualenv and the `northstar` command (.venv/bin/northstar); no demo data.
install: $(BIN)/northstar

$(VENV)/.test-deps: pyproject.toml $(BIN)/northstar
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

install-test: $(VENV)/.test-deps

# Browser tests drive Debian's chromium (Playwright never downloads its own browser here).
browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
	  || (echo "install Debian's chromium (apt-get install chromium) for the browser tests" && exit 1)

demo: install
	$(BIN)/northstar demo build --scale $(SCALE)
	$(BIN)/northstar serve

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install-test browser lint
	$(BIN)/pytest -n 2 --dist loadgroup

bench: install-test
	$(BIN)/python benchmarks/bench_metrics.py

# data/README.md is tracked: empty the folder around it.
clean:
	rm -rf $(VENV) test-output
	find data -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
