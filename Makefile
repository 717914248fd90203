# Two commands do all set-up on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := FLASK_APP=wsgi $(BIN)/flask
STAMPS := .make
PORT ?= 5000
# PostgreSQL the integration tests build their own database in (it is created and dropped).
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=

.PHONY: run test install assets translations database system-packages services lint clean

STANDIN_PORT ?= 8025

run: install assets translations database
	@echo
	@echo "  The feedback service is starting. Open http://127.0.0.1:$(PORT)/ in your browser."
	@echo "  Try a survey at http://127.0.0.1:$(PORT)/s/video-appointments  (Ctrl+C stops it)"
	@echo "  Try the SMS survey on a pretend phone: http://127.0.0.1:$(PORT)/dev/phone/"
	@echo "  Staff sign in at http://127.0.0.1:$(PORT)/sign-in with password \"try the demo service\":"
	@echo "    volunteer@demo.invalid, lead@demo.invalid or admin@demo.invalid. The lead and admin"
	@echo "    also need a code: FLASK_APP=wsgi .venv/bin/flask demo code lead@demo.invalid"
	@echo
	@# The local Twilio stand-in runs beside the app and stops with it.
	$(BIN)/python -m sms.standin --port $(STANDIN_PORT) \
	    --inbound-url http://127.0.0.1:$(PORT)/sms/inbound & \
	  trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	  TWILIO_API_BASE_URL=http://127.0.0.1:$(STANDIN_PORT) PUBLIC_BASE_URL=http://127.0.0.1:$(PORT) \
	  $(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install assets translations system-packages services
	$(BIN)/ruff check feedback sms tests bench
	$(BIN)/pytest $(PYTEST_ARGS) -m "not browser"
	TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
	  $(BIN)/pytest $(PYTEST_ARGS) -m "not browser" tests/integration -p no:cacheprovider
	$(BIN)/pytest $(PYTEST_ARGS) -m browser
	$(BIN)/pytest $(PYTEST_ARGS) -m faults tests/faults -p no:cacheprovider

install: $(STAMPS)/python $(STAMPS)/node

$(STAMPS)/python: setup.cfg pyproject.toml
	@mkdir -p $(STAMPS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

$(STAMPS)/node: package.json package-lock.json
	@mkdir -p $(STAMPS)
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

assets: $(STAMPS)/node
	npm run --silent build

translations: $(STAMPS)/python
	$(FLASK) translate compile

# The embedded SQLite database: migrate, load the question bank, load demo data once.
database: $(STAMPS)/python translations
	$(FLASK) db upgrade
	$(FLASK) bank sync
	$(FLASK) demo load

# Debian packages the tests need: Chromium for the browser tests, fonts for every shipped
# script, Pango for WeasyPrint's paper forms, and poppler-utils to read the PDFs back.
SYSTEM_PACKAGES := chromium fonts-noto-core libpango-1.0-0 libpangoft2-1.0-0 poppler-utils
system-packages:
	@if ! command -v chromium >/dev/null || ! command -v pdftoppm >/dev/null \
	    || ! fc-list | grep -q "Noto Nastaliq Urdu"; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(SYSTEM_PACKAGES); \
	  else \
	    echo "Install Debian's $(SYSTEM_PACKAGES) (sudo apt-get install $(SYSTEM_PACKAGES))"; exit 1; \
	  fi; \
	fi

# The tests use the machine's PostgreSQL and Redis for real: fail, never skip, without them.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not running on 127.0.0.1:5432"; exit 1; }
	@$(BIN)/python -c "import redis,sys; redis.Redis.from_url('$(TEST_REDIS_URL)').ping()" \
	  || { echo "Redis is not running on 127.0.0.1:6379"; exit 1; }

lint: $(STAMPS)/python
	$(BIN)/ruff check feedback sms tests bench

clean:
	rm -rf $(VENV) $(STAMPS) node_modules feedback/static/dist instance
