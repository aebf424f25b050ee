"""Orders and time entries uploaded late by offline devices (nbs/30: `World.offline_rate`, `offline_delays`) reach the
API minutes, hours or days after their `modifiedDate`, in windows the cursor passed long ago. Hourly syncs of the real
engine against the sandbox over HTTP, its clock pinned and moved by hand: with the late-arrival re-read on, every
period ends with the warehouse equal to the truth (orders row by row for every orders table, time entries by id and
version), arrivals of minutes, hours and days included; with it off (`lateArrivalDays=0`) the ones that arrived more
than the lookback late are missing for good, and the same check fails (orders: the time entries' sweep by `inDate`,
which still runs every period, reads the late ones)."""
from datetime import datetime, timedelta, timezone

import pytest

from toast_connector.windows import parse_ts
from toast_connector.sandbox.server import Sandbox
from test_orders import Warehouse, check, run

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.utc)   # pinned; before the first local business day opens
HOURS, EVERY = 24, 6                                       # a day of hourly syncs; a re-read every 6 hours
ORDERS, ENTRIES = "orders", "labor.timeEntries"


def sandbox():
    sb = Sandbox(seed=62, restaurants=1, days=5, orders_per_day=60, rate_limits=0, now=NOW,
                 scopes=("orders:read", "labor:read", "restaurants:read"))
    sb.world.rates = {k: 0.0 for k in sb.world.rates}
    sb.world.rates["order_edit"] = 300.0                   # some ordinary edits besides the uploads
    sb.world.offline_rate = 0.3                            # many offline devices: every kind of delay within a day
    sb.world.connect_every_hours = 0
    return sb


def hours_late(e) -> float:
    return (parse_ts(e["visible_at"]) - parse_ts(e["object"]["modifiedDate"])).total_seconds() / 3600


def kind(h: float) -> str:
    return "minutes" if h < 1 else "hours" if h < 24 else "days"


def arrivals(sb, family, name, since):
    "Truth entries that became visible after `since` later than their modifiedDate, by kind of delay."
    out = {}
    for e in sb.truth(family)["entities"][name]:
        if parse_ts(e["visible_at"]) > since and hours_late(e) > 0.01:
            out.setdefault(kind(hours_late(e)), set()).add(e["object"]["guid"])
    return out


def time_entries_missing(sb, wh) -> set:
    "Time entries the API serves (modified before the cursor's end) whose current version is not the warehouse's."
    g = sb.world.restaurant_guids()[0]
    cut = parse_ts(wh.state["restaurants"][g][ENTRIES]["to"])
    assert sb.now - timedelta(minutes=3) < cut <= sb.now, (cut, sb.now)   # the cursor's end is the sync's (now less the lag)
    got = {r["id"]: r for r in wh.tables.get("time_entry", {}).values()}
    bad = set()
    for e in sb.truth("labor")["entities"]["timeEntries"]:
        o = e["object"]
        if parse_ts(o["modifiedDate"]) >= cut: continue
        row = got.get(o["guid"])
        if o["deleted"]:
            if row is not None and not row["_fivetran_deleted"]: bad.add(o["guid"])
        elif row is None or row["_fivetran_deleted"] or parse_ts(row["modified_date"]) != parse_ts(o["modifiedDate"]) \
                or row["business_date"] != int(o["businessDate"]) or str(row.get("regular_hours")) != str(o["regularHours"]):
            bad.add(o["guid"])
    return bad


def orders_missing(sb, wh) -> set:
    "Orders the API serves (modified before the cursor's end) whose current version is not in the warehouse."
    g = sb.world.restaurant_guids()[0]
    cut = parse_ts(wh.state["restaurants"][g][ORDERS]["to"])
    assert sb.now - timedelta(minutes=3) < cut <= sb.now, (cut, sb.now)   # the cursor's end is the sync's (now less the lag)
    got = {r["id"]: r for r in wh.tables.get("orders", {}).values()}
    return {o["guid"] for e in sb.truth("orders")["entities"]["orders"] if parse_ts((o := e["object"])["modifiedDate"]) < cut
            and not o.get("deleted") and (o["guid"] not in got or parse_ts(got[o["guid"]]["modified_date"]) != parse_ts(o["modifiedDate"]))}


def syncs(late_days: int, hours: int = HOURS):
    "A backfill, then `hours` hourly syncs; yields (hour, sandbox, warehouse, sync_log row) after each sync."
    sb, wh = sandbox(), Warehouse()
    with sb:
        cfg = {"initialSyncStart": sb.configuration()["initialSyncStart"], "lateArrivalDays": late_days,
               "lateArrivalEveryHours": EVERY}
        state = run(sb, wh, {}, **cfg)
        for h in range(1, hours + 1):
            sb.advance(1)
            state = run(sb, wh, state, **cfg)
            log = max((r for r in wh.tables["sync_log"].values()), key=lambda r: r["sync_id"])
            yield h, sb, wh, log


def test_late_arrivals_of_minutes_hours_and_days_all_land():
    reread_at, missed_between = [], set()
    for h, sb, wh, log in syncs(8):
        late = log["late_reread"]
        if h % EVERY == 0:                                  # a period ended: the re-read ran, and it cost something
            assert late and late["reads"] == 2 and late["calls"] > 0 and late["records"] > 0, late
            assert set(late["calls_by_stream"]) == {ORDERS, ENTRIES}, late
            reread_at.append(h)
            check(sb, wh)                                   # every orders table, row by row, equals the truth
            assert not orders_missing(sb, wh)
            assert not time_entries_missing(sb, wh)
        else:
            assert late is None, (h, late)
            missed_between |= orders_missing(sb, wh)        # between re-reads, arrivals older than the lookback wait
    assert reread_at == list(range(EVERY, HOURS + 1, EVERY))
    # the truth had arrivals of every kind during the day, and each is in the warehouse now
    got = arrivals(sb, "orders", "orders", NOW)
    assert {"minutes", "hours", "days"} <= set(got), {k: len(v) for k, v in got.items()}
    rows = {r["id"]: r for r in wh.tables["orders"].values()}
    assert all(g in rows for v in got.values() for g in v)
    te = arrivals(sb, "labor", "timeEntries", NOW)
    assert {"hours", "days"} <= set(te), {k: len(v) for k, v in te.items()}
    assert all(g in {r["id"] for r in wh.tables["time_entry"].values()} for v in te.values() for g in v)
    # among them one more than four days late (the sandbox's uploads reach a week late): the default 8 days catch it,
    # where the old 4 could not (a re-read every 6 hours reaching 96 hours back)
    tail = [e["object"]["guid"] for fam, k in (("orders", "orders"), ("labor", "timeEntries")) for e in sb.truth(fam)["entities"][k]
            if parse_ts(e["visible_at"]) > NOW and hours_late(e) > 100]
    assert tail and all(g in rows or g in {r["id"] for r in wh.tables["time_entry"].values()} for g in tail), tail
    # and the re-read did real work: some arrivals were not in the warehouse until it ran
    assert missed_between and missed_between <= got.get("hours", set()) | got.get("days", set()), missed_between


def test_without_the_reread_late_arrivals_are_missed():
    for h, sb, wh, log in syncs(0, hours=12):
        late = log["late_reread"]                           # only the time entries' sweep for deletions (helper-61), every period
        if h % EVERY == 0: assert late and late["calls_by_stream"] == {ENTRIES: 1} and late["records"] == 0, late
        else: assert late is None, (h, late)
    missing = orders_missing(sb, wh)
    got = arrivals(sb, "orders", "orders", NOW)
    assert missing and missing <= got.get("hours", set()) | got.get("days", set()), (missing, got)
    assert not missing & got.get("minutes", set())          # the lookback catches those that are minutes late
    with pytest.raises(AssertionError, match="orders: .* missing"):
        check(sb, wh)
    assert not time_entries_missing(sb, wh)                 # time entries: the sweep by inDate, which still runs, read them


def uploads_nine_days_late(late_days: int):
    "A backfill of 11 days, then two days of syncs every 6 hours, every offline upload 9 days late: (uploaded since, missing)."
    sb = Sandbox(seed=62, restaurants=1, days=11, orders_per_day=30, rate_limits=0, now=NOW, token_ttl=86400 * 30,
                 scopes=("orders:read", "restaurants:read"))
    sb.world.rates = {k: 0.0 for k in sb.world.rates}
    sb.world.offline_rate = 0.3
    sb.world.offline_delays = ((1.0, 9 * 1440, 9 * 1440 + 60),)    # minutes after modifiedDate: 9 days, within the hour
    sb.world.connect_every_hours = 0
    wh = Warehouse()
    with sb:
        cfg = {"initialSyncStart": sb.configuration()["initialSyncStart"], "lateArrivalDays": late_days}
        state = run(sb, wh, {}, **cfg)
        for _ in range(8):
            sb.advance(6)
            state = run(sb, wh, state, **cfg)
        uploaded = {e["object"]["guid"] for e in sb.truth("orders")["entities"]["orders"]
                    if parse_ts(e["visible_at"]) > NOW and hours_late(e) > 24 * 8}
        return uploaded, orders_missing(sb, wh)


def test_uploads_later_than_the_reread_reaches_need_a_longer_lateArrivalDays():
    """README's bound: an upload later than `lateArrivalDays` less `lateArrivalEveryHours` (7 days by default) may never
    be read; raising `lateArrivalDays` to 12 lands every upload 9 days late."""
    uploaded, missing = uploads_nine_days_late(8)
    assert uploaded and missing and missing <= uploaded, (len(uploaded), len(missing))
    uploaded, missing = uploads_nine_days_late(12)
    assert uploaded and not missing, (len(uploaded), len(missing))
