# The two commands: `make run` and `make test`. Everything else is set up on the way.
VENV   := .venv
PY     := $(VENV)/bin/python
# The database: AUDIT_DB, else the default of audit/settings.py.
DB     ?= $(or $(AUDIT_DB),data/audit.duckdb)
PORT   ?= 8501
HOST   ?= 0.0.0.0
DEMO_FINDINGS ?= 20000

.PHONY: run test lint demo bench clean-demo debian-deps

$(PY):
	python3 -m venv $(VENV)

# Reinstall only when a requirements file changed.
$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.installed

$(DB): | $(VENV)/.installed
	$(PY) -m audit demo --db $(DB) --findings $(DEMO_FINDINGS) --seed 2020 --accounts

# The ASGI app (audit/ui/server.py): Streamlit's pages plus the app's routes, headers and scheduled backups.
run: $(VENV)/.installed $(DB)
	AUDIT_DB=$(DB) $(PY) -m uvicorn audit.ui.server:app --host $(HOST) --port $(PORT) --no-access-log

# Debian packages the tests need (.ci/debian-packages): installed when run as root, else one command to run is shown.
debian-deps:
	.ci/debian-deps

test: debian-deps lint
	$(PY) -m pytest

# Lint rules, the code's format, and the import-linter contracts (layers, store behind services, streamlit only in the UI).
lint: $(VENV)/.installed-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports --no-logo

bench: $(VENV)/.installed-dev
	for b in bench/*.py; do $(PY) $$b || exit 1; done

clean-demo:
	rm -f $(DB) $(DB).wal $(DB).server
