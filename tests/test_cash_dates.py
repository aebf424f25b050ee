"""A cash business date whose answer is at fault holds back no other date (helper-62).

Toast answers one date three days back with an entry that has no guid, in every sync for three days, then mends it.
Before, the cash task stopped at that date in every sync: its cursor never moved, today's and yesterday's entries never
landed, the date never aged out of the lookback, and the error did not say which date. Now every other date is read in
every sync, the sync fails naming the date, and once Toast mends it the date lands and the warehouse equals Toast's
truth. The expected rows come from the sandbox's truth, not from the connector.
"""
from datetime import datetime, timedelta, timezone
import pytest
from toast_connector import sync, testing
from toast_connector.sandbox.server import Sandbox
from toast_connector.windows import add_days

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc)      # pinned: 10:00 in the restaurant's zone or thereabouts
CASH = ["cashmgmt:read", "restaurants:read"]

def test_one_bad_date_holds_back_no_other():
    with Sandbox(seed=11, restaurants=1, days=10, orders_per_day=2, rate_limits=0, now=NOW, scopes=CASH, token_ttl=10**8) as sb:
        start, rec = NOW - timedelta(days=10), testing.Recorder()
        cfg = sb.configuration(initialSyncStart=start.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
        def run():
            log = testing.ListLog()
            try: sync.update(cfg, rec.state, emit=rec, log=log); return None
            except Exception as e: return str(e)
        def truth(since_bd=0):
            return {e["object"]["guid"] for e in sb.truth("cash", since=start)["entities"]["entries"] if e["businessDate"] >= since_bd}
        assert run() is None
        (rg,) = sb.world.restaurant_guids()
        r = sb.world._r(rg)
        bad = add_days(r.bd(sb.world._now), -3)
        real = sb.world.cash_entries
        def faulty(rguid, bd):
            out = real(rguid, bd)
            return out + [{"entityType": "CashEntry", "amount": 1.0, "type": "NO_SALE", "date": "2026-11-17T18:00:00.000+0000"}] if int(bd) == bad else out
        sb.world.cash_entries = faulty
        for day in range(3):
            sb.advance(24)
            err = run()
            assert err and f"{bad}: ValueError: cash_entry: row has no value for key column 'id'" in err, err
            today = r.bd(sb.world._now)
            recent = truth(add_days(today, -1))
            assert recent and recent <= {x["id"] for x in rec.rows("cash_entry")}, (day, len(recent - {x["id"] for x in rec.rows("cash_entry")}))
            assert rec.state["restaurants"][rg]["cash.entries"]["retry"] == {str(bad): add_days(bad, 4)}
        sb.world.cash_entries = real                                   # Toast mends the date
        sb.advance(1)
        assert run() is None
        assert "retry" not in rec.state["restaurants"][rg]["cash.entries"]
        assert {x["id"] for x in rec.rows("cash_entry")} == truth()


def test_three_bad_dates_in_a_row_stall_nothing():
    """helper-66: three dates in a row at fault (a buggy device over a weekend) stopped the task before them for good,
    today's entries never landing; now they wait in `retry` like any, and the next sync reads on to today."""
    with Sandbox(seed=11, restaurants=1, days=10, orders_per_day=2, rate_limits=0, now=NOW, scopes=CASH, token_ttl=10**8) as sb:
        start, rec = NOW - timedelta(days=10), testing.Recorder()
        cfg = sb.configuration(initialSyncStart=start.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
        def run():
            try: sync.update(cfg, rec.state, emit=rec, log=testing.ListLog()); return None
            except Exception as e: return str(e)
        assert run() is None
        (rg,) = sb.world.restaurant_guids()
        r = sb.world._r(rg)
        today0 = r.bd(sb.world._now)
        bad = {add_days(today0, -k) for k in (3, 2, 1)}
        real = sb.world.cash_entries
        sb.world.cash_entries = lambda rguid, bd: real(rguid, bd) + ([{"entityType": "CashEntry", "amount": 1.0}] if int(bd) in bad else [])
        errors = []
        for _ in range(2):
            sb.advance(24)
            errors.append(run())
        today = r.bd(sb.world._now)
        recent = {e["object"]["guid"] for e in sb.truth("cash", since=start)["entities"]["entries"] if e["businessDate"] >= add_days(today, -1)}
        assert all(errors) and recent and recent <= {x["id"] for x in rec.rows("cash_entry")}, errors
        assert set(map(int, rec.state["restaurants"][rg]["cash.entries"]["retry"])) == bad
