"""The gate of `make test` (tools/gate.py) in a scratch copy of the project: once applied, it passes; fails naming the module when a module is edited by hand, and fails naming the notebook when a
notebook carries execution counts; fails naming every exported cell over 60 lines (a warning only under GATE_CELLS=warn)."""
import importlib.util, json, os, shutil, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

def _copy(dst: Path) -> Path:
    "A scratch copy of what the gate reads: notebooks, package, nbdev settings, the gate itself."
    for d in ("nbs", "toast_connector"):
        shutil.copytree(ROOT / d, dst / d, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    for f in ("settings.ini", "setup.py", "README.md"): shutil.copy(ROOT / f, dst / f)
    (dst / "tools").mkdir()
    shutil.copy(ROOT / "tools" / "gate.py", dst / "tools" / "gate.py")
    return dst

@pytest.fixture(scope="module")
def copy(tmp_path_factory): return _copy(tmp_path_factory.mktemp("gate"))

def gate(root: Path, **env):
    "Run the gate of a copy (GATE_CELLS as given, else unset); its exit code and output."
    e = {k: v for k, v in os.environ.items() if k != "GATE_CELLS"} | env
    r = subprocess.run([sys.executable, str(root / "tools" / "gate.py")], capture_output=True, text=True, timeout=300, env=e)
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


def _gate_module():
    "tools/gate.py as a module (it runs only under `__main__`)."
    spec = importlib.util.spec_from_file_location("gate_under_test", ROOT / "tools" / "gate.py")
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
    return m

def _cell(lines: int, directive: str | None = "#| export") -> dict:
    "A code cell of exactly `lines` lines (the directive, if any, is one of them)."
    body = ([directive] if directive else []) + ["def f():"] + [f"    x{i} = {i}" for i in range(lines - 2 - bool(directive))] + ["    return 0"]
    assert len(body) == lines
    return {"cell_type": "code", "id": f"c{lines}", "metadata": {}, "outputs": [], "execution_count": None,
            "source": [l + "\n" for l in body[:-1]] + [body[-1]]}

def test_long_cells_names_notebook_and_cell(tmp_path):
    "Only exported code cells over the limit are named: 61 lines is one too many, 60 is fine, an unexported cell is free."
    g = _gate_module()
    nbs = tmp_path / "nbs"; nbs.mkdir()
    md = {"cell_type": "markdown", "id": "m", "metadata": {}, "source": ["#| export\n"] + ["text\n"] * 80}
    nb = {"cells": [md, _cell(60), _cell(61), _cell(100, None), _cell(70, "#|export"), _cell(65, "#| exporti")],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (nbs / "07_x.ipynb").write_text(json.dumps(nb))
    (nbs / "explore").mkdir(); (nbs / "explore" / "99_y.ipynb").write_text(json.dumps(nb))   # not nbs/*.ipynb: not read
    got = g.long_cells(nbs)
    assert got == ["nbs/07_x.ipynb cell 3 (id c61): 61 lines, def f():",
                   "nbs/07_x.ipynb cell 5 (id c70): 70 lines, def f():",
                   "nbs/07_x.ipynb cell 6 (id c65): 65 lines, def f():"], got
    assert g.long_cells(nbs, limit=100) == []

def test_gate_fails_on_long_cells_and_warns_when_told(tmp_path):
    "A 61-line exported cell: the gate fails naming it; with GATE_CELLS=warn it names it and passes."
    root = _copy(tmp_path)
    gate(root)                                           # a working tree mid-edit may need one clean/export
    nb = root / "nbs" / "00_config.ipynb"
    d = json.loads(nb.read_text())
    d["cells"].append(_cell(61) | {"id": "toolong1"})
    nb.write_text(json.dumps(d, indent=1, ensure_ascii=False) + "\n")
    gate(root, GATE_CELLS="warn")                        # exports the new cell (and reports the module changed)
    rc, out = gate(root, GATE_CELLS="warn")
    assert rc == 0, out
    line = f"nbs/00_config.ipynb cell {len(d['cells'])} (id toolong1): 61 lines, def f():"
    assert "gate: warning" in out and line in out and "module in sync" in out, out
    rc, out = gate(root)
    assert rc == 1 and "GATE FAILED" in out and line in out, out


def test_a_name_defined_twice_in_a_module_is_named(tmp_path):
    """2026-12-05: a new `cursors.newer` (the walk's) and the menus' older `newer` of the same module: the notebook's
    tests between the two passed on the new one, while the exported module called the menus' one from the walk."""
    m = _gate_module()
    pkg = tmp_path / "toast_connector"
    pkg.mkdir()
    (pkg / "a.py").write_text("from fastcore.basics import patch\nclass C: pass\ndef newer(r): return 1\n@patch\ndef go(self: C): pass\n"
                              "@patch\ndef go(self: int): pass\ndef newer(a, b): return 2\n")
    (pkg / "b.py").write_text("from fastcore.basics import patch\nclass C: pass\ndef newer(r): return 1\n@patch\ndef newer(self: C): pass\n")
    assert m.shadowed(pkg) == ["toast_connector/a.py: newer (lines 3, 8)",       # @patch'd methods of two classes are no clash,
                               "toast_connector/b.py: newer (lines 3, 5)"]       # but a plain def and a @patch one are (helper-89)
    assert m.shadowed(ROOT / "toast_connector") == []
