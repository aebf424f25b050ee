"""Whole syncs through the SDK against the sandbox (realistic latency, Toast's rate limits), each against floors measured
in the same run, with the figures issue 13 asks for and their targets.

For each profile (restaurants x days of history, 100 orders a day) it runs, each in its own process as `fivetran debug`
would run it (`Connector.debug`, DuckDB warehouse), against a sandbox in another process (`python -m
toast_connector.sandbox`, clock pinned at NOW):
- a first sync, then an incremental one hour later on the sandbox's clock (same warehouse, the state the first left);
- the writer floor of each: the same rows (collected untimed from an unthrottled sandbox of the same world, and made
  what the connector hands the SDK before the clock starts) written by the SDK's local writer with a single checkpoint,
  into a fresh warehouse (first) or the one that floor left (incremental): the floor times the SDK's calls only;
- the writer floor with the sync's own checkpoints (first syncs that made more than one): the same rows, written by the
  same writer, checkpointed after as many rows as each of the sync's checkpoints wrote. It over the single-checkpoint
  floor is what the memory-bounded cadence costs the local writer; the sync over it is the connector's own overhead
  (fetching, decoding and flattening on the workers, the GIL they take, its bookkeeping). It runs in every pair, after
  the sync whose cadence it repeats; both ratios are printed with their medians, not checked against a target;
- Toast's floor: the seconds Toast's per-restaurant limits (20/s, ordersBulk 5/s, menus 1/s) need for the *minimum*
  calls (ordersBulk: whole pages of 100 per 30-day window; every other endpoint: the calls made, less retries).

It prints wall / writer floor, wall / Toast floor, calls / minimum, the checkpoints (by reason) and their share of the wall
(all of it, and the part beyond the single checkpoint of the writer floor: their fixed cost), and the peak RSS of the sync
process (SDK and DuckDB included). For the 2 x 7 profile it also runs a day of hourly syncs (24, at default settings,
engine only: calls do not depend on the writer) and prints the calls per restaurant per sync counted by the sandbox.
Each target is checked and printed; the exit status is non-zero if one is missed.

The first sync's wall against its writer floor is measured in `--repeat` (5) pairs per profile (`--repeat-large`, 3, for
5 x 30), each a fresh sync and a fresh floor, the order within a pair rotated (sync first, floor first, ...) so a machine
that gets busier or quieter during the run favours neither; every pair's ratio is printed and the target is checked on
their median. This machine's speed is not steady: the same pure-Python loop takes 0.30 s or 0.51 s from one second to
the next, CPU time included (a shared host), and one pair's ratio moved by up to 0.2x between runs.

Usage: python bench/bench_sync.py [--profiles 2x7,2x30,5x7,5x30] [--latency-ms 40] [--jitter-ms 20] [--no-day]
                                   [--repeat 5] [--repeat-large 3]
5 x 30 (the largest profile, where the memory target matters most) takes some six minutes on this 2-core machine.
"""
from __future__ import annotations
import argparse, json, math, os, resource, shutil, statistics, subprocess, sys, tempfile, time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DO_NOT_TRACK", "1")
NOW = "2026-01-15T12:00:00.000Z"        # a fixed clock: every run reads the same data
ORDERS_PER_DAY, SEED = 100, 5
LARGE = 100                             # restaurant-days above which a profile is measured in --repeat-large pairs
TARGETS = {"wall": 1.25, "share": 0.15, "rss": 800e6, "calls": 25}   # rss: 800 MB, decimal (763 MiB), the stricter reading

# ---------------------------------------------------------------------------------------------- child processes
def peak_rss() -> int:
    """This process's peak RSS in bytes: Linux's `VmHWM`, which starts afresh at `exec`. Not `ru_maxrss`, which Linux carries
    over from the process that forked this one: after the bench itself had held a 5 x 30 world's orders (`minimum`), every
    later child reported its ~1 GB. Elsewhere, `ru_maxrss` (bytes on macOS, KiB on Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"): return int(line.split()[1]) * 1024
    except OSError: pass
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r if sys.platform == "darwin" else r * 1024

def prepare(work: Path):
    "A project dir as `fivetran debug` expects one (connector.py, requirements.txt)."
    work.mkdir(parents=True, exist_ok=True)
    for f in ("connector.py", "requirements.txt"): shutil.copy(ROOT / f, work / f)
    os.chdir(work)

def saved_state(work: Path) -> dict:
    p = work / "files" / "state.json"
    return json.loads(p.read_text()) if p.exists() else {}

def child_sync(cfg: dict, work: Path):
    "One real sync through the SDK (in `work`, from the state an earlier one left there); wall, peak RSS, checkpoints."
    from fivetran_connector_sdk import Connector, Logging
    from toast_connector import sync
    seen, t = {"ckpt_rows": []}, None
    run, ckpt = sync.Engine.run, sync.Engine.checkpoint
    def spy_ckpt(self, *a, **kw):
        seen["ckpt_rows"].append(self.since_ckpt)       # the rows each checkpoint wrote: the cadence floor repeats it
        return ckpt(self, *a, **kw)
    sync.Engine.checkpoint = spy_ckpt
    def spy(self):
        seen["before"] = time.perf_counter() - t          # the SDK's own start (requirements check, schema) until update()
        try: return run(self)
        finally: seen.update(timing=dict(self.timing), cpu=dict(self.cpu), why=dict(self.ckpt_why), checkpoints=self.checkpoints,
                             engine=time.perf_counter() - t - seen["before"])
    sync.Engine.run = spy
    prepare(work)
    state = saved_state(work)
    c = Connector(update=sync.update, schema=sync.schema)
    t = time.perf_counter()
    c.debug(project_path=str(work), configuration=cfg, state=state, log_level=Logging.Level.WARNING)
    wall = time.perf_counter() - t
    print("RESULT " + json.dumps({"wall": wall, "rss": peak_rss(), **seen}), flush=True)

class Collect:
    "An emitter that keeps the operations and the last state."
    def __init__(self): self.ops, self.state = [], {}
    def upsert(self, t, d): self.ops.append(("u", t, d))
    def delete(self, t, k): self.ops.append(("d", t, k))
    def checkpoint(self, s): self.state = json.loads(json.dumps(s))

class Quiet:
    def info(self, m): pass
    def warning(self, m): pass

def child_null(cfg: dict, work: Path):
    """Collect a sync's operations (untimed, unthrottled sandbox), then time the SDK writing exactly those with one checkpoint
    (or, with `BENCH_CADENCE`, a JSON list of row counts, a checkpoint after each of those many rows, then one at the end)."""
    from fivetran_connector_sdk import Connector, Logging, Operations as op
    from toast_connector.sdk import SdkEmitter
    from toast_connector.sync import schema, tables, update
    prepare(work)
    prior = work / "collect-state.json"
    col = Collect()
    update(cfg, json.loads(prior.read_text()) if prior.exists() else {}, emit=col, log=Quiet())
    prior.write_text(json.dumps(col.state))           # the next (incremental) floor collects from here
    # the rows as the connector hands them to the SDK (Decimals as text, timestamps as datetimes), made before the clock
    # starts: the floor times the SDK's calls and nothing of the connector's (converting them in the timed loop would add
    # the same work to both)
    conv = SdkEmitter(tables())                         # its `row`: what SdkEmitter hands op.upsert/op.delete
    ops, timing, start = [(kind, table, conv.row(table, data)) for kind, table, data in col.ops], {}, [0.0]
    del col.ops                                        # only the converted rows stay (a sync holds no second copy either)
    cadence, at = json.loads(os.environ.get("BENCH_CADENCE") or "[]"), set()
    for n in cadence[:-1]: at.add(n + max(at, default=0))          # cumulative; the last is the final checkpoint's own
    def null_update(configuration, state):
        "The same rows, one checkpoint at the end (and one after each count of `cadence`)."
        t, u = time.perf_counter(), time.thread_time()
        timing["before"] = t - start[0]                  # the SDK's own start (requirements check, schema) until update()
        mid = midcpu = 0.0; made = 1                     # the checkpoints within the loop (cadence only), and how many
        if not at:
            for kind, table, data in ops:
                if kind == "u": op.upsert(table=table, data=data)
                else: op.delete(table=table, keys=data)
        else:
            for i, (kind, table, data) in enumerate(ops, 1):
                if kind == "u": op.upsert(table=table, data=data)
                else: op.delete(table=table, keys=data)
                if i in at:
                    c0, k0 = time.perf_counter(), time.thread_time()
                    op.checkpoint(state={"n": i})
                    mid, midcpu, made = mid + time.perf_counter() - c0, midcpu + time.thread_time() - k0, made + 1
        t1, u1 = time.perf_counter(), time.thread_time()
        op.checkpoint(state={"n": len(ops)})
        timing.update(emit=t1 - t - mid, checkpoint=time.perf_counter() - t1 + mid, emit_cpu=u1 - u - midcpu, checkpoints=made)
    c = Connector(update=null_update, schema=schema)
    t = start[0] = time.perf_counter()
    c.debug(project_path=str(work), configuration=cfg, state=saved_state(work), log_level=Logging.Level.WARNING)
    wall = time.perf_counter() - t
    print("RESULT " + json.dumps({"wall": wall, "rows": len(ops), **timing}), flush=True)

def child_day(cfg: dict, work: Path):
    "24 hourly syncs (engine only, operations discarded) from the state in `work`; the sandbox is advanced before each."
    import requests
    from toast_connector.sync import update
    state = json.loads((work / "day-state.json").read_text())
    per = []
    for hour in range(24):
        requests.post(cfg["domain"] + "/_sandbox/advance?hours=1", timeout=60).raise_for_status()
        before = total_calls(requests.get(cfg["domain"] + "/_sandbox/stats", timeout=60).json())
        col = Collect()
        update(cfg, state, emit=col, log=Quiet())
        state = col.state
        per.append(total_calls(requests.get(cfg["domain"] + "/_sandbox/stats", timeout=60).json()) - before)
    print("RESULT " + json.dumps({"calls": per}), flush=True)

# ---------------------------------------------------------------------------------------------- helpers
def total_calls(stats: dict) -> int:
    return sum(n for by in stats["requests"].values() for n in by.values())

class SandboxProc:
    "`python -m toast_connector.sandbox` in its own process."
    def __init__(self, **kw):
        args = [sys.executable, "-m", "toast_connector.sandbox", "--port", "0", "--now", NOW]
        for k, v in kw.items(): args += [f"--{k.replace('_', '-')}", str(v)]
        self.p = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.p.stdout.readline()
        if "ready at" not in line: raise RuntimeError(f"sandbox did not start: {line!r}")
        self.url = line.split("ready at", 1)[1].strip()
        creds = dict(kv.split("=", 1) for kv in self.p.stdout.readline().split())
        self.client_id, self.client_secret = creds["clientId"], creds["clientSecret"]
    def get(self, path):
        import requests
        return requests.get(self.url + path, timeout=120).json()
    def advance(self, hours):
        import requests
        requests.post(f"{self.url}/_sandbox/advance?hours={hours}", timeout=120).raise_for_status()
    def cpu(self) -> float:
        "CPU seconds the sandbox process has used (Linux /proc; 0 elsewhere)."
        try: f = Path(f"/proc/{self.p.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError: return 0.0
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    def stop(self):
        self.p.terminate()
        try: self.p.wait(10)
        except subprocess.TimeoutExpired: self.p.kill()

def config(sb: SandboxProc, days: int, **extra) -> dict:
    start = datetime.fromisoformat(NOW.replace("Z", "+00:00")) - timedelta(days=days)
    return {"clientId": sb.client_id, "clientSecret": sb.client_secret, "userAccessType": "TOAST_MACHINE_CLIENT",
            "domain": sb.url, "initialSyncStart": start.strftime("%Y-%m-%dT%H:%M:%S.000Z"), **{k: str(v) for k, v in extra.items()}}

def run_child(mode: str, cfg: dict, work: Path, cadence: list | None = None) -> dict:
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT),
           "BENCH_CADENCE": json.dumps(cadence or [])}
    work.mkdir(parents=True, exist_ok=True)
    cfile = work.parent / f"{work.name}.cfg.json"
    cfile.write_text(json.dumps(cfg))                  # the configuration never goes on a command line
    try:
        r = subprocess.run([sys.executable, __file__, f"--child-{mode}", str(cfile), str(work)],
                           cwd=ROOT, capture_output=True, text=True, timeout=3600, env=env)
    finally: cfile.unlink(missing_ok=True)
    res = [l for l in r.stdout.splitlines() if l.startswith("RESULT ")]
    if r.returncode or not res: raise RuntimeError(f"{mode} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return json.loads(res[-1][7:])

LIMITS = {"/orders/v2/ordersBulk": 5.0, "/menus/v2/menus": 1.0}     # per restaurant per second; all else shares 20/s

def diff(after: dict, before: dict | None) -> dict:
    "Per (template, restaurant) calls made between two snapshots of the sandbox's statistics."
    out = defaultdict(Counter)
    for tmpl, by in after["requests"].items():
        for r, n in by.items(): out[tmpl][r] = n - ((before or {}).get("requests", {}).get(tmpl, {}).get(r, 0))
    return out

def minimum(sb: SandboxProc, calls: dict, start: datetime, end: datetime) -> tuple[int, float]:
    """The fewest calls that read the same data, and the seconds Toast's per-restaurant limits need for them (restaurants
    in parallel): ordersBulk whole pages per 30-day window of `modifiedDate` in [start, end); every other endpoint as made."""
    by_r = defaultdict(list)
    for e in sb.get("/_sandbox/truth/orders")["entities"]["orders"]:
        t = datetime.fromisoformat(e["object"]["modifiedDate"].replace("+0000", "+00:00"))
        if start <= t < end: by_r[e["restaurant"]].append(t)
    per = defaultdict(Counter)
    for tmpl, by in calls.items():
        path = tmpl.split(" ", 1)[-1]
        if "ordersBulk" in path: continue
        for r, n in by.items(): per[r][path] += n
    for r in {r for by in calls.values() for r in by if r != "-"}:
        w, bulk = start, 0
        while w < end:
            we = min(end, w + timedelta(days=30))
            n = sum(1 for t in by_r[r] if w <= t < we)
            bulk += n // 100 + 1              # the last page is the one shorter than 100 (an empty one after a full page)
            w = we
        per[r]["/orders/v2/ordersBulk"] = bulk
    total = sum(sum(c.values()) for c in per.values())
    floor = max([max([sum(c.values()) / 20.0] + [n / LIMITS[p] for p, n in c.items() if p in LIMITS])
                 for r, c in per.items() if r != "-"] or [0.0])
    return total, floor

def mark(ok: bool) -> str: return "meets target" if ok else "MISSES target"

# ---------------------------------------------------------------------------------------------- main
def profile(restaurants: int, days: int, a, day: bool, results: list) -> bool:
    end = datetime.fromisoformat(NOW.replace("Z", "+00:00"))
    prof = dict(seed=SEED, restaurants=restaurants, days=days, orders_per_day=ORDERS_PER_DAY)
    name = f"{restaurants}x{days}"
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    ok = True
    try:
        real = SandboxProc(**prof, latency_ms=a.latency_ms, jitter_ms=a.jitter_ms, rate_limits=1)
        try:
            cfg = config(real, days, maxWorkers=a.max_workers)
            c0 = real.cpu()
            first = run_child("sync", cfg, tmp / "sync")
            first["sandbox_cpu"] = real.cpu() - c0
            s1 = real.get("/_sandbox/stats")
            real.advance(1)
            c0 = real.cpu()
            inc = run_child("sync", cfg, tmp / "sync")
            inc["sandbox_cpu"] = real.cpu() - c0
            s2 = real.get("/_sandbox/stats")
            c1, c2 = diff(s1, None), diff(s2, s1)
            lag = timedelta(seconds=120)
            min1, lim1 = minimum(real, c1, end - timedelta(days=days), end - lag)
            min2, lim2 = minimum(real, c2, end - timedelta(minutes=60) - lag, end + timedelta(hours=1) - lag)   # the lookback hour, then the new one
            retries = sum(int(v) for k, v in s2.get("status", {}).items() if k != "200")
        finally: real.stop()
        fast = SandboxProc(**prof, rate_limits=0)
        try:
            fcfg = config(fast, days, maxWorkers=a.max_workers)
            nfirst = run_child("null", fcfg, tmp / "null")
            # the same rows with the sync's own checkpoints (as many, as large): what the memory-bounded cadence costs the writer
            ncad = run_child("null", fcfg, tmp / "null-cadence", cadence=first["ckpt_rows"]) if first["checkpoints"] > 1 else None
            fast.advance(1)
            ninc = run_child("null", fcfg, tmp / "null")
            if day:
                (tmp / "day").mkdir()
                st = json.loads((tmp / "null" / "collect-state.json").read_text())
                st.pop("auth", None)          # that sandbox's token: this one logs in afresh
                (tmp / "day" / "day-state.json").write_text(json.dumps(st))
        finally: fast.stop()
        if day:       # a day of hourly syncs after the incremental, at default settings, on the throttled sandbox
            real2 = SandboxProc(**prof, latency_ms=a.latency_ms, jitter_ms=a.jitter_ms, rate_limits=1)
            try:
                real2.advance(1)
                dres = run_child("day", config(real2, days, maxWorkers=a.max_workers), tmp / "day")
            finally: real2.stop()
        ratios, rsss = [first["wall"] / nfirst["wall"]], [first["rss"]]     # the first sync's peak RSS is checked on every pair's
        cads = [(ncad["wall"] / nfirst["wall"], first["wall"] / ncad["wall"])] if ncad else []   # (cadence / floor, sync / cadence)
        pairs = a.repeat if restaurants * days <= LARGE else a.repeat_large
        for rep in range(1, pairs):       # more paired first syncs, order rotated: floor first, then sync first, ...
            pair = {}                     # (with more than one checkpoint, the cadence floor follows the sync it repeats)
            for mode in (("null", "sync", "cadence") if rep % 2 else ("sync", "cadence", "null")):
                if mode == "cadence" and pair["sync"]["checkpoints"] < 2: continue
                sb = SandboxProc(**prof, **(dict(latency_ms=a.latency_ms, jitter_ms=a.jitter_ms, rate_limits=1)
                                            if mode == "sync" else dict(rate_limits=0)))
                try: pair[mode] = run_child("null" if mode == "cadence" else mode, config(sb, days, maxWorkers=a.max_workers),
                                            tmp / f"{mode}-{rep}", cadence=pair["sync"]["ckpt_rows"] if mode == "cadence" else None)
                finally: sb.stop()
            ratios.append(pair["sync"]["wall"] / pair["null"]["wall"]); rsss.append(pair["sync"]["rss"])
            if "cadence" in pair: cads.append((pair["cadence"]["wall"] / pair["null"]["wall"], pair["sync"]["wall"] / pair["cadence"]["wall"]))
            print(f"[{name} first sync, pair {rep + 1}] wall {pair['sync']['wall']:.1f} s / writer floor "
                  f"{pair['null']['wall']:.1f} s = {ratios[-1]:.2f}x"
                  + (f"; the cadence floor {pair['cadence']['wall']:.1f} s" if "cadence" in pair else ""), flush=True)
        for kind, res, null, calls, mincalls, lim in (("first sync", first, nfirst, c1, min1, lim1),
                                                       ("incremental +1 h", inc, ninc, c2, min2, lim2)):
            made = sum(sum(by.values()) for by in calls.values())
            ck = res["timing"].get("checkpoint", 0.0)
            share, extra = ck / res["wall"], max(0.0, ck - null["checkpoint"]) / res["wall"]
            why = ", ".join(f"{k} {v}" for k, v in sorted(res["why"].items()))
            print(f"[{name} {kind}] wall {res['wall']:.1f} s = {res['wall'] / null['wall']:.2f}x the writer floor "
                  f"({null['wall']:.1f} s for {null['rows']:,} rows, one checkpoint of {null['checkpoint']:.1f} s) "
                  f"= {res['wall'] / max(lim, 1e-9):.1f}x Toast's floor ({lim:.1f} s for {mincalls} calls)", flush=True)
            print(f"[{name} {kind}] calls {made} / minimum {mincalls} = {made / mincalls:.2f}x "
                  f"({made / restaurants:.1f} per restaurant)", flush=True)
            print(f"[{name} {kind}] checkpoints {res['checkpoints']} ({why}): {ck:.1f} s = {share:.0%} of the wall; "
                  f"beyond the floor's single checkpoint {max(0.0, ck - null['checkpoint']):.1f} s = {extra:.0%}", flush=True)
            print(f"[{name} {kind}] the sync's main thread: " + ", ".join(f"{k} {v:.1f} s" for k, v in res["timing"].items())
                  + f" (the floor: emitting {null['emit']:.1f} s, checkpoint {null['checkpoint']:.1f} s); the sandbox process "
                  f"used {res['sandbox_cpu']:.1f} s of CPU meanwhile, on the same 2 cores", flush=True)
            em, cpu = res["timing"].get("emitting", 0.0), res["cpu"].get("emitting", 0.0)
            print(f"[{name} {kind}] emitting on the main thread: {em:.1f} s, {cpu:.1f} s of it on its CPU; the other {em - cpu:.1f} s "
                  f"({(em - cpu) / max(cpu, 1e-9):.0%} of that CPU) it waited: for the GIL, which the workers held to fetch, decode and "
                  f"flatten, or for a core (the floor's emitting: {null['emit']:.1f} s, {null['emit_cpu']:.1f} s on CPU)", flush=True)
            print(f"[{name} {kind}] the SDK's start before update(): {res.get('before', 0):.1f} s (the floor's: "
                  f"{null.get('before', 0):.1f} s); the engine's run {res.get('engine', 0):.1f} s", flush=True)
            rss = max(rsss) if kind == "first sync" else res["rss"]
            print(f"[{name} {kind}] peak RSS {rss / 2**20:.0f} MiB = {rss / 1e6:.0f} MB (the sync process: connector, SDK, DuckDB"
                  + (f"; the highest of the {len(rsss)} first syncs: " + ", ".join(f"{r / 2**20:.0f}" for r in rsss) + " MiB)"
                     if kind == "first sync" and len(rsss) > 1 else ")"), flush=True)
            row = dict(profile=name, kind=kind, wall=res["wall"], floor=null["wall"], toast=lim, calls=made, minimum=mincalls,
                       checkpoints=res["checkpoints"], share=share, extra=extra, rss=rss)
            results.append(row)
            if kind == "first sync" and cads:
                print(f"[{name} first sync] the writer floor with the sync's own checkpoints (same rows, checkpointed after as "
                      f"many as each of the sync's wrote; {ncad['checkpoints'] if ncad else '-'} in the first pair) over {len(cads)} "
                      f"pairs: {', '.join(f'{c:.2f}x' for c, _ in cads)} the single-checkpoint floor, median "
                      f"{statistics.median(c for c, _ in cads):.2f}x (what the memory-bounded cadence costs the writer); the sync "
                      f"{', '.join(f'{x:.2f}x' for _, x in cads)} it, median {statistics.median(x for _, x in cads):.2f}x (the "
                      "connector's own overhead: fetching, decoding and flattening on the workers, the GIL they take, its "
                      "bookkeeping). Printed, not a target", flush=True)
            if kind == "first sync":
                med = statistics.median(ratios)
                print(f"[{name} first sync] wall / writer floor over {len(ratios)} paired runs: "
                      + ", ".join(f"{x:.2f}x" for x in ratios) + f"; median {med:.2f}x", flush=True)
                ok &= check(f"{name} first sync wall / writer floor (median of {len(ratios)} pairs)", med, TARGETS["wall"], "x")
            if kind == "first sync":
                ok &= check(f"{name} first sync checkpoint share beyond the floor's", extra, TARGETS["share"], "%")
            elif res["checkpoints"] == 1:
                print(f"  (one checkpoint, as its floor: the least a sync can make; the difference is noise)", flush=True)
            else: ok &= check(f"{name} {kind} checkpoint share beyond the floor's", extra, TARGETS["share"], "%")
            if days >= 30: ok &= check(f"{name} {kind} peak RSS", rss / 1e6, TARGETS["rss"] / 1e6, " MB")
        if day:
            per = [n / restaurants for n in dres["calls"]]
            print(f"[{name} day of hourly syncs] calls per restaurant per sync: mean {sum(per) / len(per):.1f}, "
                  f"max {max(per):.1f} (the daily refresh), {retries} non-200 answers in the first two syncs", flush=True)
            ok &= check(f"{name} incremental calls per restaurant per hourly sync (mean over 24)", sum(per) / len(per), TARGETS["calls"], "")
    finally: shutil.rmtree(tmp, ignore_errors=True)
    return ok

def check(what: str, fig: float, target: float, unit: str) -> bool:
    f = (lambda v: f"{v:.0%}") if unit == "%" else (lambda v: f"{v:.2f}{unit}")
    good = fig <= target
    print(f"  target: {what} {f(fig)} <= {f(target)}: {mark(good)}", flush=True)
    return good

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profiles", default="2x7,2x30,5x7,5x30", help="restaurants x days, comma separated")
    ap.add_argument("--latency-ms", type=float, default=40)
    ap.add_argument("--jitter-ms", type=float, default=20)
    ap.add_argument("--max-workers", type=int, default=4, help="maxWorkers (the connector's default: 4)")
    ap.add_argument("--no-day", action="store_true", help="skip the day of hourly syncs")
    ap.add_argument("--repeat", type=int, default=5, help="paired first syncs per profile (sync and its floor, order "
                    "rotated); the wall target is checked on the median of their ratios")
    ap.add_argument("--repeat-large", type=int, default=3, help=f"the same for profiles over {LARGE} restaurant-days "
                    "(5 x 30: a pair takes some five minutes here, and its ratio moves least)")
    a = ap.parse_args()
    print(f"profiles {a.profiles}: {ORDERS_PER_DAY} orders/restaurant/day, seed {SEED}, clock {NOW}, latency "
          f"{a.latency_ms:.0f}+0..{a.jitter_ms:.0f} ms, Toast's limits enforced, maxWorkers {a.max_workers}, default settings", flush=True)
    ok, results = True, []
    for i, p in enumerate(a.profiles.split(",")):
        r, d = (int(x) for x in p.lower().split("x"))
        ok &= profile(r, d, a, day=not a.no_day and (r, d) == (2, 7), results=results)
    if not ok: sys.exit("a target was missed (see above)")

if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("--child-sync", "--child-null", "--child-day"):
        {"--child-sync": child_sync, "--child-null": child_null, "--child-day": child_day}[sys.argv[1]](
            json.loads(Path(sys.argv[2]).read_text()), Path(sys.argv[3]))
    else: main()
