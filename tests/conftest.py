"""Shared pytest setup: no telemetry, SDK logging configured, the project root importable, the sandbox's clock
pinned (tests/clock.py), the connector's estimate of it too (no local time added), and the `clock` marker registered."""
import os, sys
from pathlib import Path

import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")

from fivetran_connector_sdk import Logging  # noqa: E402
if Logging.LOG_LEVEL is None: Logging.LOG_LEVEL = Logging.Level.INFO

from clock import ENV_NOW, ISO  # noqa: E402
# A sandbox started without `now=`, here or in a child process (tools/demo.py, `python -m toast_connector.sandbox`),
# follows the shared clock too; tests still pass `now=` explicitly.
os.environ[ENV_NOW] = ISO


@pytest.fixture(autouse=True)
def toast_clock_is_the_sandboxs(monkeypatch):
    """In this process, the connector's estimate of Toast's time is the sandbox's pinned time as its last response gave
    it. `ToastClock` adds the local seconds since that response, as it must against the real Toast, whose clock moves;
    the sandbox's does not, so those milliseconds are the machine's load, and what the connector stamps or cuts with
    them moved from run to run: tests/test_golden.py's leaving restaurant's `disconnected_at` (and its `sync_log` line)
    after sync 3, seen under load and each time a 2 ms pause was put between a response and a reading of the clock.
    Windows end at that estimate less the safety lag, which the tests' truth cuts at the sandbox's own time. A test that
    makes its own `ToastClock` with a `mono` is not affected; `fivetran debug` in a child process is not either."""
    from toast_connector.client import ToastClock
    init = ToastClock.__init__
    def pinned(self, mono=None, *a, **kw): init(self, mono or (lambda: 0.0), *a, **kw)   # a `mono` given is kept
    monkeypatch.setattr(ToastClock, "__init__", pinned)


def pytest_configure(config):
    config.addinivalue_line("markers", "clock: depends on the sandbox's hour of day; `make clock` reruns it at several "
                                       "hours via TOAST_SANDBOX_NOW (tests/clock.py, tools/hours.py)")


# The modules that cost the most CPU (20-80 s each here: `fivetran debug` runs, long syncs), collected first, the costliest
# first: with `--dist loadfile --no-loadscope-reorder` (Makefile) the workers take them before the many short modules,
# so none is left running alone at the end while the other cores idle.
FIRST = ("test_demo.py", "test_sigkill.py", "test_e2e.py", "test_backfill.py", "test_malformed.py", "test_byhand.py",
         "test_server_cells.py", "test_budget.py", "test_warehouse_types.py", "test_late.py", "test_deleted.py",
         "test_sync.py", "test_lab.py", "test_output.py", "test_orders_warehouse.py", "test_gate.py", "test_rare_fields.py")


def pytest_collection_modifyitems(config, items):
    """The modules of `FIRST` first, in its order; every other module after them in its usual order. Fails the run if a
    `clock` test lives in a module that `make clock` would not collect (tools/hours.py reads the modules' text)."""
    from tools.hours import clock_files
    missed = sorted({f"tests/{it.path.name}" for it in items if it.get_closest_marker("clock")
                     and it.path.parent.name == "tests"} - set(clock_files()))
    if missed: raise pytest.UsageError(f"`clock` tests that make clock would not rerun, in {missed}: tools/hours.py's clock_files() misses them")
    rank = {name: i for i, name in enumerate(FIRST)}
    items.sort(key=lambda it: rank.get(it.path.name, len(FIRST)))     # stable: tests keep their order within a module


def pytest_report_header(config):
    return f"sandbox clock: {ENV_NOW}={ISO}"


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"sandbox clock: {ENV_NOW}={ISO} (tests/clock.py)")
