"""Settings changed between syncs of one connection, against a twin connection over the same world (helper-81).

- `initialSyncStart` moved earlier: a stream that synced reads nothing before the history it started from, its
  re-reads neither (the late-arrival re-read, the time-entry sweep, the shift and cash lookbacks each reached back a
  different stretch, a half backfill the warning denied), so the warehouse equals the twin's that never moved it.
"""
from datetime import datetime, timedelta, timezone

import pytest

from toast_connector import sync, testing
from toast_connector.client import ToastClient, RateLimiter
from toast_connector.config import validate_configuration
from toast_connector.sandbox.server import Sandbox, Reply
from toast_connector.windows import parse_ts
from urllib.parse import parse_qs, urlsplit

NOW = datetime(2026, 3, 10, 17, 0, tzinfo=timezone.utc)      # pinned: the same world at any hour
WORLD = dict(seed=7, restaurants=1, days=12, orders_per_day=6, now=NOW, rate_limits=0, token_ttl=10**8)
KEPT, EARLIER = NOW - timedelta(days=2), NOW - timedelta(days=11)
TS = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def sync_from(sb, rec, start, **more) -> testing.ListLog:
    cfg = sb.configuration(initialSyncStart=TS(start), **more)
    log = testing.ListLog()
    client = ToastClient(validate_configuration(cfg), sb.__dict__.setdefault("_tokens", {}), log=log,
                         limiter=RateLimiter(scale=100), backoff=0.002, max_backoff=0.01)
    try: sync.update(cfg, rec.state, emit=rec, log=log, client=client)
    finally: client.close()
    return log


@pytest.mark.parametrize("more", [{}, dict(reconcile="true", reconcileDays="7", reconcileHours="0")], ids=["", "reconcile"])
def test_initial_sync_start_moved_earlier_reads_nothing_before_the_history(more):
    """... the reconciliation's span neither (helper-83: its dates before the kept start were compared with nothing synced
    and re-read, writing the orders before it)."""
    with Sandbox(**WORLD) as a, Sandbox(**WORLD) as b:
        ra, rb = testing.Recorder(), testing.Recorder()
        sync_from(a, ra, KEPT, **more); sync_from(b, rb, KEPT, **more)
        said = []
        for hours in (1, 25, 1):       # +25 h: the late-arrival re-read, the sweep and the cash full lookback are due
            a.advance(hours); b.advance(hours)
            log = sync_from(a, ra, EARLIER, **more)
            sync_from(b, rb, KEPT, **more)
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


def test_a_restaurant_added_after_the_start_moved_backfills_from_it_even_if_interrupted():
    """helper-83: a restaurant added after initialSyncStart moved earlier reads from the new start; when its first
    backfill stopped part-way, the next sync raised its start to the connection's kept one, and the stretch between its
    cursor and that start was never read. A stream whose backfill has not reached the kept start keeps the configured one."""
    W2 = {**WORLD, "restaurants": 2}
    with Sandbox(**W2) as a, Sandbox(**W2) as b:
        g1, g2 = a.world.restaurant_guids()
        ra, rb = testing.Recorder(), testing.Recorder()
        sync_from(a, ra, KEPT, restaurantIds=g1); sync_from(b, rb, KEPT, restaurantIds=g1)
        a.advance(1); b.advance(1)
        orig, cut = a.respond, EARLIER + timedelta(days=4)
        def respond(method, target, headers=(), body_=b"", client="local"):
            u = urlsplit(target); q = parse_qs(u.query)
            if u.path == "/orders/v2/ordersBulk" and g2 in str(headers) and q.get("endDate") and parse_ts(q["endDate"][0]) > cut:
                return Reply(500, {"Content-Type": "application/json"}, b'{"status":500,"message":"boom"}')
            return orig(method, target, headers, body_, client)
        a.respond = respond
        with pytest.raises(Exception, match="orders for restaurant"): sync_from(a, ra, EARLIER, maxAttempts="1")   # g2's backfill stops at `cut`
        sync_from(b, rb, EARLIER)
        assert parse_ts(ra.state["restaurants"][g2]["orders"]["to"]) < KEPT
        a.respond = orig
        for h in (1, 1):
            a.advance(h); b.advance(h)
            sync_from(a, ra, EARLIER); sync_from(b, rb, EARLIER)
        only_b = [d for d in testing.diff_warehouses(ra, rb) if d.startswith("orders ") and "only in the second" in d]
        assert not only_b, only_b[:3]


def test_a_cash_backfill_interrupted_east_of_utc_reads_its_own_business_dates():
    """helper-84: whether a business-date stream reached the kept start was judged on kept's UTC date; for a restaurant
    east of UTC (Sydney, closeout 05:00) its own business date of that instant is a day later, so a cash backfill that
    stopped with `next` on the UTC date was raised past it, and that business date was never read."""
    kept = datetime(2026, 3, 8, 20, 0, tzinfo=timezone.utc)          # Sydney: 2026-03-09 07:00, business date 20260309
    with Sandbox(**{**WORLD, "restaurants": 4}) as a:
        rs = a.world._rs
        g1, g4 = rs[0].guid, rs[3].guid
        assert rs[3].tz == "Australia/Sydney"
        ra = testing.Recorder()
        sync_from(a, ra, kept, restaurantIds=g1)
        a.advance(1)
        orig, asked, fail = a.respond, [], [True]
        def respond(method, target, headers=(), body_=b"", client="local"):
            u = urlsplit(target); q = parse_qs(u.query)
            if u.path.startswith("/cashmgmt/") and g4 in str(headers):
                d = int(q["businessDate"][0]); asked.append(d)
                if fail[0] and d >= 20260308: return Reply(500, {"Content-Type": "application/json"}, b'{"status":500,"message":"boom"}')
            return orig(method, target, headers, body_, client)
        a.respond = respond
        with pytest.raises(Exception): sync_from(a, ra, EARLIER, restaurantIds=f"{g1},{g4}", maxAttempts="1")
        assert {c["next"] for k, c in ra.state["restaurants"][g4].items() if k.startswith("cash.")} == {20260308}
        fail[0] = False; asked.clear()
        for _ in range(2):
            a.advance(1); sync_from(a, ra, EARLIER, restaurantIds=f"{g1},{g4}")
        a.respond = orig
        assert 20260308 in asked, sorted(set(asked))
