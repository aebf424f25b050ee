"""README's "`fivetran debug` by hand" block, walked as written on a fresh copy of the project: the tracked files
copied to a scratch folder (uncommitted edits included), this checkout's `.venv` linked in as `make venv` would have
made it, and the block's shell lines run by bash with a PATH that does not hold the venv (the block activates it).
The sync must land in the block's own folder, fit the sandbox's history and ask PyPI nothing.

The copy's `python -m toast_connector.sandbox` runs the copy's package; `fivetran debug` imports `toast_connector`
through the venv's editable install, i.e. this checkout's identical files."""
import json, os, re, signal, subprocess, time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb

from toast_connector.sandbox.data import World

ROOT = Path(__file__).resolve().parent.parent
HEADING = "### `fivetran debug` by hand"

def byhand_block(readme: str) -> str:
    "The first ```sh block after the by-hand heading."
    m = re.search(r"```sh\n(.*?)```", readme[readme.index(HEADING):], re.S)
    assert m, "no sh block under the by-hand heading"
    return m[1]

def fresh_copy(dest: Path) -> Path:
    "The repository's tracked files (as they are in the work tree) copied to `dest`, with .venv linked in."
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for f in filter(None, files):
        src, dst = ROOT / f, dest / f
        if not src.is_file(): continue              # deleted in the work tree
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(src.read_bytes())
    (dest / ".venv").symlink_to(ROOT / ".venv")
    return dest

def clean_env() -> dict:
    "The environment of a new shell: no venv on PATH, no PYTHONPATH, telemetry off as the README suggests."
    venv_bin = str(ROOT / ".venv" / "bin")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p and Path(p) != Path(venv_bin))
    env["DO_NOT_TRACK"] = "1"
    return env

def test_block_extraction_finds_the_commands():
    block = byhand_block((ROOT / "README.md").read_text())
    assert "fivetran debug sandbox-run" in block and "--write-config sandbox-run/configuration.json" in block
    assert "--now " in block                                   # the block pins the sandbox clock

def test_readme_by_hand_block_on_a_fresh_copy(tmp_path):
    proj = fresh_copy(tmp_path / "clone")
    block = byhand_block((proj / "README.md").read_text())
    env = clean_env()
    assert subprocess.run(["bash", "-c", "command -v fivetran"], env=env, capture_output=True).returncode != 0
    t = time.perf_counter()
    p = subprocess.Popen(["bash", "-e", "-c", block], cwd=proj, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, start_new_session=True)
    try: out, _ = p.communicate(timeout=400)
    finally:
        try: os.killpg(p.pid, signal.SIGKILL)                  # the block's background sandbox, should it survive
        except ProcessLookupError: pass
    print(f"by-hand block took {time.perf_counter() - t:.1f} s")
    assert p.returncode == 0, out[-4000:]
    for bad in ("No such file or directory: 'pipreqs'", "pipreqs check failed", "PyPI server", "Traceback"):
        assert bad not in out, (bad, out[-3000:])

    run = proj / "sandbox-run"
    cfg = json.loads((run / "configuration.json").read_text())
    url = re.search(r"Toast sandbox ready at (\S+)", out)[1]
    assert cfg["domain"] == url and f"configuration=sandbox-run/configuration.json" in out
    now = datetime(2026, 3, 10, 17, tzinfo=timezone.utc)      # the block's --now
    start = now - timedelta(days=7)
    assert cfg["initialSyncStart"] == "2026-03-03T17:00:00.000Z"
    assert not (proj / "files").exists()                       # the demo's folder is untouched
    assert (run / "files" / "state.json").is_file()

    truth = World(seed=7, restaurants=3, days=7, now=now, orders_per_day=40)
    con = duckdb.connect(str(run / "files" / "warehouse.db"), read_only=True)
    try:
        restaurants = {r for (r,) in con.execute("select id from tester.restaurant").fetchall()}
        orders = {r for (r,) in con.execute("select id from tester.orders").fetchall()}
        live = {r for (r,) in con.execute("select id from tester.orders where not coalesce(_fivetran_deleted, false)").fetchall()}
        status = con.execute("select status from tester.sync_log").fetchall()
    finally: con.close()
    assert restaurants == set(truth.restaurant_guids())
    assert status == [("succeeded",)]
    served = {o["object"]["guid"]: o["object"] for o in truth.truth("orders")["entities"]["orders"]}
    assert orders and orders <= set(served)                    # every order landed is one the sandbox serves
    ts = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f%z")
    settled = {g for g, o in served.items() if not o.get("deleted") and start <= ts(o["modifiedDate"]) <= now - timedelta(minutes=10)}
    assert settled and settled <= orders, len(settled - orders)   # every live order modified in the synced history landed
    assert not live & {g for g, o in served.items() if o.get("deleted")}   # and no deleted one is live
