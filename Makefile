# Concord: `make run` sets everything up and starts web + worker + beat with demo data;
# `make test` runs the whole test suite. Both work from a fresh checkout.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run node test setup lint check bench-smoke clean

$(BIN)/python:
	@bash .ci/ensure-venv "$(PYTHON)" "$(VENV)"

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

setup: $(VENV)/.installed
	@$(BIN)/python .ci/compile-messages
	@$(BIN)/python .ci/local-secret-key

run: setup
	@HOST=$(HOST) PORT=$(PORT) bash .ci/run-local

# One of two demo national nodes that federate: make node NODE=fr, and make node NODE=de.
node: setup
	@HOST=$(HOST) NODE=$(NODE) bash .ci/run-local

test: setup
	@bash .ci/test-suite

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: setup
	DEBUG=true $(BIN)/python manage.py check
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf var/
