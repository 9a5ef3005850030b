# The two commands: `make run` (the product) and `make test` (the suite).
# Both install what is missing into .venv and start an embedded PostgreSQL and Redis
# unless DATABASE_URL / REDIS_URL are set.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test install lint typecheck demo-logins bench bench-earn bench-dashboard bench-notify clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,local]"
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python devstack.py run

test: $(STAMP)
	$(BIN)/python devstack.py exec -- $(BIN)/pytest $(PYTEST_ARGS)

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

bench-notify: $(STAMP)
	LOG_LEVEL=WARNING $(BIN)/python devstack.py exec --profile bench -- $(BIN)/python bench/notify.py

bench-dashboard: $(STAMP)
	LOG_LEVEL=WARNING $(BIN)/python devstack.py exec --profile bench -- $(BIN)/python bench/dashboard.py

bench-earn: $(STAMP)
	LOG_LEVEL=WARNING $(BIN)/python devstack.py exec --profile bench -- $(BIN)/python bench/earn.py

clean:
	rm -rf .local staticfiles
