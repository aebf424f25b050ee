"""Injected faults change nothing in the warehouse: the same sync against two sandboxes with the same seed and a pinned
clock, one serving 429s and 5xx (or dropped connections, truncated bodies, timeouts), ends with exactly the same rows.

Warehouses are the `Recorder`'s (only what a checkpoint committed); values are compared with their types, so
Decimal('1.10') differs from Decimal('1.1'). Only the `sync_log` row's run columns (its id, times, API call and
retry counts) may differ. The client runs with tiny backoffs (but honours Retry-After) and no proactive limit, so
the test is fast; the real retry policy's cost is measured by bench/bench_faults.py."""
import json
from decimal import Decimal
from datetime import datetime, timezone

import pytest

from toast_connector import sync, testing
from toast_connector.testing import diff_warehouses
from toast_connector.client import ToastClient, RateLimiter
from toast_connector.config import validate_configuration
from toast_connector.sandbox.server import Sandbox

NOW = datetime(2026, 6, 15, 18, 30, tzinfo=timezone.utc)       # pinned: both sandboxes generate the same data
START = "2026-06-13T00:00:00.000Z"
PROFILE = dict(seed=7, restaurants=2, days=2, orders_per_day=10, now=NOW, rate_limits=0)


def sync_once(sb, state=None, rec=None, **cfg):
    "One sync into `rec` (default: a fresh Recorder) through a client with tiny backoffs: (recorder, client, log)."
    cfg = sb.configuration(initialSyncStart=START, **cfg)
    rec, log = rec if rec is not None else testing.Recorder(), testing.ListLog()
    # tiny backoffs for 5xx/drops, but Retry-After is honoured (up to 2 s): the sandbox's 429 bursts last 0.5-2 s of
    # wall time, as Toast's rate-limit slices do, so a client that retries sooner keeps meeting 429s
    client = ToastClient(validate_configuration(cfg), {}, log=log, limiter=RateLimiter(scale=100),
                         backoff=0.005, max_backoff=0.05, max_wait=2.1)
    try: sync.update(cfg, state or {}, emit=rec, log=log, client=client)
    finally: client.close()
    return rec, client, log


def test_diff_warehouses_sees_a_changed_decimal_a_missing_row_and_ignores_run_columns():
    "The comparison itself: it must be able to fail."
    a, b = testing.Recorder(), testing.Recorder()
    for r, amt, run in ((a, "1.10", "x"), (b, "1.1", "y")):
        r.upsert("example", {"id": "p1", "amount": Decimal(amt)})
        r.upsert("sync_log", {"sync_id": run, "status": "succeeded", "retries": len(run)})
    b.upsert("example", {"id": "p2", "amount": None})
    a.checkpoint({}); b.checkpoint({})
    d = diff_warehouses(a, b)
    assert len(d) == 2 and "Decimal('1.10')" in d[0] and "only in the second" in d[1], d
    assert not diff_warehouses(a, a)


def check_equal(spec, fault_seed, kinds):
    "Sync a clean and a faulted sandbox of the same profile; assert the faults were served and the warehouses equal."
    with Sandbox(**PROFILE) as sb: clean, cc, _ = sync_once(sb)
    with Sandbox(**PROFILE, faults=spec, fault_seed=fault_seed) as sb:
        faulted, fc, flog = sync_once(sb)
        stats = sb.stats()
    served = stats["faults"]
    for kind in kinds:      # "5xx": any of 500/502/503/504
        n = sum(v for k, v in served.items() if k[0] == "5") if kind == "5xx" else served.get(kind, 0)
        assert n > 0, (kind, served)
    # every served fault was retried (by the request loop), none was skipped or reached the engine
    assert fc.metrics.totals()["retries"] >= sum(served.values()) > 0, (fc.metrics.totals(), served)
    assert sum(1 for _, m in flog.lines if "retry" in m) >= sum(served.values())
    assert clean.warehouse and len(faulted.warehouse) == len(clean.warehouse)
    diffs = diff_warehouses(clean, faulted)
    assert not diffs, f"{len(diffs)} rows differ with faults {served}:\n" + "\n".join(diffs[:30])
    (row,) = faulted.rows("sync_log")
    assert row["status"] == "succeeded" and row["retries"] >= sum(served.values()) and row["errors"] == []
    return clean, faulted, served


def test_429_and_5xx_faults_leave_the_warehouse_unchanged():
    "About 5% drawn as 429 or 5xx (each drawn 429 refuses that restaurant for 0.5-2 s): the same rows as without faults."
    check_equal("429:0.025,500:0.01,502:0.005,503:0.005,504:0.005", 11, ("429", "5xx"))


def test_dropped_connections_and_truncated_bodies_leave_the_warehouse_unchanged():
    "Dropped connections and half-sent JSON bodies are retried like 5xx: the same rows as without faults."
    clean, _, served = check_equal("drop:0.04,truncate:0.04,503:0.02", 5, ("drop", "truncate", "5xx"))
    assert len(clean.rows("orders")) > 0 and len(clean.rows("payment")) > 0


def test_faults_during_incremental_syncs_leave_the_warehouse_unchanged():
    "A first sync and three incremental ones (the sandbox advancing between them: edits, deletes, config changes)."
    def series(sb):
        rec, retries = testing.Recorder(), 0
        for hours in (3, 5, 26, None):
            _, client, _ = sync_once(sb, rec.state, rec)
            retries += client.metrics.totals()["retries"]
            if hours: sb.advance(hours)
        return rec, retries
    with Sandbox(**PROFILE) as sb: clean, _ = series(sb)
    spec = "429:0.025,500:0.01,502:0.005,503:0.005,504:0.005,drop:0.01,truncate:0.01"
    with Sandbox(**PROFILE, faults=spec, fault_seed=0) as sb:
        faulted, retries = series(sb)
        served = sb.stats()["faults"]
    assert {"429", "drop", "truncate"} <= set(served) and retries >= sum(served.values()), (served, retries)
    tos = sorted(c["orders"]["to"][:13] for st in clean.states for c in st["restaurants"].values() if "orders" in c)
    assert len(clean.rows("sync_log")) == 4 and tos[0] == "2026-06-15T18" and tos[-1] == "2026-06-17T04", tos   # 34 h on
    diffs = diff_warehouses(clean, faulted)
    assert not diffs, f"{len(diffs)} rows differ with faults {served}:\n" + "\n".join(diffs[:30])


def test_a_request_that_times_out_is_retried_and_the_warehouse_is_unchanged():
    "A response slower than the read timeout (3 s here) is abandoned and asked again."
    with Sandbox(**PROFILE) as sb: clean, _, _ = sync_once(sb)
    with Sandbox(**PROFILE, faults="timeout:0.03,500:0.02", fault_seed=2) as sb:
        sb.slow_seconds = 4.0
        faulted, client, log = sync_once(sb, timeoutSeconds="3")
        served = sb.stats()["faults"]
    assert served.get("timeout", 0) > 0 and any("timed out" in m for _, m in log.lines), (served, log.lines)
    assert client.metrics.totals()["retries"] >= sum(served.values())
    diffs = diff_warehouses(clean, faulted)
    assert not diffs, f"{len(diffs)} rows differ with faults {served}:\n" + "\n".join(diffs[:30])


def test_499s_are_retried_and_leave_the_warehouse_unchanged():
    "Toast's 499 (the request was closed before it was answered) is retried like a 5xx: the same rows as without faults."
    check_equal("499:0.04", 3, ("499",))


def test_a_422_stops_its_stream_only_and_keeps_its_cursor():
    "A 422 is not retried (the client's ToastBadRequest, as a 400): that stream stops, cursor unchanged; the rest syncs; the sync fails."
    with Sandbox(**PROFILE) as sb: first, _, _ = sync_once(sb)
    with Sandbox(**PROFILE, faults="422@jobs:1") as sb:
        rec = testing.Recorder()
        with pytest.raises(sync.SyncFailed, match="422"): sync_once(sb, rec=rec)
        assert sb.stats()["faults"] == {"422": len(sb.world.restaurant_guids())}       # asked once per restaurant: no retry
    assert not rec.rows("job") and rec.rows("orders") and rec.rows("shift")
    for g, cursors in rec.state["restaurants"].items():
        assert "labor.jobs" not in cursors and cursors["orders"] == first.state["restaurants"][g]["orders"], (g, sorted(cursors))
    (row,) = rec.rows("sync_log")
    assert row["status"] == "failed"
