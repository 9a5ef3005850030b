# The two commands: `make run` (the product) and `make test` (the suite).
# Both install what is missing into .venv and start an embedded PostgreSQL and Redis
# unless DATABASE_URL / REDIS_URL are set.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

# `make test TEST_NOW=2027-02-28T23:30:00+03:00` runs the suite at that instant;
# `make test-dates` runs it at each date of DATES (README, "Tests").
DATES := 2026-12-31T23:30:00+03:00 2027-02-28T12:00:00+03:00 2028-02-29T12:00:00+03:00 \
	2027-03-01T00:30:00+03:00 2026-12-04T19:30:00+03:00

.PHONY: run test test-dates browser install lint typecheck demo-logins bench bench-earn bench-dashboard bench-notify bench-webhook bench-card bench-http bench-move bench-scale bench-provisioning-growth bench-earn-http bench-jobs clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,local]"
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python devstack.py run

# The suite runs in TEST_WORKERS processes (pytest-xdist), each on a test database of
# its own; TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= 2

test: $(STAMP) browser
	TEST_NOW=$(TEST_NOW) $(BIN)/python devstack.py exec -- $(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

test-dates: $(STAMP) browser
	@for at in $(DATES); do \
	  echo "== make test at $$at"; \
	  TEST_NOW=$$at $(BIN)/python devstack.py exec -- $(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup -q $(PYTEST_ARGS) || exit 1; \
	done

browser:
	@sh devtools/ensure-browser.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy .

demo-logins: $(STAMP)
	$(BIN)/python devstack.py exec --profile run -- $(BIN)/python manage.py seed_demo --list

bench: $(STAMP)
	LOG_LEVEL=WARNING $(BIN)/python devstack.py exec --profile bench -- $(BIN)/python bench/provisioning.py
	LOG_LEVEL=WARNING $(BIN)/python devstack.py exec --profile bench -- $(BIN)/python bench/earn.py
	LOG_LEVEL=WARNING $(BIN)/python devstack.py exec --profile bench -- $(BIN)/python bench/dashboard.py
	LOG_LEVEL=WARNING $(BIN)/python devstack.py exec --profile bench -- $(BIN)/python bench/notify.py
	LOG_LEVEL=WARNING $(BIN)/python devstack.py exec --profile bench -- $(BIN)/python bench/webhook.py
	LOG_LEVEL=WARNING $(BIN)/python devstack.py exec --profile bench -- $(BIN)/python bench/card.py

# HTTP load on the production server (gunicorn, production settings) against the smallest
# earn endpoint, with wrk and an open-loop generator (bench/README.md, "HTTP load").
# BENCH_SECONDS (15) and BENCH_RUNS (3): `BENCH_SECONDS=3 BENCH_RUNS=1 make bench-http`.
bench-http: $(STAMP)
	LOG_LEVEL=WARNING $(BIN)/python devstack.py exec --profile bench -- $(BIN)/python -m bench.httpload

# The web card page's weight and first paint in headless Chromium (bench/README.md).
bench-card: $(STAMP) browser
	LOG_LEVEL=WARNING $(BIN)/python devstack.py exec --profile bench -- $(BIN)/python bench/card.py

# N merchants on one PostgreSQL (BENCH_MERCHANTS, default 1000; BENCH_RESUME=1 goes on
# where a run stopped): provisioning, migrate_schemas, request p50, catalog size.
bench-scale: $(STAMP)
	LOG_LEVEL=WARNING $(BIN)/python devstack.py exec --profile bench -- $(BIN)/python bench/scale.py

# merchant_create per block of 50 merchants up to 150, and what each merchant leaves
# on the public customers table (bench/README.md, docs/scaling.md item 6).
bench-provisioning-growth: $(STAMP)
	LOG_LEVEL=WARNING $(BIN)/python devstack.py exec --profile bench -- $(BIN)/python bench/provisioning_growth.py

bench-webhook: $(STAMP)
	LOG_LEVEL=WARNING $(BIN)/python devstack.py exec --profile bench -- $(BIN)/python bench/webhook.py

# The daily jobs and the beat jobs over 1,000 merchants x 1,000 members (bench/README.md);
# BENCH_MERCHANTS and BENCH_MEMBERS make it smaller, BENCH_WORKERS (4) sets the processes.
bench-jobs: $(STAMP)
	LOG_LEVEL=WARNING $(BIN)/python devstack.py exec --profile bench -- $(BIN)/python bench/jobs.py

bench-notify: $(STAMP)
	LOG_LEVEL=WARNING $(BIN)/python devstack.py exec --profile bench -- $(BIN)/python bench/notify.py

bench-dashboard: $(STAMP)
	LOG_LEVEL=WARNING $(BIN)/python devstack.py exec --profile bench -- $(BIN)/python bench/dashboard.py

bench-earn: $(STAMP)
	LOG_LEVEL=WARNING $(BIN)/python devstack.py exec --profile bench -- $(BIN)/python bench/earn.py

# What the HTTP side of one staff earn costs: statements, Redis commands, CPU, profile.
bench-earn-http: $(STAMP)
	LOG_LEVEL=WARNING $(BIN)/python devstack.py exec --profile bench -- $(BIN)/python bench/earn_http_profile.py

clean:
	rm -rf .local staticfiles

# Moving one merchant to another database (docs/scaling.md, bench/README.md).
bench-move: $(STAMP)
	LOG_LEVEL=WARNING $(BIN)/python devstack.py exec --profile bench -- $(BIN)/python bench/move.py
