# The two set-up commands: `make demo` and `make test`. Both bootstrap .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH_SPEC ?= torch==2.13.0
PYTEST_WORKERS ?= auto

.PHONY: install demo test lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e ".[all,dev]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/rewardgym demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy cannot follow the package-dir mapping of the editable install, so it checks
# a tree of links laid out as the installed package is.
typecheck: install
	rm -rf build/typecheck && mkdir -p build/typecheck/rewardgym
	ln -s $(CURDIR)/rewardgym/* build/typecheck/rewardgym/
	ln -s $(CURDIR)/envs build/typecheck/rewardgym/envs
	ln -s $(CURDIR)/rewards build/typecheck/rewardgym/rewards
	ln -s $(CURDIR)/agents build/typecheck/rewardgym/agents
	cd build/typecheck && $(CURDIR)/$(BIN)/mypy --config-file $(CURDIR)/pyproject.toml -p rewardgym

pytest: install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -q

test: lint typecheck pytest

bench: install
	$(BIN)/python benchmarks/throughput.py

clean:
	rm -rf $(VENV) build dist *.egg-info
