"""`make demo`: sync the Toast sandbox into a local DuckDB warehouse with `fivetran debug`, then show what changed.

Run it as often as you like, in a row: each run is the next sync of the same restaurant group (see below for runs
that move the clock more than a week).

1. rebuilds the demo's sandbox world from `.demo/sandbox.json` (seed, size, the clock of the first run, and the
   hours each later run moved it), so every run sees the same deterministic group as the run before;
2. on a run after the first, moves the sandbox clock forward `--hours` (default 1): restaurants trade, past
   orders are edited, voided or deleted, staff and config change (see README "The Toast sandbox");
3. starts the sandbox in this process on a free loopback port and writes `.demo/configuration.json` pointing at it
   (your `configuration.json` is never touched); `initialSyncStart` stays the first run's;
4. runs `fivetran debug` from the project root, which writes `files/warehouse.db` (DuckDB, schema `tester`) and
   resumes from `files/state.json`;
5. prints every table's rows, what changed since the last run and the rows this run wrote (an edit rewrites a row
   without changing a count), the API calls and the Toast logins.

The clock of the first run is pinned (`START`), not the hour you run it: every clone gets the same data.
Tokens are checked by signature and on the sandbox clock, so the token the connector cached in files/state.json
stays valid across runs and the connector logs in once, not on every run (Toast allows two logins an hour).
The demo's sandbox issues tokens that live a week on its clock (`TOKEN_TTL`; Toast's live about a day): each run moves
the sandbox an hour (`--hours 24`: a day), so only every 168th run (every 7th) logs in again. The connector's login
budget (two an hour) runs on your computer's clock: runs that each move the clock a week or more need a login each,
and a third within one real hour stops on that budget with a message naming when the next login is allowed (helper-85:
with a day's tokens, a second `--hours 24` run in the same hour did).
`make clean-demo` (or deleting `files/` and `.demo/`) starts over.

Plain Python: `python tools/demo.py [--hours H] [--project DIR]` (`--project`: another connector folder).
"""
import argparse, json, shutil, subprocess, sys, time
from datetime import datetime, timedelta, timezone
from pathlib import Path

root = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(root))
sys.path.insert(0, str(root / "tools"))
from toast_connector.sandbox.data import World  # noqa: E402
from toast_connector.sandbox.server import Sandbox  # noqa: E402
from offline import offline_env  # noqa: E402

PROFILE = dict(seed=7, restaurants=3, days=7, orders_per_day=40)
START = "2026-03-10T17:00:00.000Z"     # the sandbox clock at the first run: 13:00 in Boston, 10:00 in LA, 17:00 in London
TOKEN_TTL = 7 * 86400                  # sandbox seconds: a week (see the docstring)
CLEAN = "`make clean-demo` (or deleting files/ and .demo/) starts over"
REQUIREMENTS = ("(fivetran debug first checks requirements.txt against every import in this folder: what it says below to add "
                "or remove is about all the folder holds, tests and tools included, not the connector that ships; "
                "`make package` checks that)")

def _ts(s: str) -> datetime: return datetime.fromisoformat(s.replace("Z", "+00:00"))
def _iso(d: datetime) -> str: return d.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
def _hm(d: datetime) -> str: return d.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

def load_clock(path: Path) -> dict:
    "The demo world's description: profile, first clock, and the hours each later run advanced it (new if absent)."
    if path.exists(): return json.loads(path.read_text())
    return {**PROFILE, "start": START, "steps": []}

def build_world(clock: dict) -> World:
    "The demo's World as the last run left it: built at `start`, then advanced by every recorded step, in order."
    w = World(seed=clock["seed"], restaurants=clock["restaurants"], days=clock["days"], now=_ts(clock["start"]),
              orders_per_day=clock["orders_per_day"])
    for h in clock["steps"]: w.advance(h)
    return w

# what the connector reads on a cadence, not every sync: a change of these may land in a later run (README, configuration)
LATER = {**dict.fromkeys(("employee_edit", "employee_hire", "employee_delete", "job_edit", "job_delete", "config_edit", "config_add"),
                         "read every configRefreshHours, 6 h"),
         "config_remove": "deleted once two full pulls lack it, every configFullRefreshHours, 24 h"}

def describe_advance(counts: dict) -> str:
    "What an `advance` did, in words: 'new orders: 7, job edit: 1 (read every configRefreshHours, 6 h)' (only what happened)."
    skip = {"step", "hours", "now"}
    done = [f"{k.replace('_', ' ')}: {n}" + (f" ({LATER[k]})" if k in LATER else "") for k, n in counts.items() if k not in skip and n]
    return ", ".join(done) or "nothing happened in the group"

def fivetran_debug(project: Path, config_path: Path) -> int:
    "Run `fivetran debug` on `project`, streaming its output."
    exe = shutil.which("fivetran", path=str(Path(sys.executable).parent)) or "fivetran"
    env = {**offline_env(), "PYTHONPATH": str(root)}
    return subprocess.run([exe, "debug", str(project), "--configuration", str(config_path)], cwd=project, env=env).returncode

def table_counts(db: Path, since: datetime | None = None) -> dict:
    "{table: (rows, soft-deleted rows, rows written at or after `since`)} of schema `tester`; {} when there is no warehouse yet."
    if not db.exists(): return {}
    import duckdb
    con = duckdb.connect(str(db), read_only=True)
    try:
        cols = {}
        for t, c in con.execute("select table_name, column_name from information_schema.columns "
                                "where table_schema='tester'").fetchall():
            cols.setdefault(t, set()).add(c)
        out = {}
        for t in sorted(cols):
            live = ("not coalesce(_fivetran_deleted, false)", "_fivetran_deleted") if "_fivetran_deleted" in cols[t] else ("true", "false")
            wrote = "_fivetran_synced >= ?" if since is not None and "_fivetran_synced" in cols[t] else "false"
            q = f'select count(*) filter (where {live[0]}), count(*) filter (where {live[1]}), count(*) filter (where {wrote}) from tester."{t}"'
            out[t] = tuple(con.execute(q, [since] if "?" in wrote else []).fetchone())
        return out
    finally: con.close()

def last_sync(db: Path) -> str:
    "The newest sync_log row in words: status, duration, rows written and deleted, API calls, logins."
    import duckdb
    con = duckdb.connect(str(db), read_only=True)
    try: st, secs, rows, calls, logins = con.execute("select status, duration_seconds, rows, api_calls, logins "
                                                     "from tester.sync_log order by started_at desc limit 1").fetchone()
    finally: con.close()
    rows = json.loads(rows)
    dels = sum(n for k, n in rows.items() if k.endswith(":deleted"))
    return (f"sync_log: {st} in {secs:.1f} s, {sum(rows.values()) - dels:,} rows written, {dels:,} deleted, "
            f"{calls} API calls, {logins} logins")

def _chg(n: int) -> str: return f"{n:+d}" if n else ""

def show_counts(before: dict, after: dict, first: bool):
    """Every table with its rows and soft-deleted rows, the change since the last run, and the rows this run wrote (new,
    rewritten with an edit, or deleted); later runs: only the tables this run wrote to or whose counts changed."""
    names = sorted(after)
    changed = [t for t in names if after[t][:2] != before.get(t, (0, 0, 0))[:2] or after[t][2]]
    shown = names if first else changed
    print(f"\n{'table':<52} {'rows':>7} {'change':>7} {'deleted':>8} {'change':>7} {'written':>8}")
    for t in shown:
        (r, d, w), (r0, d0) = after[t], before.get(t, (0, 0, 0))[:2]
        print(f"{t:<52} {r:>7} {_chg(r - r0):>7} {d:>8} {_chg(d - d0):>7} {w:>8}")
    if not first: print(f"({len(names) - len(changed)} other tables not written to)")

def main(project: Path = root, hours: float = 1.0) -> int:
    "One demo run in `project`: rebuild and advance the sandbox, sync it with `fivetran debug`, show what changed."
    demo, state, db = project / ".demo", project / "files" / "state.json", project / "files" / "warehouse.db"
    clock_path, cfg_path = demo / "sandbox.json", demo / "configuration.json"
    if state.exists() and not clock_path.exists():
        print(f"files/state.json was written against a sandbox this demo cannot rebuild (no .demo/sandbox.json, e.g. "
              f"an older version of the demo, or a by-hand run in this folder); {CLEAN}.", file=sys.stderr)
        return 2
    clock = load_clock(clock_path)
    world = build_world(clock)
    run = len(clock["steps"]) + 1
    if state.exists():
        was = world.now
        counts = world.advance(hours)
        clock["steps"].append(hours)
        run += 1
        print(f"make demo, run {run}: resuming from files/state.json", flush=True)
        print(f"sandbox clock {_hm(was)} -> {_hm(world.now)} (+{hours:g} h; "
              f"{sum(clock['steps']):g} h after the first run): {describe_advance(counts)}", flush=True)
    else:
        print(f"make demo, run {run}: first sync, no files/state.json", flush=True)
        print(f"sandbox clock {_hm(world.now)} (pinned: the same data on every clone, at any hour)", flush=True)
    demo.mkdir(parents=True, exist_ok=True)
    clock_path.write_text(json.dumps(clock, indent=1) + "\n")     # before syncing: the world never goes back
    before = table_counts(db)
    began = datetime.now(timezone.utc)                         # the writer stamps each row it writes (`_fivetran_synced`) after this
    start = _ts(clock["start"]) - timedelta(days=clock["days"])
    with Sandbox(world=world, seed=clock["seed"], days=clock["days"], token_ttl=TOKEN_TTL) as sb:
        print(f"Toast sandbox at {sb.url} ({len(world.restaurant_guids())} restaurants, history from {_hm(start)})", flush=True)
        cfg_path.write_text(json.dumps(sb.configuration(initialSyncStart=_iso(start)), indent=2) + "\n")
        print(REQUIREMENTS, flush=True)
        t = time.perf_counter()
        rc = fivetran_debug(project, cfg_path)
        print(f"fivetran debug finished in {time.perf_counter() - t:.1f} s with exit code {rc}", flush=True)
        st = sb.stats()
    calls = sum(n for per in st["requests"].values() for n in per.values())
    rejected = st["status"].get("401", 0)
    why = ("logged in" if st["logins"] else "the token cached in files/state.json was refused (401) and no login was made"
           if rejected else "the token cached in files/state.json is still valid on the sandbox clock")
    print(f"Toast logins this run: {st['logins']} ({why}); API calls: {calls}", flush=True)
    if rc:
        print(f"make demo failed (exit {rc}); run it again to resume, or {CLEAN}.", file=sys.stderr)
        return rc
    print(last_sync(db), flush=True)
    show_counts(before, table_counts(db, since=began), first=not before)
    return 0

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hours", type=float, default=1.0, help="how far a run after the first moves the sandbox clock (default 1)")
    ap.add_argument("--project", type=Path, default=root, help="the connector folder to run in (default: this repository)")
    a = ap.parse_args()
    if a.hours < 0: ap.error("--hours must not be negative: the sandbox clock only moves forward")
    sys.exit(main(a.project.resolve(), a.hours))
