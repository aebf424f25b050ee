"""Issue 11's integrated proof: a backfill of three months (92 days, two restaurants), then a week of syncs with the
sandbox's clock moved by hand between them (an hour, a few hours, a day, and a pause of three days). After EVERY
sync the warehouse's current rows equal the sandbox's truth for orders (with their checks, selections, modifiers and
payments), shifts and time entries. The truth is cut where the connection starts
(`Sandbox.truth(since=initialSyncStart)`) and, per restaurant, at the end of the window its cursor reached: nothing
else is left out. Expected rows are read from the sandbox's own objects (their Toast fields, here), never through
the connector's flattening.

The scenario holds, and the test asserts it does: late arrivals of minutes, hours and days (offline devices, late
edits) that reached the API after a sync's cursor had passed their `modifiedDate` and landed in a later sync;
orders, shifts and time entries already deleted when first read, landed soft-deleted with their data; a restaurant
that disconnects (its rows kept, `disconnected_at` set) and comes back three days later (cleared, every order of the
gap synced); an order change that reaches the API 63 hours late, during the pause (the re-read after a pause reaches
back from the last re-read, not only `lateArrivalDays` from now: without that it is lost); every rarely-filled
orders field (tests/test_rare_fields.py's list) non-null somewhere and equal to the sandbox. The real engine over
HTTP, a Fivetran-like soft-deleting warehouse (tests/test_orders.py), the sandbox clock pinned at NOW."""
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal
import json

from toast_connector.sandbox.server import Sandbox, dumps
from test_orders import Warehouse, run, walk_selections
from test_rare_fields import ORDER_FIELDS, _get, _walk

UTC = timezone.utc
NOW = datetime(2026, 6, 24, 18, 0, tzinfo=UTC)           # pinned: the sandbox's clock (the backfill runs an hour later)
DAYS = 92                                                  # initialSyncStart = NOW - 92 days: over three months
SCOPES = ("orders:read", "labor:read", "restaurants:read")
ORDER_RATES = {"order_edit": 1500.0, "order_void": 60.0, "order_delete": 60.0, "selection_remove": 90.0,
               "check_combine": 30.0, "order_refund": 600.0}   # per day at 300 orders a day (they scale with volume)
# (hours to advance before the sync, what happens first): hourly syncs, a few hours, a day; then three days without a
# sync, while one restaurant is away (it left just before the last sync and comes back an hour after the pause)
PLAN = [(1, None), (1, None), (1, None), (3, None), (1, None), (7, "offline"), (20, "leave"), (72, None), (1, "rejoin"),
        (1, None), (26, None), (1, None)]
OFFLINE_HOURS = 63      # "offline": an order changed now on an offline device reaches the API this late (the sandbox's uploads: up to a week)
LAG = timedelta(seconds=120)                               # settings.safety_lag_seconds: the cursor's end is now - LAG
LOOKBACK = timedelta(minutes=60)                           # settings.lookback_minutes: each sync re-reads this before the cursor
SHIFT_AHEAD = timedelta(days=14)                           # shifts are read this far ahead of now


def ts(s):
    "A Toast or warehouse timestamp (either offset spelling) as an aware datetime; None stays None."
    if s is None or isinstance(s, datetime): return s
    return datetime.fromisoformat(s.replace("Z", "+00:00").replace("+0000", "+00:00"))


def kind(delay: timedelta) -> str:
    h = delay.total_seconds() / 3600
    return "minutes" if h < 1 else "hours" if h < 24 else "days"


def _j(v):
    "A sandbox value as JSON carries it (Decimal kept exact)."
    return json.loads(dumps(v), parse_float=Decimal)


def by_id(wh, table):
    "{id: row} of a warehouse table, soft-deleted rows included."
    return {r["id"]: r for r in wh.tables.get(table, {}).values()}


def restaurants_ok(wh):
    return {r["id"] for r in wh.tables["restaurant"].values() if r["sync_status"] == "ok"}


def mine(wh, guid):
    "Every row of a restaurant (restaurant and sync_log aside), as comparable text."
    return sorted(repr((t, sorted(row.items()))) for t, rows in wh.tables.items() if t not in ("restaurant", "sync_log")
                  for row in rows.values() if row.get("restaurant_id") == guid)


def cuts(wh, stream):
    "{restaurant: end of the window its cursor reached} for a modified-range stream."
    return {g: ts(c[stream]["to"]) for g, c in wh.state["restaurants"].items() if stream in c}


def check_orders(sb, wh, ok) -> dict:
    """Current orders and children == the truth for the restaurants `ok`: every live order modified in
    [initialSyncStart, cursor end) with its current version, checks, selections (and modifiers), payments; every
    deleted one as a soft-deleted row with its data; nothing else live. Returns the truth entries compared."""
    cut, truth = cuts(wh, "orders"), sb.truth("orders", since=wh.start)["entities"]["orders"]
    seen = [e for e in truth if e["restaurant"] in ok]
    left_out = {e["object"]["guid"] for e in seen if ts(e["object"]["modifiedDate"]) >= cut[e["restaurant"]]}
    want = [e for e in seen if e["object"]["guid"] not in left_out]
    assert len(left_out) <= max(3, len(want) // 50), f"{len(left_out)} orders modified after the cursor's end"
    rows = by_id(wh, "orders")
    live = {o["guid"]: (rid, o) for e in want if not (o := e["object"])["deleted"] for rid in [e["restaurant"]]}
    cur = {r["id"]: r for r in wh.current("orders") if r["restaurant_id"] in ok and r["id"] not in left_out}
    vis = {e["object"]["guid"]: e["visible_at"] for e in want}
    assert cur.keys() == live.keys(), f"orders at {sb.now}: {len(cur.keys() - live.keys())} extra; missing (guid, modifiedDate, " \
        f"visible_at, warehouse's modified_date): {[(g, live[g][1]['modifiedDate'], vis[g], rows.get(g, {}).get('modified_date')) for g in live.keys() - cur.keys()][:4]}"
    for g, (rid, o) in live.items():
        r = cur[g]
        assert (ts(r["modified_date"]), r["business_date"], r["display_number"], r["restaurant_id"], r["voided"]) == \
            (ts(o["modifiedDate"]), o["businessDate"], o["displayNumber"], rid, o["voided"]), (g, r, o["modifiedDate"])
    # children of the current versions, straight from the truth's JSON
    checks = {c["guid"]: c["totalAmount"] for _, o in live.values() for c in o["checks"]}
    got = {r["id"]: r["total_amount"] for r in wh.current("orders_check") if r["orders_id"] in live}
    assert got == checks, "orders_check differs from the truth"
    sels = sorted(s["guid"] for _, o in live.values() for c in o["checks"] for s, _ in walk_selections(c["selections"]))
    cur_sels = sorted(r["id"] for t in ("orders_check_selection", "orders_check_selection_modifier")
                      for r in wh.current(t) if r["orders_id"] in live)
    assert cur_sels == sels, f"selections: {len(sels)} in the truth, {len(cur_sels)} current"
    price = {s["guid"]: s["price"] for _, o in live.values() for c in o["checks"] for s in c["selections"]}
    assert {r["id"]: r["price"] for r in wh.current("orders_check_selection") if r["orders_id"] in live} == price
    pays = {p["guid"]: (p["amount"], p["tipAmount"]) for _, o in live.values() for c in o["checks"] for p in c["payments"]}
    assert {r["id"]: (r["amount"], r.get("tip_amount")) for r in wh.current("payment") if r["orders_id"] in live} == pays
    # deleted ones: rows with their data, soft-deleted
    live_checks = set(checks)
    all_checks = by_id(wh, "orders_check")
    for e in want:
        o = e["object"]
        if not o["deleted"]: continue
        r = rows.get(o["guid"])
        assert r is not None and r["_fivetran_deleted"] is True and r["deleted"] is True, (o["guid"], r)
        assert (ts(r["modified_date"]), ts(r["deleted_date"]), r["business_date"], r["display_number"]) == \
            (ts(o["modifiedDate"]), ts(o["deletedDate"]), o["businessDate"], o["displayNumber"])
        for c in o["checks"]:
            if c["guid"] in live_checks: continue              # combined into another order: that one's now
            assert all_checks[c["guid"]]["_fivetran_deleted"] is True and all_checks[c["guid"]]["total_amount"] == c["totalAmount"]
    return {"want": want, "left_out": left_out}


def check_time_entries(sb, wh, ok) -> list:
    "Time entries == the truth for the restaurants `ok` (modified in [initialSyncStart, cursor end)), deleted ones with their data."
    cut, truth = cuts(wh, "labor.timeEntries"), sb.truth("labor", since=wh.start)["entities"]["timeEntries"]
    seen = [e for e in truth if e["restaurant"] in ok]
    left_out = {e["object"]["guid"] for e in seen if ts(e["object"]["modifiedDate"]) >= cut[e["restaurant"]]}
    want = {e["object"]["guid"]: e for e in seen if e["object"]["guid"] not in left_out}
    rows = {g: r for g, r in by_id(wh, "time_entry").items() if r["restaurant_id"] in ok and g not in left_out}
    live = {g for g, r in rows.items() if not r["_fivetran_deleted"]}
    assert live == {g for g, e in want.items() if not e["object"]["deleted"]}, \
        f"time entries: {len({g for g, e in want.items() if not e['object']['deleted']} - live)} missing, " \
        f"{len(live - {g for g, e in want.items() if not e['object']['deleted']})} extra"
    for g, e in want.items():
        o, r = e["object"], rows.get(g)
        assert r is not None, f"deleted time entry {g} is not in the warehouse"
        assert r["_fivetran_deleted"] is o["deleted"] and r["deleted"] is o["deleted"], (g, r, o)
        assert (ts(r["modified_date"]), ts(r["in_date"]), ts(r.get("out_date")), r["business_date"], r.get("regular_hours"),
                r.get("hourly_wage"), r["employee_reference_id"], r["restaurant_id"], r.get("external_id")) == \
            (ts(o["modifiedDate"]), ts(o["inDate"]), ts(o["outDate"]), int(o["businessDate"]), o["regularHours"],
             o["hourlyWage"], o["employeeReference"]["guid"], e["restaurant"], o["externalId"]), (g, r, o)
    return list(want.values())


def check_shifts(sb, wh, ok, now, state=None) -> list:
    """Shifts == the truth for the restaurants `ok`: every live shift from initialSyncStart on (a week ahead included)
    with its data; a deleted one, which the sandbox does not serve (the harsher reading of labor-v1), is no row if it
    was deleted before a sync read it, else a soft-deleted row that kept the data it was read with, or, the first sync
    that finds it gone (an empty answer is no proof), a live row waiting in its cursor's `gone` for the next sync."""
    waiting = {g for c in (state or {}).get("restaurants", {}).values() for g in c.get("labor.shifts", {}).get("gone", ())}
    truth = [e for e in sb.truth("labor", since=wh.start)["entities"]["shifts"] if e["restaurant"] in ok]
    assert all(ts(e["object"]["outDate"]) < now + SHIFT_AHEAD for e in truth)     # all within what the sync reads
    want = {e["object"]["guid"]: e for e in truth}
    rows = {g: r for g, r in by_id(wh, "shift").items() if r["restaurant_id"] in ok}
    live = {g for g, e in want.items() if not e["object"]["deleted"]}
    assert live <= rows.keys() and rows.keys() <= want.keys(), \
        f"shifts: {len(live - rows.keys())} missing, {len(rows.keys() - want.keys())} extra"
    for g, r in rows.items():
        o = want[g]["object"]
        gone = o["deleted"] and g not in waiting
        assert (r["_fivetran_deleted"], ts(r["in_date"]), r["employee_reference_id"], r["job_reference_id"]) == \
            (gone, ts(o["inDate"]), o["employeeReference"]["guid"], o["jobReference"]["guid"]), (g, r, o)
        if g in live:
            assert (r["deleted"], ts(r["modified_date"]), ts(r["out_date"]), r.get("external_id")) == \
                (False, ts(o["modifiedDate"]), ts(o["outDate"]), o["externalId"]), (g, r, o)
    return list(want.values())


def rare_fields(wh, want) -> dict:
    "{(table, column): number of current rows where it is non-null}, after checking each equals the truth's value."
    exp = defaultdict(dict)
    for e in want:
        if e["object"]["deleted"]: continue
        for k, obj in _walk(e["object"]):
            for t, c, kk, path, how in ORDER_FIELDS:
                if kk == k and (v := _get(obj, path)) is not None and (how is not True or v is True):
                    exp[(t, c)][obj.get("guid") or len(exp[(t, c)])] = _j(v)
    out = {}
    ids = {e["object"]["guid"] for e in want if not e["object"]["deleted"]}
    for t, c, _, _, how in ORDER_FIELDS:
        rows = [r for r in wh.current(t) if r.get("orders_id", r["id"]) in ids and r.get(c) is not None]
        if how is True: rows = [r for r in rows if r[c] is True]
        else:
            got = {r["id"]: (json.loads(r[c], parse_float=Decimal) if how == "json" else r[c]) for r in rows}
            assert got == exp[(t, c)], (t, c, {k: (got.get(k), exp[(t, c)].get(k)) for k in set(got) ^ set(exp[(t, c)])})
        assert len(rows) == len(exp[(t, c)]), (t, c, len(rows), len(exp[(t, c)]))
        out[(t, c)] = len(rows)
    return out


def late_arrivals(entries, prev_at, prev_cut):
    """{kind: guids} of truth entries that reached the API after the previous sync although its cursor had passed their
    modifiedDate (those hours or days late: by more than the lookback, so only the late-arrival re-read reads them)."""
    out = defaultdict(set)
    for e in entries:
        o, vis = e["object"], ts(e["visible_at"])
        mod, cut = ts(o["modifiedDate"]), prev_cut.get(e["restaurant"], prev_at - LAG)
        k = kind(vis - mod)
        if prev_at < vis and mod < (cut if k == "minutes" else cut - LOOKBACK): out[k].add(o["guid"])
    return out


def sandbox():
    # the clock jumps a week ahead in seconds of wall time, and the connector's login budget (two an hour) counts wall
    # time: a token that lives the whole week keeps this test about data, not about re-logins (test_auth's subject)
    # seed 12: one of the two restaurants has a payroll integration (labor external ids), the other none
    sb = Sandbox(seed=12, restaurants=2, days=DAYS, orders_per_day=10, rate_limits=0, now=NOW, scopes=SCOPES,
                 token_ttl=30 * 86400)
    w = sb.world
    w.connect_every_hours = 0
    w.rates = {k: ORDER_RATES.get(k, 0.0) for k in w.rates}
    w.rates.update(time_entry_edit=6.0, shift_edit=6.0)
    w.offline_rate = 0.4                                    # many offline devices: uploads minutes, hours, days late
    w.late_rate = 0.5                                       # and order changes reaching the API minutes late
    return sb


def delete_unseen(sb, wh, n):
    "Delete up to `n` live orders of each connected restaurant that the warehouse has never held (not even an older version)."
    have, cut, done = by_id(wh, "orders"), cuts(wh, "orders") if wh.states else {}, []
    for g in sb.world.restaurant_guids():       # orders new since the cursor's end (late uploads stay as they are)
        fresh = [e["object"]["guid"] for e in sb.truth("orders", since=cut.get(g, sb.now - timedelta(days=5)))["entities"]["orders"]
                 if e["restaurant"] == g and not e["object"]["deleted"] and e["object"]["guid"] not in have]
        for guid in fresh[:n]:
            assert sb.world.edit_order(g, guid, "order_delete"); done.append(guid)
    return done


def test_backfill_of_three_months_then_syncs_equal_the_truth_after_every_sync():
    sb, wh = sandbox(), Warehouse()
    late = {"orders": defaultdict(set), "timeEntries": defaultdict(set)}
    with sb:
        g1, g2 = sb.world.restaurant_guids()
        deleted_unseen = set(delete_unseen(sb, wh, 3))          # deleted before the first sync
        assert len(deleted_unseen) == 6
        sb.advance(1)
        wh.start = (NOW - timedelta(days=DAYS)).strftime("%Y-%m-%dT%H:%M:%S.000Z")   # the connection's initialSyncStart
        cfg = {"lateArrivalDays": 4, "lateArrivalEveryHours": 1}     # every sync below is an hour or more after the last
        state = run(sb, wh, {}, **cfg)
        ok, at, gone_rows = {g1, g2}, sb.now, {}
        o = check_orders(sb, wh, ok); te = check_time_entries(sb, wh, ok); sh = check_shifts(sb, wh, ok, sb.now, state)
        assert len(o["want"]) > 1500 and len(te) > 1500 and len(sh) > 1500, (len(o["want"]), len(te), len(sh))
        deleted = {"orders": {e["object"]["guid"] for e in o["want"] if e["object"]["deleted"]},
                   "timeEntries": {e["object"]["guid"] for e in te if e["object"]["deleted"]},
                   "shifts": {e["object"]["guid"] for e in sh if e["object"]["deleted"]}}
        assert deleted_unseen <= deleted["orders"] and all(deleted.values()), {k: len(v) for k, v in deleted.items()}
        prev = (at, cuts(wh, "orders"), cuts(wh, "labor.timeEntries"))
        status = [{r["id"]: (r["sync_status"], r["disconnected_at"]) for r in wh.tables["restaurant"].values()}]
        for hours, event in PLAN:
            if event == "leave": sb.world.leave(g2); gone_rows = {g2: mine(wh, g2)}
            if event == "rejoin": sb.world.rejoin(g2)
            if event == "offline":      # it shows up during the pause, older than the pause's re-read reaches by its own days
                offline = next(r["id"] for r in wh.current("orders") if r["restaurant_id"] == g1)
                assert sb.world.edit_order(g1, offline, visible=sb.now + timedelta(hours=OFFLINE_HOURS))
            sb.advance(hours)
            deleted_unseen |= set(delete_unseen(sb, wh, 1))      # new since the last sync, deleted before any sync saw them
            sb.advance(0.05)                                     # 3 minutes: the deletions are older than the cursor's end
            state = run(sb, wh, state, **cfg)
            log = max(wh.tables["sync_log"].values(), key=lambda r: r["sync_id"])
            assert log["status"] == "succeeded" and not log["errors"], log
            assert log["late_reread"] and log["late_reread"]["reads"] >= 2, log["late_reread"]   # the re-read ran
            status.append({r["id"]: (r["sync_status"], r["disconnected_at"]) for r in wh.tables["restaurant"].values()})
            ok = restaurants_ok(wh)
            assert ok == ({g1} if g2 in sb.world.left else {g1, g2}), (event, status[-1])
            for g, before in gone_rows.items():
                if g not in ok: assert mine(wh, g) == before, "a restaurant that left lost or changed rows"
            o = check_orders(sb, wh, ok)
            te = check_time_entries(sb, wh, ok)
            sh = check_shifts(sb, wh, ok, sb.now, state)
            deleted["orders"] |= {e["object"]["guid"] for e in o["want"] if e["object"]["deleted"]}   # each checked: a row with its data
            for k, v in late_arrivals([e for e in o["want"] if e["restaurant"] in ok], prev[0], prev[1]).items():
                late["orders"][k] |= v
            for k, v in late_arrivals([e for e in te if e["restaurant"] in ok], prev[0], prev[2]).items():
                late["timeEntries"][k] |= v
            prev = (sb.now, {**prev[1], **cuts(wh, "orders")}, {**prev[2], **cuts(wh, "labor.timeEntries")})
        # every rarely-filled orders field is non-null somewhere in the current rows, and equal to the truth
        counts = rare_fields(wh, o["want"])
        assert all(counts.values()), [k for k, v in counts.items() if not v]
        for t in ("time_entry", "shift"):                   # labor's rare field, compared with the truth above
            assert any(r.get("external_id") for r in wh.tables[t].values()), t
    # the scenario had every ingredient
    assert {"minutes", "hours", "days"} <= set(late["orders"]), {k: len(v) for k, v in late["orders"].items()}
    assert {"hours", "days"} <= set(late["timeEntries"]), {k: len(v) for k, v in late["timeEntries"].items()}
    assert offline in late["orders"]["days"]
    # shifts cancelled after a sync had read them were deleted by key once Toast stopped serving them
    assert any(r["_fivetran_deleted"] for r in by_id(wh, "shift").values())
    assert len(deleted_unseen) >= 12 and deleted_unseen <= deleted["orders"], (len(deleted_unseen), deleted_unseen - deleted["orders"])
    assert [s[g2][0] for s in status].count("ok") < len(status)
    gone = [i for i, s in enumerate(status) if s[g2][0] != "ok"]
    assert gone and status[gone[0]][g2][1] is not None and status[-1][g2] == ("ok", None), [s[g2] for s in status]
    assert all(s[g1] == ("ok", None) for s in status)
