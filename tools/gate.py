"""The first half of `make test`: notebooks must be clean and the package must match them.

Runs `nbdev_clean` and `nbdev_export` and fails, naming the files, when either changes anything:
an uncleaned notebook (execution counts, metadata) or a module edited by hand / not re-exported.
It also names every exported cell of `nbs/*.ipynb` longer than `MAX_CELL_LINES` lines (a class grows method by
method instead) and fails on them (`GATE_CELLS=warn` makes it a warning, for a notebook mid-split), and fails on a
name a module defines twice at its top level (`def` or `class`, not `@patch`): the later definition replaces the
earlier for the whole module, while the notebook's cells between the two saw the earlier one, so their tests passed
(`cursors.newer`, 2026-12-05).
Plain Python, so it runs the same on Windows, macOS and Linux: `python tools/gate.py`.
"""
import ast, hashlib, json, os, re, shutil, subprocess, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
bindir = Path(sys.executable).parent
MAX_CELL_LINES = 60
_EXPORT = re.compile(r"#\|\s*export[si]?\s*$")

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

def long_cells(folder: Path, limit: int = MAX_CELL_LINES) -> list[str]:
    "`nbs/x.ipynb cell N (id ...): L lines, first line` for every exported code cell of `folder/*.ipynb` over `limit` lines."
    out = []
    for p in sorted(folder.glob("*.ipynb")):
        for n, c in enumerate(json.loads(p.read_text(encoding="utf-8"))["cells"], 1):
            lines = "".join(c.get("source", [])).splitlines()
            if c.get("cell_type") != "code" or not any(_EXPORT.match(l.strip()) for l in lines): continue
            if len(lines) > limit:
                first = next((l.strip() for l in lines if l.strip() and not l.startswith("#|")), "")
                out.append(f"{p.relative_to(folder.parent).as_posix()} cell {n} (id {c.get('id', '?')}): "
                           f"{len(lines)} lines, {first[:60]}")
    return out

def shadowed(package: Path) -> list[str]:
    """`module: name (lines a, b)` for every name defined twice at a module's top level by `def` or `class`, or by one of
    those and a `@patch` def (which rebinds the name too); `@patch` defs of one name for several classes are no clash."""
    out = []
    for p in sorted(package.rglob("*.py")):
        plain, patched = {}, {}
        for n in ast.parse(p.read_text(encoding="utf-8")).body:
            if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)): continue
            is_patch = any(ast.unparse(d).split("(")[0].split(".")[-1] in ("patch", "patch_to") for d in n.decorator_list)
            (patched if is_patch else plain).setdefault(n.name, []).append(n.lineno)
        for k, v in plain.items():
            if len(v) > 1 or k in patched:
                out.append(f"{p.relative_to(package.parent).as_posix()}: {k} (lines {', '.join(map(str, sorted(v + patched.get(k, []))))})")
    return out

def main() -> int:
    "Run the gate; the exit code."
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
    if long := long_cells(root / "nbs"):
        what = (f"{len(long)} exported cell(s) over {MAX_CELL_LINES} lines:\n    " + "\n    ".join(long)
                + "\n  -> split them: a class grows method by method (config.patch), each method followed by its example")
        if os.environ.get("GATE_CELLS", "").lower() == "warn": print(f"gate: warning (GATE_CELLS=warn): {what}")
        else: problems.append(what)
    if twice := shadowed(root / "toast_connector"):
        problems.append("names defined twice in one module (the later replaces the earlier everywhere in it):\n    "
                        + "\n    ".join(twice) + "\n  -> rename one of them in its notebook")
    if problems:
        print("GATE FAILED:\n- " + "\n- ".join(problems), file=sys.stderr)
        return 1
    print("gate: notebooks clean, module in sync with notebooks")
    return 0

if __name__ == "__main__":
    sys.exit(main())
