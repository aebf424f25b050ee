"""Shared pytest setup: no telemetry, SDK logging configured, the project root importable, the sandbox's clock
pinned (tests/clock.py) and the `clock` marker registered."""
import os, sys
from pathlib import Path

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


def pytest_configure(config):
    config.addinivalue_line("markers", "clock: depends on the sandbox's hour of day; `make clock` reruns it at several "
                                       "hours via TOAST_SANDBOX_NOW (tests/clock.py, tools/hours.py)")


def pytest_report_header(config):
    return f"sandbox clock: {ENV_NOW}={ISO}"


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"sandbox clock: {ENV_NOW}={ISO} (tests/clock.py)")
