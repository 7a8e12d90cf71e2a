# The two commands: `make run` (the portal with the demo course) and `make test` (the whole suite + ruff).
# Both need only Python 3.11 on the machine; everything else is installed into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format worker bench bench-spike clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.test-deps: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

run: $(VENV)/.run-deps
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --relative
	@echo "Portal: http://$(HOST):$(PORT)/  (accounts in README.md, password portal-demo)"
	@if [ -n "$$REDIS_URL" ]; then \
		trap 'kill 0' EXIT INT TERM; \
		$(BIN)/celery -A portal worker --beat --loglevel=info & \
		$(BIN)/python manage.py runserver $(HOST):$(PORT); \
	else \
		$(BIN)/python manage.py runserver $(HOST):$(PORT); \
	fi

test: $(VENV)/.test-deps
	@sh scripts/ensure-chromium.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=portal.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

lint: $(VENV)/.test-deps
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(VENV)/.test-deps
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

worker: $(VENV)/.run-deps
	$(BIN)/celery -A portal worker --beat --loglevel=info

bench: $(VENV)/.test-deps
	$(BIN)/python bench/run.py

bench-spike: $(VENV)/.test-deps
	$(BIN)/python bench/spike.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles media
