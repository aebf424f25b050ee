"""`make demo` as a new user runs it (tools/demo.py), twice, in a scratch connector folder: the first run
lands the four tables of the first slice, the second resumes from the saved state and says so."""
import json, re, shutil, subprocess, sys, time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent

def demo(project: Path) -> str:
    t = time.perf_counter()
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "demo.py"), "--project", str(project)],
                       capture_output=True, text=True, timeout=400)
    print(f"demo run took {time.perf_counter() - t:.1f} s")       # the figure; the target is checked by eye, not asserted
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    return r.stdout

def counts(out: str) -> dict:
    "The table -> rows listing the demo prints last."
    return {m[1]: int(m[2]) for m in re.finditer(r"(?m)^(\w+)\s+(\d+)$", out.split("\ntable ", 1)[1])}

def sdk_counts(out: str) -> dict:
    "The SDK's own closing table of operations (Upserts, Deletes, ...) from `fivetran debug`'s output."
    return {m[1]: int(m[2]) for m in re.finditer(r"(Upserts|Updates|Deletes|Checkpoints)\s+\|\s+(\d+)", out)}

def sync_log(project: Path) -> list[dict]:
    "The sync_log rows, oldest first, with `rows` decoded."
    con = duckdb.connect(str(project / "files" / "warehouse.db"), read_only=True)
    try: rows = con.execute("select sync_id, rows from tester.sync_log order by started_at").fetchall()
    finally: con.close()
    return [{"sync_id": i, "rows": json.loads(r)} for i, r in rows]

def matches_sdk(row: dict, sdk: dict):
    "A sync_log row's figures against the SDK's counts: every upsert (and the sync_log row itself), every delete."
    rows = row["rows"]
    ups = sum(v for k, v in rows.items() if not k.endswith(":deleted"))
    dels = sum(v for k, v in rows.items() if k.endswith(":deleted"))
    assert (ups + 1, dels) == (sdk["Upserts"], sdk["Deletes"]), (rows, sdk)

def test_demo_twice(tmp_path):
    proj = tmp_path / "proj"
    proj.mkdir()
    for f in ("connector.py", "requirements.txt"): shutil.copy(ROOT / f, proj / f)
    out = demo(proj)
    assert "first sync, no files/state.json" in out
    paged = set(re.findall(r"GET /config/v2/(\w+) for restaurant \S+: \d+ pages", out))
    assert len(paged) >= 2, paged                        # the first sync follows Toast-Next-Page-Token, and its log says so
    first = counts(out)
    for t in ("restaurant", "orders", "orders_check", "orders_check_selection"): assert first[t] > 0, (t, first)
    (log1,) = sync_log(proj)
    matches_sdk(log1, sdk_counts(out))
    out2 = demo(proj)
    assert "resuming from files/state.json" in out2
    assert re.search(r"restaurant .+: resuming .*orders 20\d\d-", out2), out2[-2000:]
    second = counts(out2)
    assert second["sync_log"] == 2 and second["orders"] >= first["orders"]
    old, log2 = sync_log(proj)
    assert old == log1                                   # one row per sync: the first is kept as it was
    matches_sdk(log2, sdk_counts(out2))
