# toast-connector: `make demo` syncs the Toast sandbox into files/warehouse.db; `make test` is the whole gate.
# Each target wraps plain Python commands (see README "Windows and macOS").
VENV   ?= .venv
BIN    := $(abspath $(VENV))/bin
PY     := $(BIN)/python
PYTHON ?= python3
export DO_NOT_TRACK := 1
export PATH := $(BIN):$(PATH)
# the project's own modules are compiled once, not in each of the suite's processes (__pycache__/ is ignored by git)
unexport PYTHONDONTWRITEBYTECODE

.PHONY: venv demo test gate nbtest pytest clock bench package deploy clean-demo lab

venv: $(VENV)/.installed

# uv (from PyPI, into the venv) installs the versions pip would, compiled to bytecode as pip does (without it every
# process compiles what it imports: PYTHONDONTWRITEBYTECODE is set on these machines), in half pip's time (29 s against
# 56 s here); where uv cannot be had or fails, pip installs as before
$(VENV)/.installed: setup.py settings.ini
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q uv && $(BIN)/uv pip install -q --compile-bytecode --python $(PY) -e '.[dev]' \
	  || { $(PY) -m pip install -q --upgrade pip && $(PY) -m pip install -q -e '.[dev]'; }
	touch $@

demo: venv
	$(PY) tools/demo.py

clean-demo:
	rm -rf files .demo

lab: venv
	$(PY) tools/lab.py

# the clock runs its nine instants (every one but the suite's own) at once: each waits part of its time on a sandbox's
# rate limits (116 s three at a time here, against about 70 s)
test: venv gate nbtest pytest
	$(PY) tools/hours.py --except-suite-clock --jobs 9

gate: venv
	$(PY) tools/gate.py

nbtest: venv
	$(BIN)/nbdev_test --n_workers 2

# three workers on two cores: most of a test's time is waiting on a sandbox, a subprocess or a timed limit; modules in
# the order tests/conftest.py gives them (the longest first), not xdist's (the most tests first)
pytest: venv
	$(PY) -m pytest -q -n 3 --dist loadfile --no-loadscope-reorder tests

# the clock-sensitive tests at nine fixed instants of the day (TOAST_SANDBOX_NOW; see tools/hours.py); `make test` runs
# the whole suite at its default clock, then these at the other eight
clock: venv
	$(PY) tools/hours.py

bench: venv
	$(PY) bench/run.py

package: venv
	$(PY) tools/package.py --offline

deploy: venv
	$(PY) tools/package.py --deploy
