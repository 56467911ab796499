# The two set-up commands: `make demo` and `make test`. Both bootstrap .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH_SPEC ?= torch==2.13.0
PYTEST_WORKERS ?= auto

.PHONY: install system-deps demo test lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e ".[all,dev]"
	touch $@

install: $(VENV)/.installed

# Debian packages the tests need: Chromium for the web envs' browser backend
# (Playwright's own browser download needs the internet) and EGL/Mesa for MuJoCo's
# offscreen rendering. Installed with apt when missing (as root, or through sudo).
SYSTEM_PACKAGES ?= chromium libegl1 libgl1-mesa-dri
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" \
		|| missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if ! command -v apt-get >/dev/null; then \
			echo "system packages missing:$$missing (install them; the tests that need them skip)"; \
			exit 0; fi; \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		echo "installing$$missing"; \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing \
		|| { $$sudo apt-get update -qq && \
		     DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; }; \
	fi

# The quick benchmark suite: one task per family with random, oracle and short-trained
# agents (a few minutes on 2 cores); `rewardgym demo` is the one-minute tour.
demo: install
	$(BIN)/rewardgym bench quick

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

pytest: install system-deps
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -q

test: lint typecheck pytest

bench: install
	$(BIN)/python benchmarks/throughput.py

clean:
	rm -rf $(VENV) build dist *.egg-info
