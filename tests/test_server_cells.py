"""The notebooks' `server` cells: each starts a sandbox on loopback (and some run a whole sync), so `make test`'s
`nbdev_test` skips them (`tst_flags = slow server` in settings.ini); this runs every notebook that has one, with the
flag. Among them `nbs/34_sandbox_example.ipynb`, issue 12's proof that adding a list endpoint is one connector
declaration plus its sandbox family: a hypothetical `/kitchen/v1/stations`, declared on both sides, synced twice by
the engine over loopback, the warehouse equal to the sandbox's truth after each sync."""
import json, os, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FLAGGED = sorted(p.name for p in (ROOT / "nbs").glob("*.ipynb")
                 if any(c["cell_type"] == "code" and "".join(c["source"]).startswith(("#| server", "#| slow"))
                        for c in json.loads(p.read_text())["cells"]))


def test_settings_skip_the_flagged_cells():
    "nbdev splits `tst_flags` on whitespace: `slow|server` would be one flag no cell carries, and nothing skipped."
    flags = next(l.split("=", 1)[1].split() for l in (ROOT / "settings.ini").read_text().splitlines()
                 if l.startswith("tst_flags"))
    assert set(flags) == {"slow", "server"}, flags
    assert "34_sandbox_example.ipynb" in FLAGGED and len(FLAGGED) >= 4, FLAGGED


@pytest.mark.parametrize("nb", FLAGGED)
def test_notebook_with_its_server_cells(nb):
    nbdev_test = Path(sys.executable).parent / "nbdev_test"
    r = subprocess.run([str(nbdev_test), "--path", f"nbs/{nb}", "--flags", "slow server"], cwd=ROOT,
                       capture_output=True, text=True, timeout=600, env={**os.environ, "DO_NOT_TRACK": "1"})
    assert r.returncode == 0 and "Success" in r.stdout + r.stderr, (r.stdout + r.stderr)[-3000:]
