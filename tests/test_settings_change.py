"""Settings changed between syncs of one connection, against a twin connection over the same world (helper-81).

- `initialSyncStart` moved earlier: a stream that synced reads nothing before the history it started from, its
  re-reads neither (the late-arrival re-read, the time-entry sweep, the shift and cash lookbacks each reached back a
  different stretch, a half backfill the warning denied), so the warehouse equals the twin's that never moved it.
"""
from datetime import datetime, timedelta, timezone

from toast_connector import sync, testing
from toast_connector.client import ToastClient, RateLimiter
from toast_connector.config import validate_configuration
from toast_connector.sandbox.server import Sandbox

NOW = datetime(2026, 3, 10, 17, 0, tzinfo=timezone.utc)      # pinned: the same world at any hour
WORLD = dict(seed=7, restaurants=1, days=12, orders_per_day=6, now=NOW, rate_limits=0, token_ttl=10**8)
KEPT, EARLIER = NOW - timedelta(days=2), NOW - timedelta(days=11)
TS = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def sync_from(sb, rec, start) -> testing.ListLog:
    cfg = sb.configuration(initialSyncStart=TS(start))
    log = testing.ListLog()
    client = ToastClient(validate_configuration(cfg), sb.__dict__.setdefault("_tokens", {}), log=log,
                         limiter=RateLimiter(scale=100), backoff=0.002, max_backoff=0.01)
    try: sync.update(cfg, rec.state, emit=rec, log=log, client=client)
    finally: client.close()
    return log


def test_initial_sync_start_moved_earlier_reads_nothing_before_the_history():
    with Sandbox(**WORLD) as a, Sandbox(**WORLD) as b:
        ra, rb = testing.Recorder(), testing.Recorder()
        sync_from(a, ra, KEPT); sync_from(b, rb, KEPT)
        said = []
        for hours in (1, 25, 1):       # +25 h: the late-arrival re-read, the sweep and the cash full lookback are due
            a.advance(hours); b.advance(hours)
            log = sync_from(a, ra, EARLIER)
            sync_from(b, rb, KEPT)
            said += [m for k, m in log.lines if k == "warning" and "initialSyncStart is" in m]
        assert len(said) == 3 and f"reads nothing before {TS(KEPT).replace('Z', '')}" in said[0].replace("+0000", ""), said
        diff = [d for d in testing.diff_warehouses(ra, rb) if not d.startswith("sync_log")]
        assert diff == [], diff[:5]
        old = [r for r in ra.rows("shift") + ra.rows("time_entry") if r["in_date"] < TS(KEPT - timedelta(days=1))]
        assert not old, old[:2]


def test_a_restaurant_the_settings_leave_out_is_marked_deselected_and_resumes_when_put_back():
    """helper-81: a restaurant this connection synced, left out by a changed restaurantIds / excludeRestaurantIds /
    restaurantShard, kept `sync_status` ok and no warning: a union of shards counted it twice, the stale copy among them.
    Now it is marked `deselected` with `disconnected_at`, said in a warning, its rows kept; put back, it resumes."""
    with Sandbox(**{**WORLD, "restaurants": 2, "days": 2}) as sb:
        g1, g2 = sb.world.restaurant_guids()
        rec = testing.Recorder()
        sync_from(sb, rec, KEPT)
        rows = {t: len(rec.rows(t)) for t in ("orders", "shift", "cash_entry")}
        sb.advance(1)
        log = testing.ListLog()
        cfg = sb.configuration(initialSyncStart=TS(KEPT), restaurantIds=g1)
        client = ToastClient(validate_configuration(cfg), sb.__dict__.setdefault("_tokens", {}), log=log,
                             limiter=RateLimiter(scale=100), backoff=0.002, max_backoff=0.01)
        try: sync.update(cfg, rec.state, emit=rec, log=log, client=client)
        finally: client.close()
        row = {r["id"]: r for r in rec.rows("restaurant")}
        assert row[g2]["sync_status"] == "deselected" and row[g2]["disconnected_at"], row[g2]
        assert row[g1]["sync_status"] == "ok" and row[g1].get("disconnected_at") is None
        said = [m for k, m in log.lines if k == "warning" and g2 in m and "left out by this connection's restaurantIds" in m]
        assert len(said) == 1, log.lines
        assert all(len(rec.rows(t)) >= n for t, n in rows.items()) and not rec.deleted("orders")   # its rows are kept
        assert g2 in rec.state["restaurants"]                                                     # its cursors too
        sb.advance(1)
        sync_from(sb, rec, KEPT)                                                                  # put back: resumes
        row = {r["id"]: r for r in rec.rows("restaurant")}
        assert row[g2]["sync_status"] == "ok" and row[g2]["disconnected_at"] is None, row[g2]
