# `make run` and `make test` each set up everything they need on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FRONTEND := survey_app/static/build/survey.css
# The key-encryption key goes only to the commands that need it (keys, demo, worker), never to
# `serve`: the web process must not hold it (DESIGN.md, Rules). `env -u` also strips a value the
# caller's shell may have exported. The case key is for the web process and the worker.
KEK_FILE ?= $(CURDIR)/var/keys/kek.key
export SURVEY_CASE_KEY_FILE ?= $(CURDIR)/var/keys/case.key
WITH_KEK := SURVEY_KEY_FILE=$(KEK_FILE)
WITHOUT_KEK := env -u SURVEY_KEY_FILE

.PHONY: run test install frontend chromium clean

$(BIN)/survey-app: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/survey-app

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts

$(FRONTEND): node_modules/.package-lock.json $(wildcard survey_app/frontend/*.scss)
	npm run --silent build

frontend: $(FRONTEND)

# Browser tests drive Debian's chromium; Playwright's own browser download does not work here.
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

run: install frontend
	$(WITH_KEK) $(BIN)/survey-app keys init --if-missing
	$(WITHOUT_KEK) $(BIN)/survey-app db upgrade
	$(WITH_KEK) $(BIN)/survey-app demo --responses 200
	$(WITH_KEK) $(BIN)/survey-app worker & WORKER=$$!; \
	trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	$(WITHOUT_KEK) $(BIN)/survey-app serve --host 127.0.0.1 --port 8000

# Two workers, each taking whole test files (module-scoped servers start once per file).
test: install frontend chromium
	$(BIN)/pytest -q -p no:cacheprovider -n 2 --dist loadfile

clean:
	rm -rf $(VENV) node_modules survey_app/static/build var
