"""`make demo` as a new user runs it (tools/demo.py), three times in a row in one scratch connector folder: every
run succeeds, each later run moves the (pinned) sandbox clock an hour, resumes from the saved state, says what
changed, and reuses the token the first run cached: one login across the three runs."""
import json, re, shutil, subprocess, sys, time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
STATE_LINE_MAX = 34_000    # chars of `checkpoint recorded: {state}` on the demo profile (state v1: 38,972; v2: about 20,700;
                           # with the shifts' key set, from 2026-12-03, about 26,300; since it spans the lookback, 2026-12-04, 30,900)
KEYS_MAX = 22_000          # chars of the key sets in that state (v1: 27,789 spread over the cursors; v2: about 9,400; with shifts'
                           # about 15,000; over the shifts' lookback about 19,500)

def demo(project: Path, ok: bool = True, *args) -> subprocess.CompletedProcess:
    t = time.perf_counter()
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "demo.py"), "--project", str(project), *args],
                       capture_output=True, text=True, timeout=400)
    print(f"demo run took {time.perf_counter() - t:.1f} s")       # the figure; the target is checked by eye, not asserted
    if ok: assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    return r

def printed(out: str) -> dict:
    "The demo's closing listing: table -> (rows, change, deleted, change, written), a blank change read as 0."
    body = out.split("\ntable ", 1)[1]
    rx = r"(?m)^(\w+) +(\d+) +([+-]\d+)? +(\d+) +([+-]\d+)? +(\d+) *$"
    return {m[1]: (int(m[2]), int(m[3] or 0), int(m[4]), int(m[5] or 0), int(m[6])) for m in re.finditer(rx, body)}

def warehouse(project: Path, after=None) -> dict:
    "table -> (live rows, soft-deleted rows, rows synced later than `after`), counted here, independently of the demo."
    con = duckdb.connect(str(project / "files" / "warehouse.db"), read_only=True)
    try:
        out = {}
        for (t,) in con.execute("select table_name from information_schema.tables where table_schema='tester'").fetchall():
            cols = {c for (c,) in con.execute("select column_name from information_schema.columns "
                                              "where table_schema='tester' and table_name=?", [t]).fetchall()}
            n = con.execute(f'select count(*) from tester."{t}"').fetchone()[0]
            d = con.execute(f'select count(*) from tester."{t}" where _fivetran_deleted').fetchone()[0] if "_fivetran_deleted" in cols else 0
            w = con.execute(f'select count(*) from tester."{t}" where _fivetran_synced > ?', [after]).fetchone()[0] if after else 0
            out[t] = (n - d, d, w)
        return out
    finally: con.close()

def newest(project: Path):
    "The latest `_fivetran_synced` in the warehouse: what a run writes after it is that run's."
    con = duckdb.connect(str(project / "files" / "warehouse.db"), read_only=True)
    try:
        ts = [con.execute(f'select max(_fivetran_synced) from tester."{t}"').fetchone()[0]
              for (t,) in con.execute("select table_name from information_schema.columns where table_schema='tester' "
                                      "and column_name='_fivetran_synced'").fetchall()]
        return max(t for t in ts if t is not None)
    finally: con.close()

def sdk_counts(out: str) -> dict:
    "The SDK's own closing table of operations (Upserts, Deletes, ...) from `fivetran debug`'s output."
    return {m[1]: int(m[2]) for m in re.finditer(r"(Upserts|Updates|Deletes|Checkpoints)\s+\|\s+(\d+)", out)}

def sync_log(project: Path) -> list[dict]:
    "The sync_log rows, oldest first (ids never go back), with `rows` decoded."
    con = duckdb.connect(str(project / "files" / "warehouse.db"), read_only=True)
    try: rows = con.execute("select sync_id, rows, logins from tester.sync_log order by sync_id").fetchall()
    finally: con.close()
    return [{"sync_id": i, "rows": json.loads(r), "logins": n} for i, r, n in rows]

def matches_sdk(row: dict, sdk: dict):
    "A sync_log row's figures against the SDK's counts: every upsert (and the sync_log row itself), every delete."
    rows = row["rows"]
    ups = sum(v for k, v in rows.items() if not k.endswith(":deleted"))
    dels = sum(v for k, v in rows.items() if k.endswith(":deleted"))
    assert (ups + 1, dels) == (sdk["Upserts"] + sdk.get("Updates", 0), sdk["Deletes"]), (rows, sdk)   # a restaurant whose details come from the state is an update

def test_demo_three_times_in_a_row(tmp_path):
    proj = tmp_path / "proj"
    proj.mkdir()
    for f in ("connector.py", "requirements.txt"): shutil.copy(ROOT / f, proj / f)
    outs, seen, logs = [], [], []
    for run in (1, 2, 3):
        after = newest(proj) if run > 1 else "1970-01-01T00:00:00Z"       # the previous run's last write
        out = demo(proj).stdout
        outs.append(out)
        now = warehouse(proj, after)
        shown = printed(out)
        if run == 1:
            assert "run 1: first sync, no files/state.json" in out
            assert "sandbox clock 2026-03-10 17:00 UTC (pinned" in out
            assert "`make package` checks that)" in out                     # the SDK's requirements advice is put in context
            paged = set(re.findall(r"GET /config/v2/(\w+) for restaurant \S+: \d+ pages", out))
            assert len(paged) >= 2, paged                                  # the first sync follows Toast-Next-Page-Token, and its log says so
            assert set(shown) == set(now)                                  # the first run lists every table
            assert all(w == r + d for r, d, w in now.values()), now       # and wrote every row
            for t in ("restaurant", "orders", "orders_check", "orders_check_selection"): assert now[t][0] > 0, (t, now)
        else:
            assert f"run {run}: resuming from files/state.json" in out
            hour = f"2026-03-10 {15 + run}:00 UTC -> 2026-03-10 {16 + run}:00 UTC (+1 h; {run - 1} h after the first run)"
            assert f"sandbox clock {hour}: new orders: " in out, out[:600]
            prev = seen[-1]
            changed = {t for t in now if now[t][:2] != prev.get(t, (0, 0, 0))[:2] or now[t][2]}
            assert set(shown) == changed and "orders" in changed and "sync_log" in changed, (shown, changed)
            assert re.search(rf"\({len(now) - len(changed)} other tables not written to\)", out)
            # a table rewritten without a count changing is listed too (helper-65: an edited job was "unchanged")
            assert now["restaurant"][:2] == prev["restaurant"][:2] and shown["restaurant"][4] == now["restaurant"][2] > 0, (shown["restaurant"], now["restaurant"])
        for t, (rows, chg, dels, dchg, wrote) in shown.items():            # what it prints is what the warehouse holds
            before = seen[-1].get(t, (0, 0, 0)) if seen else (0, 0, 0)
            assert (rows, dels, wrote) == now[t] and (chg, dchg) == (now[t][0] - before[0], now[t][1] - before[1]), (t, shown[t], now[t], before)
        logins = int(re.search(r"Toast logins this run: (\d+)", out)[1])
        assert logins == (1 if run == 1 else 0), out[-1500:]                 # the cached token outlives the sandbox that issued it
        log = sync_log(proj)
        assert len(log) == run and log[:-1] == logs                         # one row per sync: earlier rows kept as they were
        matches_sdk(log[-1], sdk_counts(out))
        if run > 1:                                                        # incremental: far less than the first sync wrote
            assert sum(log[-1]["rows"].values()) < sum(log[0]["rows"].values()) / 3, (log[-1]["rows"], log[0]["rows"])
        seen.append(now); logs = log
        # the state the SDK writes into the log at every checkpoint stays small (issue 10): key sets compact, out of the cursors
        ckpt = [l.split("checkpoint recorded: ", 1)[1] for l in out.splitlines() if "checkpoint recorded: " in l]
        assert ckpt and max(map(len, ckpt)) < STATE_LINE_MAX, [len(c) for c in ckpt]
        state = json.loads((proj / "files" / "state.json").read_text())
        assert state["v"] == 4 and len(state["keys"]) < KEYS_MAX, len(state["keys"])
        assert not any("keys" in c for cur in state["restaurants"].values() for c in cur.values())
    state = json.loads((proj / "files" / "state.json").read_text())
    assert len(state["auth"]["logins"]) == 1                                # one login across the three runs (connector's record)
    assert sum(r["logins"] for r in logs) == 1
    clock = json.loads((proj / ".demo" / "sandbox.json").read_text())
    assert (clock["start"], clock["steps"]) == ("2026-03-10T17:00:00.000Z", [1.0, 1.0])

def test_demo_moved_a_day_twice_in_a_row(tmp_path):
    """README: run the demo as often as you like, `--hours 24` moving the clock a day. With the sandbox's tokens living a
    day, each such run needed a login, and the connector's two logins an hour (on this computer's clock) stopped the
    third run within the hour, whose summary still called the refused token valid (helper-85)."""
    proj = tmp_path / "proj"
    proj.mkdir()
    for f in ("connector.py", "requirements.txt"): shutil.copy(ROOT / f, proj / f)
    outs = [demo(proj).stdout] + [demo(proj, True, "--hours", "24").stdout for _ in range(2)]
    assert [int(re.search(r"Toast logins this run: (\d+)", o)[1]) for o in outs] == [1, 0, 0], [o[-800:] for o in outs]
    assert "(+24 h; 48 h after the first run)" in outs[2] and not any("answered 401" in o for o in outs)

def test_demo_refuses_a_state_it_cannot_rebuild(tmp_path):
    "A files/state.json without .demo/sandbox.json (an older demo, a by-hand run) is not synced against a new world."
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "state.json").write_text('{"restaurants": {}}')
    r = demo(tmp_path, ok=False)
    assert r.returncode == 2 and "make clean-demo" in r.stderr, r.stderr
    assert not (tmp_path / ".demo").exists()


def test_the_changes_a_run_may_not_write_yet_are_marked():
    """What the sandbox changed that the connector reads on a cadence is marked with when it lands: a job edit listed
    beside tables that do not include `job` read as a lost edit (helper-71)."""
    sys.path.insert(0, str(ROOT / "tools"))
    try: import demo as d
    finally: sys.path.remove(str(ROOT / "tools"))
    said = d.describe_advance({"step": 16, "hours": 1, "new_orders": 7, "job_edit": 1, "config_remove": 2, "menu_publish": 1})
    assert said == ("new orders: 7, job edit: 1 (read every configRefreshHours, 6 h), config remove: 2 (deleted once two full "
                    "pulls lack it, every configFullRefreshHours, 24 h), menu publish: 1"), said
