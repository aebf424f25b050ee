"""Fault benchmark: the same sync against sandboxes with the same seed and a pinned clock, with about 5% of requests
served as injected 429 and 5xx faults and without. Toast's real rate limits are on and the client keeps its real retry
policy (default backoff, `Retry-After` honoured). For each fault seed, a sync without faults then one with them
(alternating, so machine load hits both alike). Prints, one line per figure:

    faults: 4.3% of N requests were faults (429: a, 5xx: b); warehouse rows equal: yes (3 / 3 faulted syncs equal ...)
    faults: sync time with faults X s / without Y s = Z x (means of 3 syncs each)

Warehouses are the `Recorder`'s (only what a checkpoint committed), compared table by table, row by row, value by
value with types (Decimal('1.10') is not Decimal('1.1')). Only the `sync_log` rows' run columns (id, times, API call
and retry counts) are left out. Exit status 1 if a warehouse differs, no fault was served, or a sync fails.
Usage: python bench/bench_faults.py [--restaurants 3] [--days 7] [--orders-per-day 60] [--faults SPEC] [--fault-seeds 11,12,13]
"""
from __future__ import annotations
import argparse, os, sys, time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from toast_connector import sync, testing
from toast_connector.testing import diff_warehouses
from toast_connector.client import ToastClient
from toast_connector.families import endpoint_limits
from toast_connector.config import validate_configuration
from toast_connector.sandbox.server import Sandbox

NOW = datetime(2026, 6, 15, 18, 30, tzinfo=timezone.utc)       # pinned: both sandboxes generate the same data
# 5% of requests drawn as faults, half 429 and half 5xx. A drawn 429 refuses the restaurant for 0.5-2 s; the client
# waits out Retry-After, so each draw serves about one 429.
FAULTS = "429:0.025,500:0.01,502:0.005,503:0.005,504:0.005"


def sandbox(args, faults=None, fault_seed=None) -> Sandbox:
    "A sandbox of the benchmark profile (Toast's limits on), with or without faults."
    return Sandbox(seed=args.seed, restaurants=args.restaurants, days=args.days, orders_per_day=args.orders_per_day,
                   now=NOW, rate_limits=1.0, faults=faults, fault_seed=fault_seed, latency_ms=args.latency_ms)


def run_sync(sb: Sandbox, start: str):
    "One first sync into a Recorder with the client's default retry policy: (recorder, client, log, seconds)."
    cfg = sb.configuration(initialSyncStart=start)
    rec, log = testing.Recorder(), testing.ListLog()
    client = ToastClient(validate_configuration(cfg), {}, log=log, limits=endpoint_limits())
    t = time.perf_counter()
    try: sync.update(cfg, {}, emit=rec, log=log, client=client)
    finally: client.close()
    return rec, client, log, time.perf_counter() - t


def fault_counts(stats: dict) -> Counter:
    "requests served, 429 faults, 5xx faults and other faults, from a sandbox's stats."
    f = Counter(stats["faults"])
    n5 = sum(v for k, v in f.items() if k.startswith("5"))
    return Counter({"requests": sum(stats["status"].values()), "429": f["429"], "5xx": n5,
                    "other": sum(f.values()) - f["429"] - n5})


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--restaurants", type=int, default=3); p.add_argument("--days", type=int, default=7)
    p.add_argument("--orders-per-day", type=int, default=60); p.add_argument("--seed", type=int, default=7)
    p.add_argument("--faults", default=FAULTS)
    p.add_argument("--fault-seeds", default="11,12,13", help="one faulted sync per fault seed")
    p.add_argument("--latency-ms", type=float, default=0)
    args = p.parse_args(argv)
    start = (NOW - timedelta(days=args.days)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with Sandbox(seed=args.seed, restaurants=1, days=1, orders_per_day=5, now=NOW, rate_limits=0) as sb:
        run_sync(sb, (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z"))     # warm-up: imports, caches
    seeds = [int(x) for x in args.fault_seeds.split(",") if x.strip()]
    n, t_clean, t_faulted, bad, first = Counter(), [], [], 0, None
    for fs in seeds:                 # alternate clean and faulted syncs, so drift in machine load hits both alike
        with sandbox(args) as sb: clean, cc, clog, t = run_sync(sb, start)
        t_clean.append(t)
        warns = [m for lvl, m in clog.lines if lvl == "warning"]
        if warns: print(f"  note: a sync without faults logged {len(warns)} warnings, first: {warns[0]}")
        first = first or clean
        same = diff_warehouses(first, clean)
        if same: print(f"  two syncs without faults differ ({len(same)} rows), first: {same[0]}"); bad += 1
        with sandbox(args, args.faults, fs) as sb:
            faulted, fc, _, t = run_sync(sb, start)
            n += fault_counts(sb.stats())
        t_faulted.append(t)
        diffs = diff_warehouses(clean, faulted)
        bad += bool(diffs)
        print(f"  fault seed {fs}: {len(faulted.warehouse)} / {len(clean.warehouse)} rows, {len(diffs)} differing; "
              f"{t:.1f} s with faults ({fc.metrics.totals()['retries']} retries) / {t_clean[-1]:.1f} s without")
        for d in diffs[:20]: print("    differs: " + d)
    nf = n["429"] + n["5xx"] + n["other"]
    print(f"faults: {100 * nf / n['requests']:.1f}% of {n['requests']} requests were faults (429: {n['429']}, 5xx: {n['5xx']}"
          + (f", other: {n['other']}" if n["other"] else "") + f"); warehouse rows equal: {'yes' if not bad else 'no'} "
          f"({len(seeds) - bad} / {len(seeds)} faulted syncs equal their sync without faults, {len(first.warehouse)} rows each)")
    a, b = sum(t_faulted) / len(t_faulted), sum(t_clean) / len(t_clean)
    print(f"faults: sync time with faults {a:.1f} s / without {b:.1f} s = {a / b:.2f}x (means of {len(seeds)} syncs each)")
    if not nf: print("  no fault was served: the comparison shows nothing"); return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
