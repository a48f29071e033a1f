# `make run` and `make test` each create .venv when it is missing; a second call installs nothing.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
# pytest processes for `make test` (pytest-xdist; 0: one process). One per core of the CI machine.
TEST_WORKERS ?= 2
# The stamp names a digest of the dependency files, so editing either reinstalls once.
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | sha1sum | cut -c1-12)

# Nothing downloads a model or phones home at run time.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install run test lint bench train
install: $(STAMP)

# pip compiles the installed modules on one core; compileall uses every core. Modules that do not
# compile (some packages ship tests for other Python versions) are skipped, as pip skips them.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the pinned dependencies into $(VENV) (about a minute and a half the first time) ..."
	$(BIN)/python -m pip install --no-compile --disable-pip-version-check --progress-bar off \
		-c requirements.lock -e '.[web,slack,evals,llm,dev]'
	@echo "Compiling the installed modules on every core ..."
	-@$(BIN)/python -m compileall -q -j 0 $(VENV)/lib > /dev/null 2>&1
	@rm -f $(VENV)/.installed-*
	@touch $@

run: install
	$(BIN)/privacy-assistant serve

# After the tests, the eval gate (README, "Evaluation"): fails when a quality metric of a dev split
# drops below the baseline. Test splits are scored only when asked (`eval all --split test`).
test: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile
	$(BIN)/privacy-assistant eval all --split dev --compare evals/baseline.json --no-progress

# The import contracts (pyproject.toml, [tool.importlinter]): the core never imports a door.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

# Refits the answer model from the labelled questions (README, "The answer model"); needs ../shared/data.
train: install
	$(BIN)/privacy-assistant train

bench: install
	$(BIN)/python bench/ask_latency.py
	$(BIN)/python bench/load_ask.py
	$(BIN)/python bench/startup.py
