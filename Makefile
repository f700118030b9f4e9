# Two commands: `make run` serves the playground, `make test` runs every test.
# Both do their own set-up on a fresh Debian/Ubuntu machine.
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PORT ?= 8001
# Worker processes that execute runs: one per core less one (the web server keeps a core), at least one.
WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 1 ] && echo $$((n - 1)) || echo 1)
RUN_DIR ?= .run
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint test-py test-js fuzz bench setup setup-test migrate chromium node axe redis postgresql clean

# Daphne, the demo API and $(WORKERS) runs workers under supervisord (playground/supervisord.conf),
# which starts any of them again if it dies. Ctrl-C stops them all.
run: setup migrate
	@mkdir -p $(RUN_DIR)
	@echo ""
	@echo "  The async playground: open http://$(HOST):$(PORT)/  ($(WORKERS) runs workers; Ctrl-C stops it)"
	@echo ""
	HOST=$(HOST) PORT=$(PORT) DEMO_PORT=$(DEMO_PORT) PLAYGROUND_WORKERS=$(WORKERS) PLAYGROUND_BIN=$(CURDIR)/$(BIN) \
	  $(BIN)/supervisord -c playground/supervisord.conf -j $(RUN_DIR)/supervisord.pid -q $(RUN_DIR)

test: setup-test migrate chromium node axe redis postgresql
	$(MAKE) lint
	$(MAKE) test-js
	$(MAKE) test-py

# The house's own checks: style, types, migrations in step with the models, and the
# production settings the README gives (a throwaway secret key, DEBUG off).
lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run
	PLAYGROUND_DEBUG=0 PLAYGROUND_ALLOWED_HOSTS=playground.example.org \
	  PLAYGROUND_SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

test-py:
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-js:
	node --test tests/js/

# The long random fuzzing campaign, not part of `make test` (which runs the same tests
# derandomized): FUZZ_EXAMPLES examples a surface -- the spec in-process, raw bodies and
# websocket messages through Daphne, the OpenAPI operations -- from a random seed. Each
# finding is listed at the end with its failing example and the command that replays it.
FUZZ_EXAMPLES ?= 10000
FUZZ_SEED ?= $(shell od -An -N4 -tu4 /dev/urandom | tr -d ' ')
FUZZ_TESTS := tests/test_fuzz_spec.py tests/test_fuzz_ws.py tests/test_fuzz_class_ws.py tests/test_openapi_schema.py

fuzz: setup-test
	HYPOTHESIS_PROFILE=fuzz FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
	  $(BIN)/python -m pytest -q -s $(FUZZ_TESTS) --hypothesis-seed=$(FUZZ_SEED) --timeout=0 $(PYTEST_ARGS)

# The benches' simulated browsers decode frames with msgspec (requirements-test.txt).
bench: setup-test
	$(BIN)/python bench/run_all.py

setup: $(VENV)/.installed
setup-test: $(VENV)/.installed-test

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV) || { \
	  echo "python3 -m venv failed; installing python3-venv"; \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y python3-venv && $(PYTHON) -m venv $(VENV); }

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt requirements-httpbin.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-httpbin.txt
	touch $@

migrate: setup
	$(BIN)/python manage.py migrate --noinput -v 0

# Browser tests drive Debian's Chromium (Playwright cannot download browsers here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  command -v apt-get >/dev/null 2>&1 || { echo "Chromium is missing: install it (package 'chromium') and run make test again."; exit 1; }; \
	  echo "Installing Chromium with apt-get (needs root or sudo)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

node:
	@command -v node >/dev/null 2>&1 || { \
	  command -v apt-get >/dev/null 2>&1 || { echo "Node.js is missing: install it (package 'nodejs') and run make test again."; exit 1; }; \
	  echo "Installing Node.js with apt-get for the timeline model's tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs; }

# axe-core, the accessibility checker tests/test_browser_a11y.py runs in Chromium: the exact
# version package-lock.json pins, from the npm registry, into node_modules/ (not committed).
# Done again only when package.json or package-lock.json changes.
axe: node_modules/.installed

node_modules/.installed: package.json package-lock.json | node
	@command -v npm >/dev/null 2>&1 || { \
	  command -v apt-get >/dev/null 2>&1 || { echo "npm is missing: install it (package 'npm') and run make test again."; exit 1; }; \
	  echo "Installing npm with apt-get for the accessibility checker"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The scale-out test runs two servers over a real Redis channel layer.
redis:
	@command -v redis-server >/dev/null 2>&1 || { \
	  command -v apt-get >/dev/null 2>&1 || { echo "redis-server is missing: install it (package 'redis-server') and run make test again."; exit 1; }; \
	  echo "Installing redis-server with apt-get for the scale-out test"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq redis-server; }

# The PostgreSQL tests start their own throwaway server from Debian's binaries (initdb, postgres).
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  command -v apt-get >/dev/null 2>&1 || { echo "PostgreSQL is missing: install it (package 'postgresql') and run make test again."; exit 1; }; \
	  echo "Installing PostgreSQL with apt-get for the PostgreSQL tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql; }

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* test-output $(RUN_DIR) node_modules
