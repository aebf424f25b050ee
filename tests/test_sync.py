"""The sync engine against the real sandbox over HTTP: cursors per (restaurant, stream), new restaurants,
403 and 400 policies, checkpoint cadence, state size, and crashes between checkpoints."""
import json, random
from datetime import datetime, timedelta, timezone
from collections import Counter

import pytest

from toast_connector import sync, testing, report
from dataclasses import replace
from toast_connector.streams import Stream, ModifiedWindow, PageNumber
from toast_connector.families import by_name
from toast_connector.families import FAMILIES
from toast_connector.tasks import Runner
from toast_connector.windows import parse_ts
from toast_connector.sandbox.server import Sandbox
from clock import NOW

# The engine's tests run one stream of each cursor kind, so a defect in one family's declarations shows up in
# that family's tests (and in test_every_registered_stream_syncs below), not as a failure of every engine test.
ENGINE_STREAMS = ("orders", "config.discounts", "config.tipWithholding", "cash.entries", "labor.shifts")

@pytest.fixture(autouse=True)
def engine_streams(request, monkeypatch):
    if request.node.name.startswith("test_every_registered_stream"): return
    keep = tuple(replace(f, streams=tuple(s for s in f.streams if s.name in ENGINE_STREAMS)) for f in FAMILIES)
    monkeypatch.setattr(sync, "FAMILIES", keep)

def small(**kw):
    "A small sandbox profile without rate limits, on the shared test clock."
    return Sandbox(**{"seed": 3, "restaurants": 2, "days": 4, "orders_per_day": 20, "rate_limits": 0, "now": NOW, **kw})

def run(sb, state=None, emit=None, **cfg):
    "One sync into a Recorder; returns (recorder, log)."
    rec, log = emit or testing.Recorder(), testing.ListLog()
    sync.update(sb.configuration(**cfg), state or {}, emit=rec, log=log)
    return rec, log

def truth_ids(sb, restaurant=None, lag_seconds=120, since=None):
    """Ids of live orders in the sandbox's truth that a sync can have read: modified from its initialSyncStart (`since`;
    default: the one a first sync at the sandbox's clock uses) to its now minus the safety lag."""
    end = sb.now - timedelta(seconds=lag_seconds)
    since = since or sb.configuration()["initialSyncStart"]
    return {e["object"]["guid"] for e in sb.truth("orders", since=since)["entities"]["orders"]
            if not e["object"].get("deleted") and parse_ts(e["object"]["modifiedDate"]) < end
            and (restaurant is None or e["restaurant"] == restaurant)}

def live(rec, table):
    "Ids of a table's rows in the recorder's warehouse."
    return {r["id"] for r in rec.rows(table)}

def cursors(state):
    return state.get("restaurants", {})

@pytest.mark.clock
def test_cursors_per_restaurant_and_rows_match_truth():
    with small() as sb:
        rec, log = run(sb, checkpointRows="200")
        st = rec.state
        guids = set(sb.world.restaurant_guids())
        assert set(cursors(st)) == guids
        end = sb.now
        for g in guids:
            c = cursors(st)[g]["orders"]
            to = parse_ts(c["to"])
            # the window ends the safety lag (120 s) before the sandbox's clock, never on the local clock
            assert abs((end - to).total_seconds() - 120) < 5, (end, to)
            assert c["rate"] >= 0
        assert live(rec, "orders") == truth_ids(sb)
        assert {r["id"] for r in rec.rows("restaurant")} == guids
        (row,) = rec.rows("sync_log")
        assert row["status"] == "succeeded" and row["rows"]["orders"] >= len(truth_ids(sb))
        assert any("succeeded" in m for _, m in log.lines)

def test_incremental_sync_reads_only_the_lookback():
    with small() as sb:
        rec, _ = run(sb)
        sb.reset_stats()
        sb.advance(2)
        rec2, log2 = run(sb, rec.state)
        calls = sb.stats()["requests"]
        bulk = {r: n for k, v in calls.items() if "ordersBulk" in k for r, n in v.items()}
        assert bulk and all(n == 1 for n in bulk.values()), bulk     # one window of lookback + 2 h each
        assert any("resuming" in m and "orders 20" in m for _, m in log2.lines), log2.lines

@pytest.mark.clock
def test_new_restaurant_backfills_only_that_restaurant():
    with small(restaurants=3) as sb:
        g = sorted(sb.world.restaurant_guids())
        rec, _ = run(sb, restaurantIds=",".join(g[:2]))
        assert set(cursors(rec.state)) == set(g[:2])
        sb.reset_stats()
        rec2, _ = run(sb, rec.state)
        bulk = {r: n for k, v in sb.stats()["requests"].items() if "ordersBulk" in k for r, n in v.items()}
        assert bulk[g[0]] == 1 and bulk[g[1]] == 1, bulk
        assert bulk[g[2]] >= 2, bulk        # the new one walks history from initialSyncStart
        assert set(cursors(rec2.state)) == set(g)
        for old in g[:2]: assert cursors(rec2.state)[old]["orders"]["to"] >= cursors(rec.state)[old]["orders"]["to"]
        got = {r["id"] for r in rec2.rows("orders") if r["restaurant_id"] == g[2]}
        want = truth_ids(sb, g[2])
        assert got == want and want

def test_forbidden_family_is_skipped_and_its_cursor_kept():
    with small() as sb:
        rec, _ = run(sb)
        before = cursors(rec.state)
        sb.set_scopes([s for s in sb.scopes if s != "orders:read"])         # for tokens issued from now on
        sb.advance(1)
        state = {**rec.state, "auth": {k: v for k, v in rec.state["auth"].items() if k == "logins"}}   # the cached token: dropped
        rec2, log = run(sb, state)                                           # so this sync logs in and gets the new scopes
        after = cursors(rec2.state)
        for g in before: assert after[g]["orders"] == before[g]["orders"]
        warns = [m for k, m in log.lines if k == "warning" and "orders" in m]
        assert len(warns) == 1 and "403" in warns[0], log.lines
        (row,) = rec2.rows("sync_log")
        assert row["status"] == "succeeded" and any(s["family"].startswith("orders") for s in row["skipped"])
        assert all("partial" in v for v in row["restaurants"].values())
        # other families (if registered) still synced and moved their cursors
        for s in sync.streams(sync.FAMILIES):
            name = s.name
            if s.family != "orders" and s.scope in sb.scopes:
                assert any(name in after[g] for g in after), name

@pytest.mark.clock
def test_bad_request_stops_that_stream_keeps_cursor_and_fails_after_the_rest(monkeypatch):
    bad = Stream("bad_orders", "bad_orders", "/orders/v2/ordersBulk", "orders", "orders:read", cursor=ModifiedWindow(),
                 pages=PageNumber(100), params={"businessDate": "20240101"})  # Toast: 400, not both
    monkeypatch.setattr(sync, "FAMILIES", tuple(replace(f, streams=f.streams + (bad,)) if f.name == "orders" else f
                                                for f in sync.FAMILIES))
    with small() as sb:
        rec = testing.Recorder()
        with pytest.raises(sync.SyncFailed) as ei:
            run(sb, emit=rec)
        msg = str(ei.value)
        assert "bad_orders" in msg and "400" in msg
        st = rec.state
        for g in sb.world.restaurant_guids():
            assert "orders" in cursors(st)[g] and "bad_orders" not in cursors(st)[g]
        (row,) = rec.rows("sync_log")        # the report was checkpointed before the failure
        assert row["status"] == "failed" and row["errors"][0]["stream"] == "bad_orders"
        assert live(rec, "orders") == truth_ids(sb)

def test_checkpoint_cadence(monkeypatch):
    with small(orders_per_day=30) as sb:
        rec, _ = run(sb, checkpointRows="100")
        rows = sum(1 for k, *_ in rec.ops if k != "checkpoint")
        n = sum(1 for k, *_ in rec.ops if k == "checkpoint")
        assert n <= rows // 100 + 3, (n, rows)          # by default: every checkpoint_rows rows, and at the end
        monkeypatch.setattr(sync.Engine, "CHECKPOINT_SECONDS", 0)   # now also after every window
        rec, _ = run(sb, checkpointRows="100")
        gap, gaps, windows = 0, [], 0
        for kind, table, data in rec.ops:
            if kind == "checkpoint": gaps.append(gap); gap = 0
            else: gap += 1
        assert max(gaps) <= 100, max(gaps)
        # every cursor move is its own checkpoint: successive states differ by one cursor at most
        moves = 0
        for a, b in zip(rec.states, rec.states[1:]):
            ca, cb = cursors(a), cursors(b)
            changed = [(g, n) for g in cb for n in cb[g] if ca.get(g, {}).get(n) != cb[g][n]]
            assert len(changed) <= 1, changed
            moves += len(changed)
        assert moves >= 2 * len(sb.world.restaurant_guids())

def test_checkpoint_early_when_memory_is_high(monkeypatch):
    "At MEMORY_LIMIT the SDK's buffered rows are written as soon as MEMORY_MIN_ROWS wait, far below checkpointRows."
    pinned = datetime(2026, 6, 1, 15, 0, tzinfo=timezone.utc)
    def gaps(rec):
        gap, out = 0, []
        for kind, *_ in rec.ops:
            if kind == "checkpoint": out.append(gap); gap = 0
            else: gap += 1
        return out
    with small(orders_per_day=30, now=pinned) as sb:
        monkeypatch.setattr(sync.Engine, "MEMORY_BUDGET", 1 << 50)       # never high: the default rows bound (50,000) is far
        monkeypatch.setattr(sync.Engine, "MEMORY_LIMIT", 1 << 50)
        rec, log = run(sb)
        assert len(gaps(rec)) == 1, gaps(rec)                             # one checkpoint, at the end
        rows, want = gaps(rec)[0], warehouse(rec)
        assert rows > 3000, rows
        if report.rss_bytes() is None: pytest.skip("no RSS on this platform: only the rows bound applies")
        monkeypatch.setattr(sync.Engine, "MEMORY_LIMIT", 0)               # always at the limit: written at once
        monkeypatch.setattr(sync.Engine, "MEMORY_MIN_ROWS", 150)
        rec, log = run(sb)
        g = gaps(rec)
        assert len(g) >= rows // (150 + Runner.CHUNK), g
        assert all(n >= 150 for n in g[:-1]) and max(g) < 150 + Runner.CHUNK, g   # checked after each batch of rows
        assert any("checkpoints (memory " in m for _, m in log.lines), log.lines[-1]
        assert warehouse(rec) == want                                      # the cadence changes nothing written

def strip(state):
    return {k: v for k, v in state.items() if k != "auth"}

def test_state_does_not_grow_with_history():
    # both histories reach past every span the state keeps keys of (the shifts': their 14-day lookback and a week ahead)
    sizes = []
    for days in (16, 40):
        with small(days=days, orders_per_day=10) as sb:
            rec, _ = run(sb, checkpointRows="100")
            sizes.append(len(json.dumps(strip(rec.state))))
    assert sizes[1] <= sizes[0] + 64, sizes

def warehouse(rec):
    return {k: v for k, v in rec.warehouse.items() if k[0] != "sync_log"}

def test_crash_anywhere_then_rerun_equals_an_uninterrupted_run():
    with small(orders_per_day=20, days=3) as sb:
        ref, _ = run(sb, checkpointRows="100")
        want = warehouse(ref)
        total = len(ref.ops)
        rng = random.Random(7)
        token = {"auth": ref.state["auth"]}     # the token the first sync saved: Toast allows two token requests an hour,
        for trial in range(3):                  # and a crash before a checkpoint would lose a new one (this test is about rows)
            rec = testing.Recorder(fail_after=rng.randrange(1, total))
            state = json.loads(json.dumps(token))
            for attempt in range(50):
                try:
                    sync.update(sb.configuration(checkpointRows="100"), state, emit=rec, log=testing.ListLog())
                    break
                except RuntimeError as e:
                    assert "crash after" in str(e)
                    state = rec.state if rec.states else json.loads(json.dumps(token))   # what Fivetran kept: the last checkpoint
                    rec.pending = []                         # uncheckpointed operations are lost
                    rec.fail_after = rec.n + rng.randrange(50, total)
            else: pytest.fail("never finished")
            assert warehouse(rec) == want, trial

@pytest.mark.clock
def test_every_registered_stream_syncs():
    "Every family's declarations on the engine: one sync of a small sandbox succeeds and moves every cursor."
    with small(restaurants=2, days=2, orders_per_day=10) as sb:
        rec, log = run(sb)
        (row,) = rec.rows("sync_log")
        assert row["status"] == "succeeded", row["errors"]
        for g in sb.world.restaurant_guids():
            unpublished = sb.world.menus_metadata(g) is None           # a 404 is nothing published: no cursor to move
            missing = [n for n, s in by_name().items() if n not in cursors(rec.state)[g]
                       and not (s.not_found_is_empty and unpublished and s.path.startswith("/menus/"))]
            assert not missing, (g, missing)

def test_management_group_client_discovers_through_the_group_endpoint():
    with small(access="management", restaurants=3) as sb:
        g = sorted(sb.world.restaurant_guids())
        rec, log = run(sb, restaurantIds=",".join(g[:2]))
        assert {r["id"] for r in rec.rows("restaurant")} == set(g[:2])
        assert set(cursors(rec.state)) == set(g[:2])
        assert any("/groups/" in k for k in sb.stats()["requests"])
        # restaurantIds asked the group's list and selected two of three: every sync says how to sync the group (helper-55)
        assert any("the management group lists 3 restaurants, 1 of them not in restaurantIds" in m for k, m in log.lines if k == "warning")
        state = rec.state                                    # its cached token: Toast grants two logins an hour
        with pytest.raises(Exception) as ei:                 # nothing to ask the group's list through
            run(sb, dict(state, details={}))
        assert "set groupRestaurantIds to any restaurant of the group" in str(ei.value)
        # groupRestaurantIds only names whom the list is asked through: the whole group is synced, and nothing is said
        rec, log = run(sb, state, groupRestaurantIds=g[2])
        assert set(cursors(rec.state)) == set(g) and g[2] in {r["id"] for r in rec.rows("restaurant")}
        assert not any("restaurantIds" in m for k, m in log.lines if k == "warning"), log.lines
        # one that is not (or no longer) of the group answers 403: the next one named is asked, the sync goes on
        sb.reset_stats()
        rec, _ = run(sb, rec.state, groupRestaurantIds="00000000-0000-4000-8000-00000000beef," + g[1])
        (row,) = rec.rows("sync_log")
        asked = next(v for k, v in sb.stats()["requests"].items() if "/groups/" in k)
        assert row["status"] == "succeeded" and asked == {"00000000-0000-4000-8000-00000000beef": 1, g[1]: 1}, (row, asked)
        # and with none named, the restaurants synced before serve
        rec, _ = run(sb, rec.state)
        assert rec.rows("sync_log")[0]["status"] == "succeeded" and set(cursors(rec.state)) == set(g)

@pytest.mark.clock
def test_newly_connected_restaurant_is_skipped_while_403_then_backfills_alone():
    with small() as sb:
        start = sb.configuration()["initialSyncStart"]       # fixed: the sandbox's clock will run ahead of this machine's
        rec, _ = run(sb)
        before = set(sb.world.restaurant_guids())
        sb.advance(sb.world.connect_every_hours)            # a restaurant connects right now: Toast answers 403 for a while
        (new,) = set(sb.world.restaurant_guids()) - before
        rec2, log2 = run(sb, rec.state, initialSyncStart=start)
        assert new not in cursors(rec2.state) and before <= set(cursors(rec2.state))
        (row,) = rec2.rows("sync_log")
        assert row["status"] == "succeeded" and row["restaurants"][new].startswith("forbidden")
        assert any(new in m or "403" in m for k, m in log2.lines if k == "warning")
        said = [m for k, m in log2.lines if k == "info" and m.startswith("restaurant ") and (m.endswith(": first sync") or ": resuming " in m)]
        assert len(said) == len(before), said                                  # the skipped one is not said to resume
        sb.advance(0.5)                                      # past Toast's grace period
        sb.reset_stats()
        rec3, _ = run(sb, rec2.state, initialSyncStart=start)
        bulk = {r: n for k, v in sb.stats()["requests"].items() if "ordersBulk" in k for r, n in v.items()}
        assert all(bulk[g] == 1 for g in before), bulk
        assert bulk[new] >= 2, bulk                          # only the new restaurant walks its history
        assert {r["id"] for r in rec3.rows("orders") if r["restaurant_id"] == new} == truth_ids(sb, new, since=start)

def test_no_secret_or_token_in_state_logs_or_sync_log():
    import requests
    with small(days=1, orders_per_day=5) as sb:
        rec, log = run(sb)
        token = requests.post(sb.url + "/authentication/v1/authentication/login", timeout=10,
                              json={"clientId": sb.client_id, "clientSecret": sb.client_secret,
                                    "userAccessType": "TOAST_MACHINE_CLIENT"}).json()["token"]["accessToken"]
        text = json.dumps(rec.states) + json.dumps(log.lines) + json.dumps(rec.rows("sync_log"))
        assert sb.client_secret not in text and token not in text and token.split(".")[1] not in text


def test_an_earlier_initial_sync_start_after_the_first_sync_is_said_every_sync():
    """Moved earlier once the history is synced, initialSyncStart reaches no synced stream (each resumes from its cursor):
    every sync says so, naming both instants (helper-59: the earlier data was silently never read)."""
    with small(restaurants=1) as sb:
        first = (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        earlier = (NOW - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        rec, log = run(sb, initialSyncStart=first)
        assert not any("initialSyncStart is" in m for _, m in log.lines)
        for _ in range(2):
            sb.advance(1)
            rec, log = run(sb, rec.state, initialSyncStart=earlier)
            assert sum(m.startswith(f"initialSyncStart is {earlier[:-5]}") and "re-sync" in m for k, m in log.lines if k == "warning") == 1, log.lines
