"""Shared pytest setup: no telemetry, SDK logging configured, the project root importable."""
import os, sys
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")

from fivetran_connector_sdk import Logging  # noqa: E402
if Logging.LOG_LEVEL is None: Logging.LOG_LEVEL = Logging.Level.INFO
