"""One test per row of the sandbox's filter-rule table (nbs/31_sandbox_server.ipynb, "Filter rules"), over HTTP.

Each rule is Toast's documented semantics (../shared/toast-api/specs/*.yaml, parameter by parameter). The expected
records come from the World's raw records or its truth (everything served now, unfiltered), filtered here with
plain datetime arithmetic and zoneinfo business dates: never from the handler or the World query under test.
The sandbox clock is pinned (`now=NOW`); one small sandbox serves the whole file.
"""
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest, requests

from toast_connector.sandbox.server import Sandbox, toast_ts

UTC = timezone.utc
NOW = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)
MS = timedelta(milliseconds=1)
LOGIN = "/authentication/v1/authentication/login"


class Api:
    "Logs in once; GETs with the token and (optionally) the restaurant header; JSON parsed with Decimal."
    def __init__(self, sb):
        self.sb, self.s = sb, requests.Session()
        body = {"clientId": sb.client_id, "clientSecret": sb.client_secret, "userAccessType": "TOAST_MACHINE_CLIENT"}
        self.token = self.s.post(sb.url + LOGIN, json=body, timeout=10).json()["token"]["accessToken"]

    def get(self, path, restaurant=None, params=None):
        h = {"Authorization": f"Bearer {self.token}"}
        if restaurant: h["Toast-Restaurant-External-ID"] = restaurant
        return self.s.get(self.sb.url + path, headers=h, params=params, timeout=10)

    def ok(self, path, restaurant=None, params=None):
        r = self.get(path, restaurant, params)
        assert r.status_code == 200, (path, params, r.status_code, r.text[:300])
        return json.loads(r.text, parse_float=Decimal)

    def status(self, path, restaurant=None, params=None):
        return self.get(path, restaurant, params).status_code


@pytest.fixture(scope="module")
def sb():
    "Seed 1, 2 restaurants (New York closeout 4, Los Angeles closeout 0), 12 days; a day of config edits and cash undos."
    with Sandbox(seed=1, restaurants=2, days=12, orders_per_day=12, now=NOW - timedelta(hours=24), rate_limits=0) as s:
        s.world.rates.update(config_edit=24.0, cash_undo=12.0)
        s.advance(24)
        assert s.now == NOW
        yield s


@pytest.fixture(scope="module")
def api(sb): return Api(sb)


def ts(s): return None if s is None else datetime.fromisoformat(s.replace("+0000", "+00:00"))
def q(dt): return toast_ts(dt)
def guids(objs): return {o["guid"] for o in objs}


def truth(sb, family, kind, rg=None):
    return [e["object"] for e in sb.truth(family)["entities"][kind] if rg is None or e["restaurant"] == rg]


def local_bd(instant: datetime, tz: str, closeout: int) -> int:
    "The restaurant-local business date of an instant, computed here (zoneinfo; before closeoutHour: the day before)."
    local = instant.astimezone(ZoneInfo(tz))
    d = local.date() - timedelta(days=1 if local.hour < closeout else 0)
    return int(d.strftime("%Y%m%d"))


def place(api, rg):
    "(time zone, closeoutHour) of a restaurant, from its own endpoint."
    g = api.ok(f"/restaurants/v1/restaurants/{rg}", rg)["general"]
    return g["timeZone"], g["closeoutHour"]


def orders_pages(api, rg, params, size=100):
    "Every order of an ordersBulk query, page by page until a short page."
    out, page = [], 1
    while True:
        got = api.ok("/orders/v2/ordersBulk", rg, {**params, "pageSize": size, "page": page})
        out += got
        if len(got) < size: return out
        page += 1


# ---- ordersBulk -------------------------------------------------------------------------------------------------
def test_orders_bulk_selects_modified_date_in_half_open_range(sb, api):
    "orders-v2 startDate/endDate: modifiedDate at or after startDate, before endDate; both or neither; after 2015-12-01."
    rg = sb.world.restaurant_guids()[0]
    orders = sorted(truth(sb, "orders", "orders", rg), key=lambda o: ts(o["modifiedDate"]))
    a, b = orders[len(orders) // 3], orders[2 * len(orders) // 3]          # the range's edges are real modifiedDates
    s, e = ts(a["modifiedDate"]), ts(b["modifiedDate"])
    want = {o["guid"] for o in orders if s <= ts(o["modifiedDate"]) < e}
    got = orders_pages(api, rg, {"startDate": q(s), "endDate": q(e)})
    assert guids(got) == want and len(got) == len(want) > 10
    assert a["guid"] in want and b["guid"] not in want                      # inclusive start, exclusive end
    assert api.status("/orders/v2/ordersBulk", rg, {"startDate": q(s)}) == 400                         # half a pair
    assert api.status("/orders/v2/ordersBulk", rg, {"startDate": q(s), "endDate": q(s)}) == 400        # end not later
    epoch = datetime(2015, 12, 1, tzinfo=UTC)
    assert api.status("/orders/v2/ordersBulk", rg, {"startDate": q(epoch), "endDate": q(epoch + timedelta(days=1))}) == 400
    assert api.status("/orders/v2/ordersBulk", rg, {"startDate": q(epoch + MS), "endDate": q(epoch + timedelta(days=1))}) == 200


RANGES = [("/orders/v2/ordersBulk", "startDate", "endDate"), ("/labor/v1/shifts", "startDate", "endDate"),
          ("/labor/v1/timeEntries", "startDate", "endDate"), ("/labor/v1/timeEntries", "modifiedStartDate", "modifiedEndDate")]


@pytest.mark.parametrize("path,start,end", RANGES)
def test_ranges_are_at_most_one_month_read_the_harsh_way(sb, api, path, start, end):
    "'cannot be longer than one month': 30 days, or to the same day next month when sooner (February: 28 days)."
    rg = sb.world.restaurant_guids()[0]
    d = lambda s: datetime.fromisoformat(s).replace(tzinfo=UTC)
    cases = [("2026-02-01", d("2026-03-01"), 200), ("2026-02-01", d("2026-03-01") + MS, 400),     # February: 28 days
             ("2026-01-31", d("2026-02-28"), 200), ("2026-01-31", d("2026-03-01"), 400),          # clamped month end
             ("2026-03-01", d("2026-03-31"), 200), ("2026-03-01", d("2026-03-31") + MS, 400),     # never over 30 days
             ("2026-01-01", d("2026-02-01"), 400)]                                                # 31 days
    for s, e, want in cases:
        assert api.status(path, rg, {start: q(d(s)), end: q(e)}) == want, (s, e)


def test_orders_bulk_business_date_is_the_local_date_opened(sb, api):
    "orders-v2 businessDate: the orders of that restaurant-local business date (closeoutHour cut); not with a range."
    for rg in sb.world.restaurant_guids():
        tz, co = place(api, rg)
        orders = truth(sb, "orders", "orders", rg)
        by_bd = {}
        for o in orders:
            when = ts(o["openedDate"]) if o.get("openedDate") else ts(o["createdDate"])
            by_bd.setdefault(local_bd(when, tz, co), set()).add(o["guid"])
        assert len(by_bd) >= 12
        for bd, want in sorted(by_bd.items()):
            assert guids(orders_pages(api, rg, {"businessDate": str(bd)})) == want, bd
    w = {"startDate": q(NOW - timedelta(days=1)), "endDate": q(NOW), "businessDate": "20260309"}
    assert api.status("/orders/v2/ordersBulk", rg, w) == 400


def test_orders_bulk_page_size_and_page(sb, api):
    "orders-v2 pageSize 1..100, page from 1; pages of pageSize cover the whole selection once."
    rg = sb.world.restaurant_guids()[1]
    w = {"startDate": q(NOW - timedelta(days=6)), "endDate": q(NOW - timedelta(hours=1))}
    full = api.ok("/orders/v2/ordersBulk", rg, {**w, "pageSize": 100})
    assert 20 < len(full) < 100
    pages = [api.ok("/orders/v2/ordersBulk", rg, {**w, "pageSize": 7, "page": p}) for p in range(1, len(full) // 7 + 2)]
    assert all(len(p) == 7 for p in pages[:-1]) and len(pages[-1]) < 7
    assert [o["guid"] for p in pages for o in p] == [o["guid"] for o in full]
    for bad in ({"pageSize": 101}, {"pageSize": 0}, {"page": 0}, {"pageSize": "ten"}):
        assert api.status("/orders/v2/ordersBulk", rg, {**w, **bad}) == 400, bad


# ---- shifts -----------------------------------------------------------------------------------------------------
def test_shifts_match_only_when_in_and_out_fall_inside_the_period(sb, api):
    "labor-v1 /shifts: inDate at or after startDate AND outDate before endDate; a shift crossing either edge is out."
    rg = sb.world.restaurant_guids()[0]
    shifts = sorted(truth(sb, "labor", "shifts", rg), key=lambda o: ts(o["inDate"]))
    mid = [o for o in shifts if NOW - timedelta(days=9) < ts(o["inDate"]) < NOW - timedelta(days=5)]
    checked = 0
    for a in mid:                                  # startDate = a's inDate; endDate = the outDate of a shift 2 days on
        s = ts(a["inDate"])
        later = [o for o in shifts if ts(o["inDate"]) > s + timedelta(days=2)]
        b = later[0]
        e = ts(b["outDate"])
        cross_start = [o for o in shifts if ts(o["inDate"]) < s < ts(o["outDate"])]
        cross_end = [o for o in shifts if s <= ts(o["inDate"]) < e <= ts(o["outDate"])]
        if not (cross_start and len(cross_end) >= 2): continue
        want = {o["guid"] for o in shifts if ts(o["inDate"]) >= s and ts(o["outDate"]) < e}
        got = api.ok("/labor/v1/shifts", rg, {"startDate": q(s), "endDate": q(e)})
        assert guids(got) == want and len(got) == len(want)
        assert a["guid"] in want and b["guid"] not in want                  # inDate == startDate in; outDate == endDate out
        assert not guids(cross_start) & want and not guids(cross_end) & want
        assert {o["guid"] for o in shifts if s <= ts(o["inDate"]) < e} > want   # the in-date-only rule would differ
        checked += 1
        if checked == 3: break
    assert checked == 3


def test_shift_ids_alone_or_with_a_range(sb, api):
    "labor-v1 shiftIds: those shifts (at most 100), no range needed; with a range both apply; neither: 400."
    rg = sb.world.restaurant_guids()[1]
    shifts = sorted(truth(sb, "labor", "shifts", rg), key=lambda o: ts(o["inDate"]))
    pick = [shifts[3], shifts[40], shifts[-5]]
    assert guids(api.ok("/labor/v1/shifts", rg, {"shiftIds": [o["guid"] for o in pick]})) == guids(pick)
    s, e = ts(pick[1]["inDate"]) - timedelta(days=1), ts(pick[1]["outDate"]) + timedelta(days=1)
    both = api.ok("/labor/v1/shifts", rg, {"shiftIds": sorted(guids(pick)), "startDate": q(s), "endDate": q(e)})
    assert guids(both) == {pick[1]["guid"]}
    assert api.status("/labor/v1/shifts", rg) == 400
    assert api.status("/labor/v1/shifts", rg, {"shiftIds": [f"id-{i}" for i in range(101)]}) == 400


# ---- time entries -----------------------------------------------------------------------------------------------
def entries(sb, rg=None): return truth(sb, "labor", "timeEntries", rg)


def archived(sb):
    "(restaurant, a deleted time entry, a live one of the same restaurant)."
    for rg in sb.world.restaurant_guids():
        te = entries(sb, rg)
        dead = [o for o in te if o["deleted"]]
        if dead: return rg, dead[0], next(o for o in te if not o["deleted"] and o["outDate"])
    pytest.fail("the profile has no deleted time entry")


def test_time_entries_take_exactly_one_selector(sb, api):
    "labor-v1 /timeEntries: ids, startDate+endDate, modifiedStartDate+modifiedEndDate or businessDate; one, whole."
    rg, dead, live = archived(sb)
    s, e = q(NOW - timedelta(days=2)), q(NOW - timedelta(days=1))
    assert api.status("/labor/v1/timeEntries", rg) == 400
    for p in ({"startDate": s}, {"endDate": e}, {"modifiedStartDate": s}, {"modifiedEndDate": e},
              {"startDate": s, "endDate": e, "businessDate": "20260308"},
              {"modifiedStartDate": s, "modifiedEndDate": e, "startDate": s, "endDate": e},
              {"timeEntryIds": live["guid"], "businessDate": "20260308"}):
        assert api.status("/labor/v1/timeEntries", rg, p) == 400, p
    for p in ({"startDate": s, "endDate": e}, {"modifiedStartDate": s, "modifiedEndDate": e},
              {"businessDate": "20260308"}, {"timeEntryIds": live["guid"]}):
        assert api.status("/labor/v1/timeEntries", rg, p) == 200, p


def test_time_entries_by_modified_range_always_include_archived(sb, api):
    "labor-v1 modifiedStartDate/modifiedEndDate: modifiedDate in [start, end); archived (deleted) entries always in."
    rg, dead, _ = archived(sb)
    m = ts(dead["modifiedDate"])
    te = entries(sb, rg)
    for s, e in ((m - timedelta(days=2), m + MS), (m - timedelta(days=2), m)):
        want = {o["guid"] for o in te if s <= ts(o["modifiedDate"]) < e}
        for extra in ({}, {"includeArchived": "false"}):          # "has no effect" here
            got = api.ok("/labor/v1/timeEntries", rg, {"modifiedStartDate": q(s), "modifiedEndDate": q(e), **extra})
            assert guids(got) == want and len(want) > 5
    assert dead["guid"] in {o["guid"] for o in te if m - timedelta(days=2) <= ts(o["modifiedDate"]) < m + MS}
    assert dead["guid"] not in {o["guid"] for o in te if m - timedelta(days=2) <= ts(o["modifiedDate"]) < m}


def test_time_entries_by_in_date_range_leave_archived_out_unless_asked(sb, api):
    "labor-v1 startDate/endDate: clock-in inDate in [start, end); archived entries only with includeArchived=true."
    rg, dead, _ = archived(sb)
    s, e = ts(dead["inDate"]) - timedelta(days=1), ts(dead["inDate"]) + timedelta(days=1)
    te = [o for o in entries(sb, rg) if s <= ts(o["inDate"]) < e]
    live = {o["guid"] for o in te if not o["deleted"]}
    assert guids(api.ok("/labor/v1/timeEntries", rg, {"startDate": q(s), "endDate": q(e)})) == live
    assert guids(api.ok("/labor/v1/timeEntries", rg, {"startDate": q(s), "endDate": q(e), "includeArchived": "false"})) == live
    every = api.ok("/labor/v1/timeEntries", rg, {"startDate": q(s), "endDate": q(e), "includeArchived": "true"})
    assert guids(every) == guids(te) and dead["guid"] in guids(every) and dead["guid"] not in live
    edge = ts(dead["inDate"])                                                       # inclusive start, exclusive end
    assert dead["guid"] in guids(api.ok("/labor/v1/timeEntries", rg, {"startDate": q(edge), "endDate": q(e), "includeArchived": "true"}))
    assert dead["guid"] not in guids(api.ok("/labor/v1/timeEntries", rg, {"startDate": q(s), "endDate": q(edge), "includeArchived": "true"}))


def test_time_entries_by_business_date_never_archived(sb, api):
    "labor-v1 businessDate: entries whose inDate is in that local business date (closeoutHour cut); never archived."
    rg, dead, _ = archived(sb)
    tz, co = place(api, rg)
    te = entries(sb, rg)
    by_bd = {}
    for o in te: by_bd.setdefault(local_bd(ts(o["inDate"]), tz, co), []).append(o)
    dead_bd = local_bd(ts(dead["inDate"]), tz, co)
    assert dead_bd in by_bd and len(by_bd) >= 12
    for bd, objs in sorted(by_bd.items()):
        want = {o["guid"] for o in objs if not o["deleted"]}
        for extra in ({}, {"includeArchived": "true"}):              # "never returns archived time entries"
            assert guids(api.ok("/labor/v1/timeEntries", rg, {"businessDate": str(bd), **extra})) == want, (bd, extra)
    assert dead["guid"] not in guids(api.ok("/labor/v1/timeEntries", rg, {"businessDate": str(dead_bd), "includeArchived": "true"}))


def test_time_entry_ids_show_archived_only_when_asked(sb, api):
    "labor-v1 timeEntryIds (at most 100): those entries; archived ones only with includeArchived=true (harsher)."
    rg, dead, live = archived(sb)
    ids = [dead["guid"], live["guid"]]                                     # repeated (collectionFormat: multi)
    assert guids(api.ok("/labor/v1/timeEntries", rg, {"timeEntryIds": ids})) == {live["guid"]}
    assert api.ok("/labor/v1/timeEntries", rg, {"timeEntryIds": ",".join(ids), "includeArchived": "true"}) == []   # one id: no such entry
    blank = api.get("/labor/v1/timeEntries", rg, {"timeEntryIds": ""})
    assert blank.status_code == 400 and "timeEntryIds" in blank.json()["message"], blank.text
    got = api.ok("/labor/v1/timeEntries", rg, {"timeEntryIds": ids, "includeArchived": "true"})
    assert guids(got) == {live["guid"], dead["guid"]} and [o["deleted"] for o in got if o["guid"] == dead["guid"]] == [True]
    assert api.status("/labor/v1/timeEntries", rg, {"timeEntryIds": [f"id-{i}" for i in range(101)]}) == 400


def test_boolean_flags_and_missed_breaks(sb, api):
    "includeArchived/includeMissedBreaks take true|false only; missed breaks are left out unless includeMissedBreaks=true."
    w = sb.world
    r = w._rs[0]
    bd = int((NOW - timedelta(days=3)).strftime("%Y%m%d"))
    te = next(rec[3] for rec in w._labor_day(r, bd)[1] if rec[3]["breaks"] and not rec[3]["deleted"])
    assert api.status("/labor/v1/timeEntries", r.guid, {"timeEntryIds": te["guid"], "includeArchived": "yes"}) == 400
    assert api.status("/labor/v1/timeEntries", r.guid, {"timeEntryIds": te["guid"], "includeMissedBreaks": "1"}) == 400
    brk = te["breaks"][0]
    n = len(te["breaks"])
    with sb.lock: brk["missed"] = True                    # the raw record: a break the employee missed
    try:
        (plain,) = api.ok("/labor/v1/timeEntries", r.guid, {"timeEntryIds": te["guid"]})
        (full,) = api.ok("/labor/v1/timeEntries", r.guid, {"timeEntryIds": te["guid"], "includeMissedBreaks": "true"})
        assert len(plain["breaks"]) == n - 1 and len(full["breaks"]) == n
        assert [b["missed"] for b in full["breaks"]].count(True) == 1
    finally:
        with sb.lock: brk["missed"] = False
    (back,) = api.ok("/labor/v1/timeEntries", r.guid, {"timeEntryIds": te["guid"]})
    assert len(back["breaks"]) == n


# ---- jobs, employees --------------------------------------------------------------------------------------------
def test_jobs_leave_deleted_out_unless_asked_by_id(sb, api):
    """labor-v1 /jobs: without jobIds deleted jobs are excluded; asked for by id they come back, flagged. jobIds is an
    array with no collectionFormat: of several repeated values only the last counts, and commas are not split."""
    rg = sb.world.restaurant_guids()[0]
    jobs = truth(sb, "labor", "jobs", rg)
    dead = [o for o in jobs if o["deleted"]]
    live = [o for o in jobs if not o["deleted"]]
    assert dead and live
    assert guids(api.ok("/labor/v1/jobs", rg)) == guids(live)
    got = api.ok("/labor/v1/jobs", rg, {"jobIds": dead[0]["guid"]})
    assert guids(got) == {dead[0]["guid"]} and got[0]["deleted"] is True
    assert guids(api.ok("/labor/v1/jobs", rg, {"jobIds": [dead[0]["guid"], live[0]["guid"]]})) == {live[0]["guid"]}
    assert api.ok("/labor/v1/jobs", rg, {"jobIds": f'{dead[0]["guid"]},{live[0]["guid"]}'}) == []
    assert api.status("/labor/v1/jobs", rg, {"jobIds": [f"id-{i}" for i in range(101)]}) == 400


def test_employees_every_one_flagged_or_only_the_ids(sb, api):
    "labor-v1 /employees: every employee, deleted ones flagged; employeeIds (at most 100): only those."
    rg = sb.world.restaurant_guids()[0]
    emps = truth(sb, "labor", "employees", rg)
    got = api.ok("/labor/v1/employees", rg)
    assert guids(got) == guids(emps) and {o["guid"] for o in got if o["deleted"]} == {o["guid"] for o in emps if o["deleted"]} != set()
    two = [emps[0]["guid"], emps[-1]["guid"]]
    assert guids(api.ok("/labor/v1/employees", rg, {"employeeIds": two})) == set(two)
    assert api.status("/labor/v1/employees", rg, {"employeeIds": [f"id-{i}" for i in range(101)]}) == 400


# ---- config -----------------------------------------------------------------------------------------------------
def config_all(api, rg, ep, params=None):
    "Every object of a config endpoint, following Toast-Next-Page-Token."
    out, tok = [], None
    while True:
        r = api.get(f"/config/v2/{ep}", rg, {**(params or {}), **({"pageToken": tok} if tok else {})})
        assert r.status_code == 200, r.text
        out += r.json()
        tok = r.headers.get("Toast-Next-Page-Token")
        if not tok: return out


def test_config_last_modified_is_strictly_after(sb, api):
    "config-v2 lastModified: objects created or modified after it (an object modified at that very instant: not)."
    w, checked = sb.world, 0
    for r in w._rs:
        state = w._cfg_state(r)                                        # raw: endpoint -> {guid: [object, modified ms]}
        base = min(m for ep in state for _, m in state[ep].values())
        for ep, objs in sorted(state.items()):
            edited = sorted(m for _, m in objs.values() if m > base + 86400000)
            if not edited: continue
            m = edited[0]
            at = datetime.fromtimestamp(m / 1000, UTC)
            for lm, also in ((at, False), (at - MS, True)):
                want = {g for g, (_, mm) in objs.items() if mm > m} | ({g for g, (_, mm) in objs.items() if mm == m} if also else set())
                assert guids(config_all(api, r.guid, ep, {"lastModified": q(lm)})) == want, (ep, lm)
            assert guids(config_all(api, r.guid, ep)) == set(objs)       # without it: everything
            checked += 1
    assert checked >= 5
    assert api.status("/config/v2/menuItems", w._rs[0].guid, {"lastModified": "2026-03-01"}) == 400


# ---- cash -------------------------------------------------------------------------------------------------------
def test_cash_by_restaurant_local_business_date(sb, api):
    "cashmgmt businessDate (required): records whose date is in that local business date; a later undo is filed under the undone entry's date."
    w, late_undos = sb.world, 0
    for r in w._rs:
        tz, co = place(api, r.guid)
        bds = sorted({local_bd(NOW - timedelta(days=k), tz, co) for k in range(0, 11)})
        days = [w._cash_day(r, d) for d in bds]               # raw: each date's entries and deposits in final form
        all_raw_entries = [e for ents, _ in days for e in ents]
        all_raw_deps = [d for _, deps in days for d in deps]
        for bd in bds:
            got = api.ok("/cashmgmt/v1/entries", r.guid, {"businessDate": str(bd)})
            want = {e["guid"] for e in all_raw_entries if ts(e["date"]) <= NOW and local_bd(ts(e["date"]), tz, co) == bd}
            undos = [e for e in got if e["guid"] not in want]
            assert guids(got) - guids(undos) == want and (len(want) >= 10 or bd == bds[-1])     # today: the morning only
            for u in undos:                    # filed under the business date of the entry it undoes, made days later
                assert u["type"] == "UNDO_PAY_OUT" and u["undoes"] in want and local_bd(ts(u["date"]), tz, co) > bd
                assert u["guid"] not in guids(api.ok("/cashmgmt/v1/entries", r.guid, {"businessDate": str(local_bd(ts(u["date"]), tz, co))}))
                late_undos += 1
            deps = api.ok("/cashmgmt/v1/deposits", r.guid, {"businessDate": str(bd)})
            assert guids(deps) == {d["guid"] for d in all_raw_deps if ts(d["date"]) <= NOW and local_bd(ts(d["date"]), tz, co) == bd}
    assert late_undos >= 3
    rg = w._rs[0].guid
    for p in ({}, {"businessDate": "2026-03-01"}, {"businessDate": "20260230"}):
        assert api.status("/cashmgmt/v1/entries", rg, p) == 400 and api.status("/cashmgmt/v1/deposits", rg, p) == 400


# ---- partners ---------------------------------------------------------------------------------------------------
def test_partner_restaurants_last_modified_is_strictly_after(sb, api):
    "partners-v1 /restaurants lastModified: restaurants whose access changed after it."
    items = api.ok("/partners/v1/restaurants")
    assert len(items) == 2
    older, newer = sorted(items, key=lambda i: i["modifiedDate"])
    at = datetime.fromtimestamp(older["modifiedDate"] / 1000, UTC)
    assert {i["restaurantGuid"] for i in api.ok("/partners/v1/restaurants", None, {"lastModified": q(at)})} == {newer["restaurantGuid"]}
    assert len(api.ok("/partners/v1/restaurants", None, {"lastModified": q(at - MS)})) == 2
    assert api.ok("/partners/v1/restaurants", None, {"lastModified": q(NOW)}) == []
