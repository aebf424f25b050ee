"""Restaurants that leave (issue 11, point 6), against the sandbox over HTTP with a pinned clock: one restaurant
disconnects (the partners list flags it `deleted`), another is archived (the list drops it); both answer 403 from
then on. The next syncs succeed, mark them on `restaurant` with when (the first time seen gone, kept), keep every
row they had (nothing deleted) and sync the remaining restaurant as usual. When they reconnect (first inside
Toast's 15-minute 403 window, then after it), they resume from their cursors: no re-backfill, and every order of
the gap is there (the sandbox's own truth)."""
import time
from datetime import datetime, timedelta, timezone

from toast_connector import sync, testing
from toast_connector.client import ToastClient
from toast_connector.config import validate_configuration
from toast_connector.windows import parse_ts
from toast_connector.sandbox.server import Sandbox

NOW = datetime(2026, 3, 10, 17, 0, tzinfo=timezone.utc)          # pinned
LAG = timedelta(seconds=120)
START = (NOW - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Recording(ToastClient):
    "A real client that records (path, restaurant, params) of every GET."
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw); self.calls = []
    def get(self, path, *, restaurant=None, params=None, **kw):
        self.calls.append((path, restaurant, dict(params or {})))
        return super().get(path, restaurant=restaurant, params=params, **kw)


def sync_once(sb, rec, **settings):
    "One sync into `rec` from its committed state: (client, error or None)."
    cfg = sb.configuration(initialSyncStart=START, **settings)
    client = Recording(validate_configuration(cfg), {}, log=testing.ListLog())
    try: sync.update(cfg, rec.state, emit=rec, log=testing.ListLog(), client=client)
    except Exception as e: return client, e
    finally: client.close()
    return client, None


def mine(rec, guid):
    "Every committed row of a restaurant (restaurant and sync_log aside), as comparable text."
    return sorted(repr((t, sorted(row.items()))) for (t, _), row in rec.warehouse.items()
                  if t not in ("restaurant", "sync_log") and row.get("restaurant_id") == guid)


def truth_orders(sb, guid, cut):
    "Live orders of a restaurant Toast serves with a modifiedDate before `cut` (the sandbox's objects)."
    return {e["object"]["guid"] for e in sb.truth("orders")["entities"]["orders"] if e["restaurant"] == guid
            and not e["object"]["deleted"] and parse_ts(START) <= parse_ts(e["object"]["modifiedDate"]) < cut}


def test_restaurants_that_leave_are_marked_keep_their_rows_and_resume_when_back():
    sb = Sandbox(seed=4, restaurants=3, days=2, orders_per_day=8, rate_limits=0, now=NOW)
    sb.world.connect_every_hours = 0
    sb.world.rates.update({"order_edit": 30.0, "order_delete": 6.0})       # the gap has edits and deletions too
    with sb:
        g1, g2, g3 = sb.world.restaurant_guids()
        rec = testing.Recorder()
        assert sync_once(sb, rec)[1] is None                                   # 1: all three
        assert {r["id"] for r in rec.rows("restaurant")} == {g1, g2, g3}
        sb.advance(2)
        sb.world.leave(g2)                                                     # disconnected: partners list `deleted: true`
        sb.world.leave(g3, archived=True)                                      # archived: dropped from the list
        left_at = sb.now
        before = {g: mine(rec, g) for g in (g2, g3)}
        cursors = {g: dict(rec.state["restaurants"][g]) for g in (g2, g3)}
        assert before[g2] and before[g3]
        sb.advance(3)
        n = len(rec.ops)
        t0 = time.monotonic()
        client, err = sync_once(sb, rec)                                       # 2: two have left
        took = timedelta(seconds=time.monotonic() - t0)
        assert err is None, err
        slog = max(rec.rows("sync_log"), key=lambda r: r["sync_id"])
        assert slog["status"] == "succeeded" and not slog["errors"]
        rows = {r["id"]: r for r in rec.rows("restaurant")}
        seen_gone = sb.now
        assert rows[g2]["sync_status"] == "deleted" and rows[g2]["deleted"] is True
        assert rows[g3]["sync_status"] == "disconnected"
        for g in (g2, g3):
            at = parse_ts(rows[g]["disconnected_at"])
            # when: the sync that first saw it gone. The connector's clock is Toast's last `Date` plus the time it has
            # run since (Toast's clock moves; this sandbox's is pinned), so it may be ahead of the pin by the sync's length
            assert left_at < at <= seen_gone + took, (g, at, took)
            assert rows[g]["time_zone"] and rows[g]["name"]                     # the details synced before are kept
            assert mine(rec, g) == before[g]                                   # every row kept, none changed
            assert rec.state["restaurants"][g] == cursors[g]                   # cursors kept as they were
            assert not [c for c in client.calls if c[1] == g]                  # its endpoints were not called
            assert slog["restaurants"][g].startswith(rows[g]["sync_status"])
        assert not [op for op in rec.ops[n:] if op[0] == "delete" and op[2].get("restaurant_id") in (g2, g3)]
        assert parse_ts(rec.state["restaurants"][g1]["orders"]["to"]) > parse_ts(cursors[g2]["orders"]["to"])   # g1 went on
        assert {r["id"] for r in rec.rows("orders") if r["restaurant_id"] == g1} == truth_orders(sb, g1, sb.now - LAG)
        first = {g: rows[g]["disconnected_at"] for g in (g2, g3)}
        sb.advance(1)
        assert sync_once(sb, rec)[1] is None                                   # 3: still gone; the time does not move
        rows = {r["id"]: r for r in rec.rows("restaurant")}
        assert {g: rows[g]["disconnected_at"] for g in (g2, g3)} == first
        sb.advance(1)
        sb.world.rejoin(g2); sb.world.rejoin(g3)
        sb.advance(0.05)                                                       # 3 minutes: inside Toast's 403 window
        assert sync_once(sb, rec)[1] is None                                   # 4: back, but not accessible yet
        rows = {r["id"]: r for r in rec.rows("restaurant")}
        assert {g: rows[g]["sync_status"] for g in (g2, g3)} == {g2: "forbidden", g3: "forbidden"}
        assert {g: rows[g]["disconnected_at"] for g in (g2, g3)} == first
        assert {g: rec.state["restaurants"][g] for g in (g2, g3)} == cursors
        sb.advance(0.5)
        client, err = sync_once(sb, rec)                                       # 5: resumed from the cursors
        assert err is None, err
        rows = {r["id"]: r for r in rec.rows("restaurant")}
        cut = sb.now - LAG
        for g in (g2, g3):
            assert rows[g]["sync_status"] == "ok" and rows[g]["disconnected_at"] is None
            starts = sorted(parse_ts(p["startDate"]) for path, r, p in client.calls if r == g and path == "/orders/v2/ordersBulk")
            assert starts and starts[0] == parse_ts(cursors[g]["orders"]["to"]) - timedelta(minutes=60)   # cursor - lookback
            te = sorted(parse_ts(p["modifiedStartDate"]) for path, r, p in client.calls if r == g and path == "/labor/v1/timeEntries")
            assert te[0] == parse_ts(cursors[g]["labor.timeEntries"]["to"]) - timedelta(minutes=60)
            got = {r["id"] for r in rec.rows("orders") if r["restaurant_id"] == g}
            want = truth_orders(sb, g, cut)
            assert got == want, (g, len(want - got), len(got - want))          # nothing of the gap is missing
            assert len({e["object"]["guid"] for e in sb.truth("orders")["entities"]["orders"] if e["restaurant"] == g
                        and left_at <= parse_ts(e["object"]["modifiedDate"]) < seen_gone}) > 0   # the gap held orders
        assert "left" in rec.state and not rec.state["left"]


def test_toast_failing_one_restaurants_details_stops_no_other_restaurant():
    # helper-40: a detail call that Toast keeps failing (500 beyond the retries) escaped discovery and failed the whole
    # sync, every restaurant's cursors held, once the details were due again (daily). Now the details remembered serve
    # (with a warning) and every restaurant syncs; with none remembered, that restaurant alone is skipped and the sync
    # ends failed naming it, while the others sync.
    from toast_connector.sandbox.server import ApiError
    sb = Sandbox(seed=3, restaurants=3, days=2, orders_per_day=6, rate_limits=0, now=NOW, token_ttl=10**8)
    sb.world.connect_every_hours = 0
    with sb:
        g1, g2, g3 = sb.world.restaurant_guids()
        rec = testing.Recorder()
        assert sync_once(sb, rec)[1] is None
        before = {g: rec.state["restaurants"][g]["orders"]["to"] for g in (g1, g2, g3)}
        sb.advance(25)                                              # restaurantRefreshHours (24) passed: details due
        def broken(sb_, c):
            if c.path == f"/restaurants/v1/restaurants/{g3}": raise ApiError(500, "detail backend down for this restaurant")
        sb.on_request = broken
        cfg = sb.configuration(initialSyncStart=START, maxAttempts="2")
        log = testing.ListLog()
        sync.update(cfg, rec.state, emit=rec, log=log)               # succeeds: g3 synced with its remembered details
        said = [m for k, m in log.lines if k == "warning" and "synced with the details remembered" in m]
        assert len(said) == 1 and "synced with the details remembered at" in said[0] and "500" in said[0], log.lines
        for g in (g1, g2, g3):
            assert parse_ts(rec.state["restaurants"][g]["orders"]["to"]) > parse_ts(before[g]) + timedelta(hours=20), g
            cut = parse_ts(rec.state["restaurants"][g]["orders"]["to"])
            assert {r["id"] for r in rec.rows("orders") if r["restaurant_id"] == g} == truth_orders(sb, g, cut), g
        # a first sync (nothing remembered): g3 skipped, named in the failure; g1 and g2 synced whole
        fresh = testing.Recorder()
        try: sync.update(cfg, {}, emit=fresh, log=testing.ListLog()); raise AssertionError("the sync did not fail")
        except sync.SyncFailed as e: assert g3 in str(e) and "500" in str(e), e
        assert set(fresh.state["restaurants"]) >= {g1, g2} and "orders" not in fresh.state["restaurants"].get(g3, {})
        for g in (g1, g2):
            cut = parse_ts(fresh.state["restaurants"][g]["orders"]["to"])
            assert {r["id"] for r in fresh.rows("orders") if r["restaurant_id"] == g} == truth_orders(sb, g, cut) != set(), g
        status = {r["id"]: r["sync_status"] for r in fresh.rows("restaurant")}
        assert status == {g1: "ok", g2: "ok", g3: "unavailable"}, status


def test_the_only_restaurant_selected_is_archived_marked_and_the_syncs_succeed():
    """helper-55: a connection that syncs one restaurant (`restaurantIds`) which is then archived. Toast's list still holds
    the others, so the empty selection is no fault (it was read as an empty list, and every later sync failed): the
    restaurant is marked disconnected, its rows are kept, the syncs succeed."""
    sb = Sandbox(seed=4, restaurants=3, days=2, orders_per_day=8, rate_limits=0, now=NOW)
    sb.world.connect_every_hours = 0
    with sb:
        g3 = sb.world.restaurant_guids()[2]
        rec = testing.Recorder()
        assert sync_once(sb, rec, restaurantIds=g3)[1] is None
        kept = mine(rec, g3)
        assert kept
        sb.world.leave(g3, archived=True)
        sb.advance(1)
        for _ in range(2):
            assert sync_once(sb, rec, restaurantIds=g3)[1] is None
        (row,) = rec.rows("restaurant")
        assert (row["id"], row["sync_status"]) == (g3, "disconnected") and row["disconnected_at"], row
        assert mine(rec, g3) == kept


def test_an_archived_restaurant_s_detail_answers_404_unless_archived_ones_are_asked_for():
    """restaurants-v1: the detail of an archived restaurant is a 404 unless `includeArchived=true`, which answers it with
    `general.archived` true (helper-55: the sandbox answered 403, the "newly connected" answer, either way)."""
    import requests
    sb = Sandbox(seed=4, restaurants=3, days=1, orders_per_day=2, rate_limits=0, now=NOW)
    sb.world.connect_every_hours = 0
    with sb:
        g1, g2, g3 = sb.world.restaurant_guids()
        sb.world.leave(g2)                                    # disconnected: no access at all
        sb.world.leave(g3, archived=True)
        client = ToastClient(validate_configuration(sb.configuration(initialSyncStart=START)), {}, log=testing.ListLog())
        token = client.auth.token().reveal()
        client.close()
        def detail(g, **params):
            return requests.get(f"{sb.url}/restaurants/v1/restaurants/{g}", params=params, timeout=10,
                                headers={"Authorization": f"Bearer {token}", "Toast-Restaurant-External-ID": g})
        assert detail(g3).status_code == 404 and detail(g3, includeArchived="false").status_code == 404
        r = detail(g3, includeArchived="true")
        assert r.status_code == 200 and r.json()["general"]["archived"] is True
        assert detail(g2).status_code == 403 and detail(g2, includeArchived="true").status_code == 403
        assert detail(g1).json()["general"]["archived"] is False
