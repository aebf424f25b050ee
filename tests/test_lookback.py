"""Late-arriving order changes and the lookback. On Toast an edit made on a device that was offline reaches the API
minutes after its `modifiedDate`: a modified window that ended in the past (and was already synced) later gains the
order. The sandbox does the same (`World.late_rate`, `World.late_minutes`). Two identical sandboxes, the same
syncs: with `lookbackMinutes=0` the warehouse's current rows end up differing from the truth (the late edits are
never read); with the default lookback (60 minutes, longer than the 30-minute worst delay) they equal it."""
from datetime import datetime, timezone

from toast_connector.orders import is_deleted
from toast_connector.windows import parse_ts
from toast_connector.sandbox.server import Sandbox
from test_orders import KEYS, Warehouse, check, expected, run

# pinned to an instant of its own: Boston's lunch hour, so the five hourly syncs see orders and their late edits every
# hour. At night (09:01 UTC, just after Boston's closeout; helper-86) no late edit fell in a window already read, and
# lookback 0 missed nothing: the scenario did not happen, so the test cannot take the suite's clock.
NOW = datetime(2026, 12, 1, 17, 0, tzinfo=timezone.utc)


def sandbox():
    sb = Sandbox(seed=21, restaurants=1, days=1, orders_per_day=40, now=NOW, rate_limits=0,
                 scopes=("orders:read", "restaurants:read"))
    sb.world.rates = {k: 0.0 for k in sb.world.rates}
    sb.world.rates["order_edit"] = 6000.0             # ~33 edits an hour at this volume
    sb.world.late_rate, sb.world.late_minutes = 0.5, (10, 30)
    sb.world.offline_rate = 0.0                       # uploads hours late are tests/test_late.py's subject, not the lookback's
    sb.world.connect_every_hours = 0
    return sb


def late_orders(sb):
    "Guids of orders with a change that reached the API after its modifiedDate (and has reached it by now)."
    w = sb.world
    return {g for (_, g), ms in w._omut.items() for m in ms if m[3] > m[0] and m[3] <= w._now}


def stale(sb, wh):
    "Orders whose current warehouse row differs from the truth (missing, or an older version)."
    exp, _, _ = expected(sb, wh)
    got = {(r["id"],): r for r in wh.current("orders")}
    return {k[0] for k, row in exp["orders"].items()
            if k not in got or {c: v for c, v in got[k].items() if c != "_fivetran_deleted"} != row}


def syncs(lookback):
    "Sync, then advance an hour and sync again, five times; return (sandbox, warehouse) at the end."
    sb, wh = sandbox(), Warehouse()
    with sb:
        state = run(sb, wh, {}, lookbackMinutes=lookback)
        for _ in range(5):
            sb.advance(1)
            state = run(sb, wh, state, lookbackMinutes=lookback)
        return sb, wh


def test_lookback_zero_misses_late_edits_and_the_default_gets_them():
    sb0, wh0 = syncs(0)
    sb60, wh60 = syncs(60)
    # the same world on both sides (same seed, same steps)
    t0 = sb0.truth("orders")["entities"]["orders"]
    assert [e["object"]["modifiedDate"] for e in t0] == [e["object"]["modifiedDate"] for e in sb60.truth("orders")["entities"]["orders"]]
    late = late_orders(sb0)
    assert late, "the scenario made no late-arriving edits"
    # lookback 0: some late edits landed in windows already synced; the warehouse keeps the old versions
    missed = stale(sb0, wh0)
    assert missed and missed <= late, (missed, late)
    cut = parse_ts(wh0.state["restaurants"][sb0.world.restaurant_guids()[0]]["orders"]["to"])
    by_guid = {e["object"]["guid"]: e["object"] for e in t0}
    assert all(parse_ts(by_guid[g]["modifiedDate"]) < cut and not is_deleted(by_guid[g]) for g in missed)
    try: check(sb0, wh0)
    except AssertionError: pass
    else: raise AssertionError("lookback 0 should not reconcile with the truth")
    # default lookback: everything, row by row, for every orders table
    assert not stale(sb60, wh60)
    counts = check(sb60, wh60)
    assert counts["live"] > 20, counts
    assert late_orders(sb60) & {r["id"] for r in wh60.current("orders")}      # the late edits are in the warehouse
