# Two commands on a fresh clone: `make demo` and `make test`. Only python3, pip and make are assumed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCALE ?= 1M

.PHONY: demo test install install-test browser spark lint format bench bench-refresh mutation mutation-sample clean

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

# Spark tests (tests/sql/test_spark_portability.py, marker `spark`): pyspark, the `spark` extra,
# and Java 17 for its local session, Debian's JRE where the machine has no java. Without Java the
# Spark tests skip and say so; everything else runs.
$(VENV)/.spark-deps: pyproject.toml $(VENV)/.test-deps
	$(BIN)/pip install -q -e '.[spark]'
	@touch $@

spark: $(VENV)/.spark-deps
	@command -v java >/dev/null || (apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null) \
	  || echo "no Java 17: the Spark tests will skip (apt-get install openjdk-17-jre-headless)"

demo: install
	$(BIN)/northstar demo build --scale $(SCALE)
	$(BIN)/northstar serve

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install-test browser spark lint
	$(BIN)/pytest -n 2 --dist loadgroup

bench: install-test
	$(BIN)/python benchmarks/bench_metrics.py

# Refresh vs full build (issue 12): builds a scratch demo at SCALE (1M: a few minutes), times a
# 1% new-rows ingest, a 0.1% late-update ingest and a metrics.yml edit, checks the numbers against
# pandas. BENCH_ARGS="--json refresh.json" also writes the figures.
bench-refresh: install
	$(BIN)/python benchmarks/bench_refresh.py --scale $(SCALE) $(BENCH_ARGS)

# Mutation testing, slow (an hour or more) and not part of `make test` or CI: mutmut mutates
# connectors/, warehouse/ and metric_layer/ ([tool.mutmut] in pyproject.toml), runs the fast tests
# against each mutant, then prints the kill rate per package (a timeout counts as killed).
# `mutmut results` lists the survivors, `mutmut show NAME` shows one.
# One package's kill rate from a seeded sample of its mutants (minutes to an hour, not hours):
# `make mutation-sample PKG=connectors N=150`; scripts/mutation_sample.py says how.
PKG ?= connectors
N ?= 150
mutation-sample: install-test
	$(BIN)/pip install -q -e '.[mutation]'
	$(BIN)/python scripts/mutation_sample.py $(PKG) --n $(N)

mutation: install-test
	$(BIN)/pip install -q -e '.[mutation]'
	@mkdir -p mutants/data  # mutmut copies data/README.md but does not make its folder
	$(BIN)/mutmut run --max-children 2 || true
	@$(BIN)/mutmut results --all true | awk '{ split($$1, name, "."); pkg = name[1]; \
	  status = $$2; if (status == "not") next; total[pkg]++; \
	  if (status == "killed" || status == "timeout") killed[pkg]++ } \
	  END { for (p in total) printf "%-14s %5d mutants %5d killed %5.1f%%\n", \
	  p, total[p], killed[p], 100 * killed[p] / total[p] }'

# data/README.md is tracked: empty the folder around it.
clean:
	rm -rf $(VENV) test-output mutants
	find data -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
