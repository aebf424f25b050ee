# toast-connector: `make demo` syncs the Toast sandbox into files/warehouse.db; `make test` is the whole gate.
# Each target wraps plain Python commands (see README "Windows and macOS").
VENV   ?= .venv
BIN    := $(abspath $(VENV))/bin
PY     := $(BIN)/python
PYTHON ?= python3
export DO_NOT_TRACK := 1
export PATH := $(BIN):$(PATH)

.PHONY: venv demo test gate nbtest pytest clock bench package deploy clean-demo lab

venv: $(VENV)/.installed

$(VENV)/.installed: setup.py settings.ini
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

demo: venv
	$(PY) tools/demo.py

clean-demo:
	rm -rf files .demo

lab: venv
	$(PY) tools/lab.py

test: venv gate nbtest pytest
	$(PY) tools/hours.py --except-suite-clock --jobs 3

gate: venv
	$(PY) tools/gate.py

nbtest: venv
	$(BIN)/nbdev_test --n_workers 2

# three workers on two cores: most of a test's time is waiting on a sandbox, a subprocess or a timed limit
pytest: venv
	$(PY) -m pytest -q -n 3 --dist loadfile tests

# the clock-sensitive tests at six fixed instants of the day (TOAST_SANDBOX_NOW; see tools/hours.py); `make test` runs
# the whole suite at its default clock, then these at the other five
clock: venv
	$(PY) tools/hours.py

bench: venv
	$(PY) bench/run.py

package: venv
	$(PY) tools/package.py --offline

deploy: venv
	$(PY) tools/package.py --deploy
