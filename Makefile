# Two commands do all the set-up on a fresh machine:
#   make demo   install, check the shipped workflows, draw the diagrams, simulate, summarise
#   make test   install, lint, type-check, and run the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin

.PHONY: install native system-deps graphviz validators demo test lint schema diagrams clean

install: $(VENV)/.installed native

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# The engine compiled with mypyc where a C compiler is available (else pure Python, said in one
# line); compiled again only when the engine's sources have changed.
native: $(VENV)/.installed
	$(PY) scripts/build_native.py

# What the tests need: Graphviz, and Chromium for the browser test (tests/test_browser.py).
system-deps:
	bash scripts/install-system-deps.sh graphviz chromium

# What the demo and the diagrams need: Graphviz's `dot` for PNG and PDF (no browser).
graphviz:
	bash scripts/install-system-deps.sh graphviz

DEMO := demo-output

demo: install graphviz
	mkdir -p $(DEMO)
	$(BIN)/casejourney check workflows/ scenarios/
	$(BIN)/casejourney compare national knowsley barnet liverpool coventry --format html -o $(DEMO)/compare.html
	$(BIN)/casejourney draw --authority national --format pdf -o $(DEMO)/national.pdf
	$(BIN)/casejourney draw --authority liverpool -o $(DEMO)/liverpool.svg
	$(BIN)/casejourney journey --authority national --start 2026-12-18 \
	    --path referral,strategy_discussion,s47_enquiry,icpc,cp_plan,cin_plan,case_closed
	$(BIN)/casejourney journey --authority national --start 2026-12-18 --seed 7 --format svg -o $(DEMO)/timeline.svg
	$(BIN)/casejourney simulate liverpool-baseline --replications 8 --jobs 2 --report -o $(DEMO)/liverpool-baseline
	$(BIN)/casejourney simulate liverpool-demand-plus-15 --replications 8 --jobs 2 -o $(DEMO)/liverpool-demand-plus-15
	$(BIN)/casejourney report $(DEMO)/liverpool-baseline $(DEMO)/liverpool-demand-plus-15 -o $(DEMO)/compare-demand.html
	@echo "demo outputs are in $(DEMO)/"

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

# Data to Insight's DfE validators pin numpy<1.25 and pandas<2, so they get their own environment;
# tests/test_returns.py runs them from there on exported returns.
validators: .venv-validators/.installed

.venv-validators/.installed:
	python3 -m venv .venv-validators
	.venv-validators/bin/python -m pip install --quiet 'csc-validator-be-903==0.1.17' 'csc-validator-be-cin==0.1.13'
	touch $@

test: install system-deps validators lint
	$(BIN)/pytest

diagrams: install graphviz
	$(PY) -m casejourney.report.diagram_build diagrams/

schema: install
	$(BIN)/python -m casejourney.spec.schema

clean:
	rm -rf $(VENV) .venv-validators src/casejourney/engine/_native .pytest_cache .mypy_cache .ruff_cache .hypothesis
