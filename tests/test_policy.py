"""Issue 4's status policy, end to end on the engine: a client that loses `labor:read` between two syncs gets
403 on labor only; orders keep syncing and their cursors move, the labor cursors stay exactly where they were,
and the sync says once, clearly, what it skipped (log line and `sync_log.skipped`)."""
import json

import pytest

from toast_connector import sync, testing
from toast_connector.sandbox.server import Sandbox
from toast_connector.sandbox.data import ALL_SCOPES
from clock import NOW

LABOR = ("labor.shifts", "labor.timeEntries", "labor.jobs")

def without_token(state: dict) -> dict:
    "The state less its cached token (its login history kept): the next sync logs in, and Toast's token carries the client's scopes then."
    return {**state, "auth": {k: v for k, v in state["auth"].items() if k == "logins"}}

@pytest.mark.clock
def test_403_on_labor_leaves_orders_syncing_and_labor_cursors_unchanged():
    with Sandbox(seed=5, restaurants=2, days=2, orders_per_day=15, rate_limits=0, now=NOW) as sb:
        cfg = sb.configuration()
        first = testing.Recorder()
        sync.update(cfg, {}, emit=first, log=testing.ListLog())
        before = first.state["restaurants"]
        for g in sb.world.restaurant_guids():
            assert all(n in before[g] for n in LABOR + ("orders",)), sorted(before[g])

        sb.set_scopes([s for s in ALL_SCOPES if s != "labor:read"])              # for tokens issued from now on
        edited = first.rows("orders")[0]                                      # a change to sync, whatever the hour
        with sb.lock: assert sb.world.edit_order(edited["restaurant_id"], edited["id"])
        sb.advance(3)
        second, log = testing.Recorder(), testing.ListLog()
        sync.update(cfg, without_token(first.state), emit=second, log=log)   # a cached token would keep its scopes
        after = second.state["restaurants"]
        for g in sb.world.restaurant_guids():
            for n in LABOR: assert after[g][n] == before[g][n], (g, n)        # untouched
            assert after[g]["orders"]["to"] > before[g]["orders"]["to"]       # moved on
        assert edited["id"] in {r["id"] for r in second.rows("orders")}, "orders still synced"
        assert not any(t in ("shift", "time_entry", "job") for _, t, _ in second.ops if t), "nothing of labor written"
        warnings = [m for k, m in log.lines if k == "warning" and "labor:read" in m]
        assert len(warnings) == 1, warnings                                   # said once, not per restaurant/stream
        assert "the access token in use was issued without labor:read: a scope granted since takes effect at the next login" in warnings[0]
        (row,) = second.rows("sync_log")
        skipped = row["skipped"]
        assert [s["family"] for s in skipped] == ["labor (labor:read)"], skipped
        assert row["status"] == "succeeded"


def test_a_scope_granted_while_a_token_is_cached_reaches_the_connector_at_its_next_login():
    "Toast checks the token's scopes: labor stays skipped (and the warning says why) until the connector logs in again."
    with Sandbox(seed=5, restaurants=2, days=2, orders_per_day=15, rate_limits=0, now=NOW) as sb:
        sb.set_scopes([s for s in ALL_SCOPES if s != "labor:read"])
        cfg, rec = sb.configuration(), testing.Recorder()
        sync.update(cfg, {}, emit=rec, log=testing.ListLog())
        assert not rec.rows("shift")
        sb.set_scopes(ALL_SCOPES)                                             # granted in Toast Web; the token is cached
        sb.advance(1)
        log = testing.ListLog()
        sync.update(cfg, rec.state, emit=rec, log=log)
        assert sb.stats()["logins"] == 1 and not rec.rows("shift")
        assert any("issued without labor:read" in m for k, m in log.lines if k == "warning"), log.lines
        sb.advance(1)
        log = testing.ListLog()
        sync.update(cfg, without_token(rec.state), emit=rec, log=log)        # the next login (the token expired)
        assert sb.stats()["logins"] == 2 and rec.rows("shift")
        assert not any("labor:read" in m for k, m in log.lines if k == "warning")
