# Two commands for a fresh machine: `make run` and `make test` (see README).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install install-dev migrate seed bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

translations: install
	$(VENV)/bin/pybabel compile -d translations -f >/dev/null

migrate: install translations
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed --demo
	$(FLASK) bootstrap

run: seed
	@echo
	@echo "  ЦНАП «Віза» is starting on http://$(HOST):$(PORT)/"
	@echo "  start page ............ http://$(HOST):$(PORT)/"
	@echo "  booking (citizens) .... http://$(HOST):$(PORT)/book"
	@echo "  kiosk (main office) ... http://$(HOST):$(PORT)/kiosk/main"
	@echo "  hall board ............ http://$(HOST):$(PORT)/display/main"
	@echo "  operator .............. http://$(HOST):$(PORT)/operator"
	@echo "  administration ........ http://$(HOST):$(PORT)/admin"
	@echo "  API ................... http://$(HOST):$(PORT)/api/v1/openapi.json"
	@echo "  log in as 'admin' with the password printed above on first run"
	@echo
	$(VENV)/bin/gunicorn -k gevent -w 1 -b $(HOST):$(PORT) --access-logfile - --access-logformat '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms' wsgi:app

test: install-dev translations
	$(PY) -m pytest -q $(PYTEST_ARGS)

bench: install-dev
	$(PY) -m bench

clean:
	rm -rf $(VENV) instance/queue.sqlite3*
