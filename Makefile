# anfragen: two commands on a fresh machine
#   make app    installs everything, builds the index over the bundled corpus, starts the app
#   make test   installs everything and runs the tests
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501
# the app listens on this machine only; HOST=0.0.0.0 make app to listen on all interfaces
HOST ?= 127.0.0.1

.PHONY: install lock app index test test-fast lint eval eval-check check-contract clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	@# uv installs the locked versions in seconds; where it cannot be had, pip installs the same
	@# lock, only slower (the next step picks whichever is there)
	-$(BIN)/pip install -q uv || $(BIN)/pip install -q --upgrade pip

# uv (the machine's, else the venv's) resolves nothing: it installs the versions in
# requirements.lock, the ones our figures were measured with
UV = $(shell command -v uv 2>/dev/null || { test -x $(BIN)/uv && echo $(BIN)/uv; })
PIP_INSTALL = $(if $(UV),$(UV) pip install -q --python $(BIN)/python,$(BIN)/pip install -q)
# torch must be the CPU build, never PyPI's multi-GB CUDA one. A wheel folder in pip's
# configuration (find-links, as on our build machines) holds it; uv does not read pip's
# configuration, so the folder is handed to it and torch comes with the lock in one step.
# Elsewhere pip installs torch first (README: the CPU wheel index).
FIND_LINKS := $(shell $(PY) -m pip config get global.find-links 2>/dev/null)

$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(if $(and $(UV),$(FIND_LINKS)),$(PIP_INSTALL) --find-links $(FIND_LINKS) torch==2.13.0 \
		-r requirements.lock,$(BIN)/pip install -q torch==2.13.0 && $(PIP_INSTALL) -r requirements.lock)
	$(PIP_INSTALL) --no-deps -e .
	touch $@

# after a change to the dependencies in pyproject.toml; torch stays pinned above
lock:
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 --no-emit-package torch \
		-o requirements.lock

install: $(VENV)/.installed

# make index always brings the index up to date (changed documents only); make app builds it
# only when it is missing or older than the corpus, so a second start goes straight to the app
CORPUS_FILES := $(shell find data/corpus -type f 2>/dev/null)

index: install
	$(BIN)/anfragen ingest data/corpus --index index

index/manifest.json: $(VENV)/.installed $(CORPUS_FILES)
	$(BIN)/anfragen ingest data/corpus --index index
	touch $@

app: index/manifest.json
	$(BIN)/anfragen app --index index --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest -m "not slow and not browser" -q
	$(BIN)/python -m pytest -m "slow or browser" -q

test-fast: install
	$(BIN)/python -m pytest -m "not slow and not browser" -q

lint: install
	$(BIN)/ruff check src tests app.py eval scripts
	$(BIN)/lint-imports

eval: index
	$(BIN)/anfragen eval --queries eval/datasets/dev/queries.jsonl --json eval/results/dev-hybrid.json

# the dev-set scores must not drop below eval/expected.json (minus its tolerance)
eval-check: index
	$(BIN)/anfragen eval check

check-contract: index
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python ../shared/tools/check_contract.py

clean:
	rm -rf index .pytest_cache
