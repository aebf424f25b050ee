"""The gate of `make test` (tools/gate.py) in a scratch copy of the project: once applied, it passes; fails naming the module when a module is edited by hand, and fails naming the notebook when a
notebook carries execution counts."""
import json, shutil, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    "A scratch copy of what the gate reads: notebooks, package, nbdev settings, the gate itself."
    dst = tmp_path_factory.mktemp("gate")
    for d in ("nbs", "toast_connector"):
        shutil.copytree(ROOT / d, dst / d, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    for f in ("settings.ini", "setup.py", "README.md"): shutil.copy(ROOT / f, dst / f)
    (dst / "tools").mkdir()
    shutil.copy(ROOT / "tools" / "gate.py", dst / "tools" / "gate.py")
    return dst

def gate(root: Path):
    r = subprocess.run([sys.executable, str(root / "tools" / "gate.py")], capture_output=True, text=True, timeout=300)
    return r.returncode, r.stdout + r.stderr

def test_gate(copy):
    gate(copy)                  # a working tree mid-edit may need one clean/export; the gate applies it
    rc, out = gate(copy)
    assert rc == 0, out
    assert "module in sync" in out

    mod = copy / "toast_connector" / "config.py"
    mod.write_text(mod.read_text().replace("class ConfigError(ValueError):", "class ConfigError(ValueError):  # edited by hand"))
    rc, out = gate(copy)
    assert rc == 1
    assert "out of sync with the notebooks" in out and "toast_connector/config.py" in out

    nb = copy / "nbs" / "00_config.ipynb"
    d = json.loads(nb.read_text())
    code = next(c for c in d["cells"] if c["cell_type"] == "code")
    code["execution_count"] = 7
    nb.write_text(json.dumps(d, indent=1))
    rc, out = gate(copy)
    assert rc == 1
    assert "nbdev_clean changed these notebooks" in out and "nbs/00_config.ipynb" in out
