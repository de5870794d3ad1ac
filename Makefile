# The two commands: `make run` and `make test`. Everything they need is installed by them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app
AXE_VERSION := 4.14.1
AXE    := .cache/axe-core-$(AXE_VERSION)/axe.min.js
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run serve test test-sqlite test-postgresql install install-dev translations extract-messages vendor clean bench-live

run: install translations
	$(FLASK) db upgrade
	$(FLASK) demo load --if-empty
	@echo "Serving the portal on http://$(HOST):$(PORT) (Ctrl+C to stop)"
	$(FLASK) run --host $(HOST) --port $(PORT)

# Production-like: gunicorn with several workers (set DATABASE_URL, SECRET_KEY, REDIS_URL, APP_ENV=production).
serve: install translations
	$(FLASK) db upgrade
	$(BIN)/gunicorn --config gunicorn.conf.py "app:create_app()"

test: install-dev translations $(AXE)
	@rm -rf test-output && mkdir -p test-output
	PORTAL_TEST_DB=sqlite $(BIN)/pytest $(PYTEST_ARGS) --junitxml=test-output/sqlite.xml
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  PORTAL_TEST_DB="$$TEST_DATABASE_URL" $(BIN)/pytest $(PYTEST_ARGS) --junitxml=test-output/postgresql.xml; \
	else \
	  echo ""; echo "*** SKIPPED: the PostgreSQL run (set TEST_DATABASE_URL=postgresql://… to run the suite on PostgreSQL too) ***"; echo ""; \
	fi

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Catalogs are compiled here, never committed as .mo.
translations: install
	$(BIN)/pybabel compile -d translations

extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o translations/messages.pot --ignore-dirs='.venv .cache tests bench node_modules' .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

# The live dialogue page: polling or server-sent events, measured on both databases (docs/performance.md).
# Needs PostgreSQL and Redis on 127.0.0.1 (see the services in docs/performance.md) and wrk.
bench-live: install translations
	$(BIN)/pip install -q -r bench/requirements.txt
	@mkdir -p bench/results
	$(BIN)/python bench/live_transport.py --db sqlite --json bench/results/live-sqlite.json
	$(BIN)/python bench/live_transport.py --db postgresql --json bench/results/live-postgresql.json

# axe-core for the accessibility checks of the browser tests (test-only, not served).
$(AXE):
	@mkdir -p $(dir $@)
	cd $(dir $@) && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && tar xzf axe-core-$(AXE_VERSION).tgz package/axe.min.js && mv package/axe.min.js . && rm -rf package *.tgz

vendor:
	scripts/vendor-static.sh

clean:
	rm -rf $(VENV) .cache test-output .pytest_cache
