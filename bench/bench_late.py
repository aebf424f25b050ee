"""The cost of the late-arrival re-read (issue 11, point 3): a day of hourly syncs with it (the defaults:
lateArrivalDays 8, every 24 hours) and without it (lateArrivalDays 0), measured side by side in one run.

Two sandboxes of the same seed, each in its own process (`python -m toast_connector.sandbox`) with latency and Toast's
rate limits, start at the same pinned clock; each side backfills (untimed), then both advance one hour and sync, 24
times, alternating so that load on a shared machine falls on both alike. The syncs run the real engine
(`sync.update`) into a null destination that keeps only the orders' versions, so wall time is the connector's and
Toast's, not the SDK writer's (the rows the re-read re-emits are printed: they are its cost at the destination).
Printed: API calls and wall of the 24 syncs on each side and their ratios; the re-read's own calls, records and rows
(from `sync_log.late_reread`) as a share of the incremental calls; and, from the sandbox's truth, how many visible
orders each warehouse lacks at the end (the point of paying for it).
Usage: python bench/bench_late.py [--restaurants 2] [--orders-per-day 300] [--latency-ms 20] [--hours 24]
"""
from __future__ import annotations
import argparse, json, sys, time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sync import NOW, ROOT, SandboxProc, config     # noqa: E402  (one sandbox launcher for every bench)

import requests                                            # noqa: E402
from toast_connector import sync                           # noqa: E402


class Versions:
    "A null destination: keeps each order's modified_date and the last checkpointed state."
    def __init__(self): self.orders, self.state = {}, {}
    def upsert(self, table, data):
        if table == "orders": self.orders[data["id"]] = data["modified_date"]
    def update(self, table, data): pass
    def delete(self, table, keys):
        if table == "orders": self.orders.pop(keys["id"], None)
    def checkpoint(self, state): self.state = json.loads(json.dumps(state))


class Quiet:
    def info(self, m): pass
    def warning(self, m): pass


def missing(sb: SandboxProc, dest: Versions) -> int:
    "Visible, live orders (modified before the last sync's window end) whose current version the destination lacks."
    cut = {g: c["orders"]["to"] for g, c in dest.state["restaurants"].items()}
    n = 0
    for e in sb.get("/_sandbox/truth/orders")["entities"]["orders"]:
        o = e["object"]
        if o.get("deleted") or o["modifiedDate"] >= cut[e["restaurant"]]: continue
        got = dest.orders.get(o["guid"])
        if got is None or datetime.fromisoformat(str(got).replace("+0000", "+00:00")) != \
                datetime.fromisoformat(o["modifiedDate"].replace("+0000", "+00:00")): n += 1
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--restaurants", type=int, default=2)
    ap.add_argument("--orders-per-day", type=int, default=300)
    ap.add_argument("--days", type=int, default=10, help="history before the first sync (more than lateArrivalDays)")
    ap.add_argument("--latency-ms", type=float, default=20)
    ap.add_argument("--jitter-ms", type=float, default=10)
    ap.add_argument("--hours", type=int, default=24)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    from fivetran_connector_sdk import Logging
    Logging.LOG_LEVEL = Logging.Level.WARNING             # one summary line per sync otherwise
    prof = dict(seed=a.seed, restaurants=a.restaurants, days=a.days, orders_per_day=a.orders_per_day,
                latency_ms=a.latency_ms, jitter_ms=a.jitter_ms, rate_limits=1)
    print(f"profile: {a.restaurants} restaurants x {a.orders_per_day} orders/day, default world (2% of orders and time "
          f"entries uploaded late by offline devices), latency {a.latency_ms:.0f}+0..{a.jitter_ms:.0f} ms, Toast limits "
          f"enforced; {a.hours} hourly syncs after a backfill", flush=True)
    sides = {"with": {"lateArrivalDays": 8}, "without": {"lateArrivalDays": 0}}
    sbs, cfgs, dests, totals = {}, {}, {}, {}
    try:
        for name, extra in sides.items():
            sbs[name] = SandboxProc(**prof)
            cfgs[name] = config(sbs[name], a.days, maxWorkers=4, **extra)
            dests[name] = Versions()
            sync.update(cfgs[name], {}, emit=dests[name], log=Quiet())            # the backfill: not timed
            totals[name] = {"calls": 0, "wall": 0.0, "late": {"calls": 0, "records": 0, "rows": 0, "reads": 0}}
        for h in range(a.hours):
            for name in sides:
                requests.post(sbs[name].url + "/_sandbox/advance?hours=1", timeout=120).raise_for_status()
                t = time.perf_counter()
                row = sync.update(cfgs[name], dests[name].state, emit=dests[name], log=Quiet())
                totals[name]["wall"] += time.perf_counter() - t
                totals[name]["calls"] += row["api_calls"]
                for k in ("calls", "records", "rows", "reads"): totals[name]["late"][k] += (row["late_reread"] or {}).get(k, 0)
        gaps = {name: missing(sbs[name], dests[name]) for name in sides}
    finally:
        for sb in sbs.values(): sb.stop()
    w, wo = totals["with"], totals["without"]
    incremental = w["calls"] - w["late"]["calls"]
    print(f"API calls of {a.hours} hourly syncs: with the re-read {w['calls']}, without {wo['calls']}: "
          f"ratio {w['calls'] / wo['calls']:.3f}", flush=True)
    print(f"  the re-read itself ({w['late']['reads']} stream reads): {w['late']['calls']} calls = "
          f"{100 * w['late']['calls'] / incremental:.1f}% of the day's {incremental} incremental calls (limit 10%); "
          f"{w['late']['records']} records, {w['late']['rows']} rows re-emitted", flush=True)
    print(f"wall of {a.hours} hourly syncs: with {w['wall']:.1f} s, without {wo['wall']:.1f} s: ratio {w['wall'] / wo['wall']:.3f}",
          flush=True)
    print(f"visible orders missing at the end: with the re-read {gaps['with']}, without {gaps['without']}", flush=True)
    if w["late"]["reads"] == 0: sys.exit("the re-read never ran")
    if gaps["with"]: sys.exit("the re-read left visible orders out")


if __name__ == "__main__":
    main()
