"""Edit notebooks as percent-format scripts: `python tools/nbpy.py to-py nbs/x.ipynb x.py`,
edit, then `python tools/nbpy.py to-nb x.py nbs/x.ipynb`. Cell ids are derived from the notebook
name and the cell's position, so a round trip that changes nothing changes no id."""
import hashlib, sys
from pathlib import Path
import jupytext, nbformat

def _ids(nb, name):
    "Give every cell a deterministic id."
    for i, c in enumerate(nb.cells):
        c["id"] = hashlib.sha1(f"{name}:{i}".encode()).hexdigest()[:8]
        c["metadata"] = {}
        if c.cell_type == "code": c["outputs"], c["execution_count"] = c.get("outputs", []), None
    return nb

def to_nb(src, dst):
    nb = jupytext.read(src, fmt="py:percent")
    nb.metadata = {"kernelspec": {"display_name": "python3", "language": "python", "name": "python3"}}
    nbformat.write(_ids(nb, Path(dst).stem), dst)

def to_py(src, dst):
    jupytext.write(nbformat.read(src, as_version=4), dst, fmt="py:percent")

if __name__ == "__main__":
    cmd, src, dst = sys.argv[1:4]
    {"to-nb": to_nb, "to-py": to_py}[cmd](src, dst)
