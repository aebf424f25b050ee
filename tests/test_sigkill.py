"""A real `fivetran debug` process killed with SIGKILL in the middle of a first sync, then run again, leaves the same
warehouse as an uninterrupted run: every table, every row, every column but `_fivetran_synced` (and `sync_log`, whose
rows are the syncs themselves). The kill lands after at least one checkpoint that moved a cursor and before the sync's
end (both checked), so the rerun resumes from a real mid-sync state on top of what that checkpoint wrote."""
import json, os, shutil, signal, subprocess, sys, time
from datetime import datetime, timezone
from pathlib import Path

import duckdb, pytest

from toast_connector.sandbox.server import Sandbox

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from offline import offline_env  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIVETRAN = shutil.which("fivetran", path=str(Path(sys.executable).parent))
NOW = datetime(2026, 6, 1, 15, 0, tzinfo=timezone.utc)
CRASH = {"checkpointRows": "700"}   # the killed run checkpoints before its end (2,153 rows): the kill finds a cursor behind it


def project(tmp: Path, name: str, cfg: dict) -> tuple[Path, list]:
    "A scratch project and the `fivetran debug` command line that syncs it."
    proj = tmp / name
    proj.mkdir()
    for f in ("connector.py", "requirements.txt"): shutil.copy(ROOT / f, proj / f)
    (tmp / f"{name}.json").write_text(json.dumps(cfg))
    return proj, [FIVETRAN, "debug", str(proj), "--configuration", str(tmp / f"{name}.json")]


def env():
    return {**offline_env(), "PYTHONPATH": str(ROOT)}


def warehouse(proj: Path) -> dict:
    "Every table but sync_log: its rows (all columns but _fivetran_synced), sorted."
    con = duckdb.connect(str(proj / "files" / "warehouse.db"), read_only=True)
    try:
        out = {}
        for (t,) in con.execute("select table_name from information_schema.tables where table_schema='tester'").fetchall():
            if t == "sync_log": continue
            cols = [c for (c,) in con.execute("select column_name from information_schema.columns where table_schema='tester' "
                                              "and table_name=? order by column_name", [t]).fetchall() if c != "_fivetran_synced"]
            out[t] = sorted(map(repr, con.execute(f'select {", ".join(chr(34) + c + chr(34) for c in cols)} from tester."{t}"').fetchall()))
        return out
    finally: con.close()


def test_sigkill_mid_sync_then_rerun_equals_an_uninterrupted_run(tmp_path):
    with Sandbox(seed=21, restaurants=2, days=2, orders_per_day=12, now=NOW, rate_limits=0) as sb:
        ref, cmd = project(tmp_path, "ref", sb.configuration())        # default cadence: the rows do not depend on it
        r = subprocess.run(cmd, cwd=ref, env=env(), capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
        want = warehouse(ref)
        assert sum(map(len, want.values())) > 1000, {t: len(v) for t, v in want.items()}

        crash, cmd = project(tmp_path, "crash", sb.configuration(**CRASH))
        p = subprocess.Popen(cmd, cwd=crash, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        state_file, state = crash / "files" / "state.json", {}
        try:
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline and p.poll() is None:
                try: state = json.loads(state_file.read_text())
                except (OSError, ValueError): state = {}
                if any(state.get("restaurants", {}).values()): break      # a checkpoint that moved a cursor
                time.sleep(0.02)
            assert p.poll() is None, "the sync ended before a checkpoint with a cursor was seen: nothing to kill"
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(30)
        finally:
            if p.poll() is None: os.killpg(p.pid, signal.SIGKILL)
        assert p.returncode == -signal.SIGKILL
        killed = json.loads(state_file.read_text())
        assert "sync" not in killed or killed["sync"].get("last_id") is None, "the kill came after the sync's end"
        assert warehouse(crash) != want                                     # the kill left a partial warehouse

        r = subprocess.run(cmd, cwd=crash, env=env(), capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
        assert "resuming" in (r.stdout + r.stderr), (r.stdout + r.stderr)[-2000:]
        got = warehouse(crash)
        assert got.keys() == want.keys(), set(got) ^ set(want)
        for t in want: assert got[t] == want[t], t
