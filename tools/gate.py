"""The first half of `make test`: notebooks must be clean and the package must match them.

Runs `nbdev_clean` and `nbdev_export` and fails, naming the files, when either changes anything:
an uncleaned notebook (execution counts, metadata) or a module edited by hand / not re-exported.
Plain Python, so it runs the same on Windows, macOS and Linux: `python tools/gate.py`.
"""
import hashlib, shutil, subprocess, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
bindir = Path(sys.executable).parent

def snapshot(folder, pattern):
    "Hash of every file under `folder` matching `pattern`."
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / folder).rglob(pattern)) if ".ipynb_checkpoints" not in p.parts}

def changed(before, after):
    "Files added, removed or changed between two snapshots."
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))

def run(tool):
    "Run an nbdev command from this interpreter's environment."
    subprocess.run([shutil.which(tool, path=str(bindir)) or tool], cwd=root, check=True, stdout=subprocess.DEVNULL)

problems = []
before = snapshot("nbs", "*.ipynb")
run("nbdev_clean")
if files := changed(before, snapshot("nbs", "*.ipynb")):
    problems.append("nbdev_clean changed these notebooks (execution counts, outputs metadata or ids): "
                    + ", ".join(files) + "\n  -> commit the cleaned notebooks")
before = snapshot("toast_connector", "*.py")
run("nbdev_export")
if files := changed(before, snapshot("toast_connector", "*.py")):
    problems.append("the module is out of sync with the notebooks: nbdev_export changed " + ", ".join(files)
                    + "\n  -> toast_connector/ is generated from nbs/: never edit it by hand; edit the notebook,"
                      " run nbdev_export and commit both")
if problems:
    print("GATE FAILED:\n- " + "\n- ".join(problems), file=sys.stderr)
    sys.exit(1)
print("gate: notebooks clean, module in sync with notebooks")
