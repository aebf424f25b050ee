"""Configuration, menus, labor and cash families on the real engine against the real sandbox: after every sync of a
multi-sync scenario (config edits/additions/removals, employee edits/hires/deletions, job edits/deletions, shift and
time entry edits, menu publishes, late cash undos between syncs) the modelled warehouse's current rows equal the
sandbox's truth; cash lands on restaurant-local business dates across DST and a 4:00 closeout; a missing scope skips
only its family and says so once; a config full refresh that fails half-way deletes nothing it should not."""
import json
from collections import Counter
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from toast_connector import sync, testing
from toast_connector.auth import ToastRetriesExhausted
from toast_connector.client import ToastClient
from toast_connector.config import validate_configuration
from toast_connector import configuration as config_family
from toast_connector.flatten import table_keys
from toast_connector.families import by_name
from toast_connector.sandbox.server import Sandbox
from toast_connector.sandbox.data import ALL_SCOPES
import clock

UTC = timezone.utc
# README's configuration tables (the seed's names, a contract), by the /config/v2 endpoint each comes from: written out
# here, so that a table fed from the wrong endpoint fails the tests instead of moving both sides
CONFIG_TABLES = {"alternatePaymentTypes": "alternate_payment_types", "breakTypes": "break_type", "cashDrawers": "cash_drawer",
                 "diningOptions": "dining_option", "discounts": "discounts", "menuGroups": "menu_group", "menuItems": "menu_item",
                 "menuOptionGroups": "menu_option_group", "menus": "menu", "preModifiers": "pre_modifier",
                 "preModifierGroups": "pre_modifier_group", "noSaleReasons": "no_sale_reason", "payoutReasons": "payout_reason",
                 "priceGroups": "price_group", "printers": "printer", "salesCategories": "sale_category",
                 "serviceAreas": "service_area", "serviceCharges": "service_charge", "revenueCenters": "revenue_center",
                 "restaurantServices": "restaurant_service", "tables": "tables", "taxRates": "tax_rate", "voidReasons": "void_reason"}


def test_the_config_tables_are_readmes():
    "The connector declares each configuration table from README's endpoint, and no other."
    assert config_family.CONFIG_TABLES == CONFIG_TABLES
    assert {s.table: s.path for s in config_family.CONFIG_STREAMS if s.table in CONFIG_TABLES.values()} == \
        {t: f"/config/v2/{ep}" for ep, t in CONFIG_TABLES.items()}
NOW = datetime(2026, 11, 20, 15, 0, 0, tzinfo=UTC)   # fixed: the scenarios below (seed 0's cancelled shift, ...) happen by then
LAG = timedelta(seconds=120)                      # settings.safety_lag_seconds (default)
MY_FAMILIES = ("config", "menus", "labor", "labor.employees", "cash")
BUSY = {"config_edit": 16, "config_remove": 12, "config_add": 8, "employee_edit": 16, "employee_delete": 8,
        "employee_hire": 6, "job_edit": 6, "job_delete": 4, "menu_publish": 10, "cash_undo": 16,
        "time_entry_edit": 16, "shift_edit": 16}      # events per restaurant per day: >= 4, so 6 hours hold each, at any hour


def small(**kw):
    "A small sandbox: 2 restaurants (Boston closeout 4, Los Angeles closeout 0), 3 days, few orders, no limits."
    sb = Sandbox(**{"seed": 11, "restaurants": 2, "days": 3, "orders_per_day": 4, "rate_limits": 0, "now": NOW, **kw})
    sb._first_now = sb.now
    return sb


def recorder():
    "A Recorder that knows every table's primary key (config and menus tables have composite keys)."
    rec = testing.Recorder()
    rec.keys = {"restaurant": ("id",), "sync_log": ("sync_id",)}
    for s in by_name().values(): rec.keys.update(table_keys(s.table, s.key, s.children))
    return rec


def configuration(sb, **cfg):
    "The connector configuration; initialSyncStart stays the first sync's (as in a real connection)."
    start_iso = start(sb).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return sb.configuration(**{"initialSyncStart": start_iso, "cashLookbackDays": 5, **cfg})


def run(sb, rec, client=None, **cfg):
    "One sync (sync.update) into `rec`, continuing from its last committed state; returns the log."
    log = testing.ListLog()
    sync.update(configuration(sb, **cfg), rec.state, emit=rec, log=log, client=client)
    return log


class RecordingClient(ToastClient):
    "A real client that also records every request's path and query parameters."
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.calls = []
    def get(self, path, *, restaurant=None, params=None, **kw):
        self.calls.append((path, restaurant, dict(params or {})))
        return super().get(path, restaurant=restaurant, params=params, **kw)


def recording(sb, **cfg):
    return RecordingClient(validate_configuration(configuration(sb, **cfg)), {})


def ts(s):
    "A Toast or warehouse timestamp as an aware datetime (None stays None)."
    if s is None: return None
    return datetime.fromisoformat(s.replace("Z", "+00:00").replace("+0000", "+00:00"))


def start(sb):
    "The first sync's initialSyncStart, whole seconds as configured (Sandbox.configuration() moves it with the clock)."
    return (sb._first_now - timedelta(days=sb.days)).replace(microsecond=0)


# ---- the truth, computed from the sandbox's own objects (no connector code), cut at initialSyncStart --------------
def ent(sb, family, kind):
    return [(e["restaurant"], e["object"]) for e in sb.truth(family, since=start(sb))["entities"][kind]]


def config_truth(sb):
    "{table: {(id, restaurant): name}} of every config object Toast serves now."
    out = {t: {(o["guid"], r): o.get("name") for r, o in ent(sb, "config", ep)} for ep, t in CONFIG_TABLES.items()}
    out["tip_withholding"] = {(o["guid"], r): None for r, o in ent(sb, "config", "tipWithholding")}
    return out


def menus_truth(sb):
    "{table: {key: value}} from each restaurant's /menus document, walked here independently."
    t = {k: {} for k in ("published_menu_restaurant", "published_menu", "published_menu_group", "published_menu_item",
                         "published_modifier_group", "published_modifier_option", "published_pre_modifier_group",
                         "published_pre_modifier")}
    for r, doc in ent(sb, "menus", "menus"):
        t["published_menu_restaurant"][(r,)] = ts(doc["lastUpdated"])
        for m in doc["menus"]:
            t["published_menu"][(m["guid"], r)] = m["name"]
            def walk(groups, parent, depth):
                for g in groups:
                    t["published_menu_group"][(g["guid"], m["guid"], r)] = (parent, depth)
                    for i in g["menuItems"]: t["published_menu_item"][(i["guid"], g["guid"], m["guid"], r)] = i["price"]
                    walk(g["menuGroups"], g["guid"], depth + 1)
            walk(m["menuGroups"], None, 1)
        for k, g in doc["modifierGroupReferences"].items(): t["published_modifier_group"][(int(k), r)] = g["guid"]
        for k, o in doc["modifierOptionReferences"].items(): t["published_modifier_option"][(int(k), r)] = o["price"]
        for k, p in doc["preModifierGroupReferences"].items():
            t["published_pre_modifier_group"][(int(k), r)] = p["guid"]
            for pm in p["preModifiers"]: t["published_pre_modifier"][(pm["guid"], p["guid"], r)] = pm["fixedPrice"]
    return t


def labor_truth(sb, cutoff):
    "Live employees (+ children), jobs, shifts, time entries and breaks; entries modified after `cutoff` left out."
    emp = {(o["guid"], r): o for r, o in ent(sb, "labor", "employees") if not o["deleted"]}   # one guid may be in two restaurants
    tes = [o for _, o in ent(sb, "labor", "timeEntries")]
    fresh = {o["guid"] for o in tes if ts(o["modifiedDate"]) >= cutoff}        # inside the safety lag: next sync
    live_te = {o["guid"]: o for o in tes if not o["deleted"] and o["guid"] not in fresh}
    return {"employee": {g: o["lastName"] for g, o in emp.items()},
            "employee_job_reference": {(j["guid"], g, r): None for (g, r), o in emp.items() for j in o["jobReferences"]},
            "employee_wage_override": {(w["jobReference"]["guid"], g, r): w["wage"] for (g, r), o in emp.items() for w in o["wageOverrides"]},
            "job": {(o["guid"], r): o["defaultWage"] for r, o in ent(sb, "labor", "jobs") if not o["deleted"]},
            "shift": {o["guid"]: ts(o["outDate"]) for _, o in ent(sb, "labor", "shifts") if not o["deleted"]},  # a week ahead too
            "time_entry": {g: ts(o["modifiedDate"]) for g, o in live_te.items()},
            "break": Counter({g: len(o["breaks"]) for g, o in live_te.items() if o["breaks"]}),
            "_fresh": fresh}


def cash_truth(sb):
    "{table: {guid: (restaurant, business date it is filed under, amount)}}."
    t = sb.truth("cash", since=start(sb))["entities"]
    return {table: {e["object"]["guid"]: (e["restaurant"], e["businessDate"], e["object"]["amount"]) for e in t[kind]}
            for table, kind in (("cash_entry", "entries"), ("cash_deposit", "deposits"))}


# ---- the warehouse's current rows ---------------------------------------------------------------------------------
def rows(rec, table): return rec.rows(table)


def current_breaks(rec):
    "Breaks whose version equals their time entry's current modified_date (labor.current_sql, modelled)."
    te = {r["id"]: r["modified_date"] for r in rows(rec, "time_entry")}
    return [b for b in rows(rec, "break") if te.get(b["time_entry_id"]) == b["time_entry_modified_date"]]


def check_config(sb, rec, allow_stale=()):
    "Config tables equal the truth; `allow_stale` tables may still hold removed objects (before a full refresh)."
    truth = config_truth(sb)
    removed = {(x["guid"], x["restaurant"]) for ep, xs in sb.truth("config")["removed"].items() for x in xs}
    for table, want in truth.items():
        got = {(r["id"], r["restaurant_id"]): r.get("name") for r in rows(rec, table)}
        extra = set(got) - set(want)
        if table in allow_stale: assert extra <= removed, (table, extra - removed)
        else: assert not extra, (table, extra)
        assert set(want) <= set(got), (table, set(want) - set(got))
        assert {k: got[k] for k in want} == want, table                        # edits (renames) landed
    return truth


def check_menus(sb, rec):
    want = menus_truth(sb)
    got = {"published_menu_restaurant": {(r["id"],): ts(r["last_updated"]) for r in rows(rec, "published_menu_restaurant")},
           "published_menu": {(r["id"], r["restaurant_id"]): r["name"] for r in rows(rec, "published_menu")},
           "published_menu_group": {(r["id"], r["published_menu_id"], r["restaurant_id"]): (r.get("parent_group_id"), r["depth"])
                                    for r in rows(rec, "published_menu_group")},
           "published_menu_item": {(r["id"], r["published_menu_group_id"], r["published_menu_id"], r["restaurant_id"]): r["price"]
                                   for r in rows(rec, "published_menu_item")},
           "published_modifier_group": {(r["reference_id"], r["restaurant_id"]): r["id"] for r in rows(rec, "published_modifier_group")},
           "published_modifier_option": {(r["reference_id"], r["restaurant_id"]): r["price"] for r in rows(rec, "published_modifier_option")},
           "published_pre_modifier_group": {(r["reference_id"], r["restaurant_id"]): r["id"] for r in rows(rec, "published_pre_modifier_group")},
           "published_pre_modifier": {(r["id"], r["published_pre_modifier_group_id"], r["restaurant_id"]): r["fixed_price"]
                                      for r in rows(rec, "published_pre_modifier")}}
    for t in want: assert got[t] == want[t], t
    return want


def check_labor(sb, rec):
    want = labor_truth(sb, sb.now - LAG)
    fresh = want.pop("_fresh")
    got = {"employee": {(r["id"], r["restaurant_id"]): r["last_name"] for r in rows(rec, "employee")},
           "employee_job_reference": {(r["id"], r["employee_id"], r["restaurant_id"]): None for r in rows(rec, "employee_job_reference")},
           "employee_wage_override": {(r["id"], r["employee_id"], r["restaurant_id"]): r["wage"] for r in rows(rec, "employee_wage_override")},
           "job": {(r["id"], r["restaurant_id"]): r["default_wage"] for r in rows(rec, "job")},
           "shift": {r["id"]: ts(r.get("out_date")) for r in rows(rec, "shift")},
           "time_entry": {r["id"]: ts(r["modified_date"]) for r in rows(rec, "time_entry") if r["id"] not in fresh},
           "break": Counter(b["time_entry_id"] for b in current_breaks(rec) if b["time_entry_id"] not in fresh)}
    for t in want: assert got[t] == want[t], (t, set(got[t]) ^ set(want[t]))
    return want


def check_cash(sb, rec):
    want = cash_truth(sb)
    for t in want:
        got = {r["id"]: (r["restaurant_id"], r["business_date"], r["amount"]) for r in rows(rec, t)}
        assert got == want[t], (t, {k: (got.get(k), want[t].get(k)) for k in set(got) ^ set(want[t]) or
                                    [k for k in got if got[k] != want[t][k]]})
    return want


def check_all(sb, rec, allow_stale=()):
    return {"config": check_config(sb, rec, allow_stale), "menus": check_menus(sb, rec),
            "labor": check_labor(sb, rec), "cash": check_cash(sb, rec)}


def resynced_deletes(rec, since, table):
    "Keys upserted before op `since` and deleted after it."
    key = lambda d: tuple(sorted(rec.pk(table, d)))
    ups = {key(d) for k, t, d in rec.ops[:since] if k == "upsert" and t == table}
    return ups & {key(d) for k, t, d in rec.ops[since:] if k == "delete" and t == table}


def deletes(rec, since, table):
    return [d for k, t, d in rec.ops[since:] if k == "delete" and t == table]


# ---- the scenario -------------------------------------------------------------------------------------------------
EVERY_SYNC = dict(configRefreshHours=0, cashFullLookbackHours=0)   # the call budget's cadences off: tests/test_budget.py has them


@pytest.mark.clock
def test_multi_sync_every_table_equals_truth():
    with small(now=clock.NOW) as sb:                                  # the shared test clock: any hour must do
        sb.world.rates.update(BUSY)
        rec, rs = recorder(), sorted(sb.world.restaurant_guids())
        c = recording(sb, configFullRefreshHours=12, **EVERY_SYNC)
        run(sb, rec, c, configFullRefreshHours=12, **EVERY_SYNC)                    # 1: first sync pulls everything
        t1 = check_all(sb, rec)
        cfg_calls = [p for path, _, p in c.calls if path.startswith("/config/v2/") and not path.endswith("tipWithholding")]
        assert cfg_calls and not any("lastModified" in p for p in cfg_calls)
        assert Counter(r for path, r, _ in c.calls if path == "/menus/v2/menus") == Counter(rs)
        assert all(t1["config"][t] for t in t1["config"]), "every config table has rows"
        assert t1["labor"]["break"] and t1["labor"]["employee_wage_override"] and t1["cash"]["cash_deposit"]
        published1 = dict(t1["menus"]["published_menu_restaurant"])

        counts = sb.advance(6)                                        # 2: changes of every kind, then an incremental sync
        for k in BUSY: assert counts[k] > 0, (k, counts)
        n, c = len(rec.ops), recording(sb, configFullRefreshHours=12, **EVERY_SYNC)
        first3 = n
        run(sb, rec, c, configFullRefreshHours=12, **EVERY_SYNC)
        cfg_calls = [p for path, _, p in c.calls if path.startswith("/config/v2/") and not path.endswith("tipWithholding")]
        assert cfg_calls and all(p.get("lastModified") for p in cfg_calls)          # incremental: lastModified
        shift_starts = [ts(p["startDate"]) for path, _, p in c.calls if path == "/labor/v1/shifts" and "startDate" in p]
        assert min(shift_starts) == start(sb)                                      # shifts re-read over the lookback
        stale = {CONFIG_TABLES[ep] for ep, xs in sb.truth("config")["removed"].items() if xs}
        assert stale, "the scenario removed config objects"
        run(sb, rec, recording(sb, configFullRefreshHours=12, **EVERY_SYNC), configFullRefreshHours=12, **EVERY_SYNC)
        waiting = {(g, s) for g, cur in rec.state["restaurants"].items() for s, c in cur.items() if isinstance(c, dict) and c.get("missing")}
        assert not waiting, waiting                                   # 2b, same clock: what the full pulls of 2 lacked, settled
        check_all(sb, rec, allow_stale=stale)                         # removals invisible until the full refresh ...
        assert not [d for k, t, d in rec.ops[n:] if k == "delete" and t in CONFIG_TABLES.values()]
        assert deletes(rec, n, "employee"), "deleted employees were deleted"
        t2m = menus_truth(sb)["published_menu_restaurant"]
        assert t2m != published1, "a menu publish landed"

        sb.advance(7)                                                 # 3: past configFullRefreshHours: removals deleted
        n, c = len(rec.ops), recording(sb, configFullRefreshHours=12, **EVERY_SYNC)
        run(sb, rec, c, configFullRefreshHours=12, **EVERY_SYNC)
        assert not any("lastModified" in p for path, _, p in c.calls if path.startswith("/config/v2/"))   # a full pull
        stale = {CONFIG_TABLES[ep] for ep, xs in sb.truth("config")["removed"].items() if xs}
        assert not {t for k, t, _ in rec.ops[n:] if k == "delete"} & stale      # ... lacked once: nothing deleted yet
        check_config(sb, rec, allow_stale=stale)
        c = recording(sb, configFullRefreshHours=12, **EVERY_SYNC)
        run(sb, rec, c, configFullRefreshHours=12, **EVERY_SYNC)     # 3b, same clock: the full pull again, whatever the cadence
        assert any(path.startswith("/config/v2/") and not path.endswith("tipWithholding") and "lastModified" not in p
                   for path, _, p in c.calls)
        assert {t for k, t, _ in rec.ops[n:] if k == "delete"} >= stale
        check_all(sb, rec)

        for t in ("employee", "job", "employee_wage_override", "employee_job_reference"):   # synced rows later deleted
            assert resynced_deletes(rec, first3, t), t
        sb.world.rates.update(menu_publish=0)                         # 4: one more round, no publish: /menus not fetched
        sb.advance(5)
        c = recording(sb, configFullRefreshHours=12, **EVERY_SYNC)
        run(sb, rec, c, configFullRefreshHours=12, **EVERY_SYNC)
        assert Counter(r for path, r, _ in c.calls if path == "/menus/v2/metadata") == Counter(rs)
        assert not [r for path, r, _ in c.calls if path == "/menus/v2/menus"]
        run(sb, rec, recording(sb, configFullRefreshHours=12, **EVERY_SYNC), configFullRefreshHours=12, **EVERY_SYNC)   # 4b: confirms
        check_all(sb, rec, allow_stale={CONFIG_TABLES[ep] for ep in CONFIG_TABLES})


def test_cash_business_dates_across_dst_and_closeout_4():
    """Cases (the sandbox's places; the US clocks went back on Sunday 2026-11-01 at 02:00 local):
    - Harbor Grill, America/New_York, closeoutHour 4: business date 2026-10-31 runs from 04:00 EDT Saturday to 04:00 EST
      Sunday (25 hours, 08:00Z -> 09:00Z); its close-out entries at about 01:00-01:30 local Sunday belong to Saturday.
    - Sunset Taqueria, America/Los_Angeles, closeoutHour 0: business date 2026-11-01 is 25 hours long (07:00Z -> 08:00Z Nov 2).
    Every entry and deposit lands once, under the business date Toast files it under, and that date is the
    restaurant-local date of its time cut at closeoutHour (computed here with zoneinfo, not the connector's code)."""
    with small(now=datetime(2026, 11, 3, 18, 0, tzinfo=UTC), days=5, orders_per_day=2) as sb:
        rec = recorder()
        run(sb, rec)
        want = check_cash(sb, rec)
        places = {r: (o["general"]["name"], o["general"]["timeZone"], o["general"]["closeoutHour"])
                  for r, o in ent(sb, "restaurants", "restaurants")}
        assert sorted(p[1:] for p in places.values()) == [("America/Los_Angeles", 0), ("America/New_York", 4)]
        after_midnight = Counter()
        for r in rows(rec, "cash_entry") + rows(rec, "cash_deposit"):
            name, tz, co = places[r["restaurant_id"]]
            local = ts(r["date"]).astimezone(ZoneInfo(tz))
            d = (local - timedelta(hours=co)).date()
            assert r["business_date"] == d.year * 10000 + d.month * 100 + d.day, (name, r["date"], r["business_date"])
            if local.hour < co: after_midnight[name] += 1
        assert after_midnight["Harbor Grill"] > 0                        # entries a UTC-day (or local-midnight) cut misfiles
        ny = [r for r in rows(rec, "cash_entry") if places[r["restaurant_id"]][0] == "Harbor Grill"]
        assert any(r["business_date"] == 20261031 and ts(r["date"]) >= datetime(2026, 11, 1, 4, tzinfo=UTC) for r in ny)
        assert {r["business_date"] for r in ny} >= {20261031, 20261101, 20261102}
        # 2026-10-31's 25 hours: every entry Toast files under it lies in [08:00Z Oct 31, 09:00Z Nov 1)
        for r in ny:
            if r["business_date"] == 20261031:
                assert datetime(2026, 10, 31, 8, tzinfo=UTC) <= ts(r["date"]) < datetime(2026, 11, 1, 9, tzinfo=UTC)
        assert len(want["cash_entry"]) == len(rows(rec, "cash_entry"))


def test_late_cash_undo_lands_on_its_old_business_date():
    with small(orders_per_day=2) as sb:
        rec = recorder()
        run(sb, rec)
        sb.world.rates = {k: 0 for k in sb.world.rates} | {"cash_undo": 40}
        assert sb.advance(3)["cash_undo"] > 0
        run(sb, rec, cashFullLookbackHours=3)                       # the full lookback is due: every undo lands
        want = check_cash(sb, rec)
        undos = [r for r in rows(rec, "cash_entry") if r.get("reason") == "Late correction"]
        assert undos
        for u in undos:                                             # filed under an earlier date than its own time says
            assert u["business_date"] == want["cash_entry"][u["id"]][1]
            assert u["undoes_id"] in {r["id"] for r in rows(rec, "cash_entry")}


def test_missing_cash_scope_skips_only_cash_and_says_so_once():
    with small(scopes=[s for s in ALL_SCOPES if s != "cashmgmt:read"], orders_per_day=2) as sb:
        rec = recorder()
        log = run(sb, rec)
        check_config(sb, rec); check_menus(sb, rec); check_labor(sb, rec)
        assert not rows(rec, "cash_entry") and not rows(rec, "cash_deposit")
        lines = [m for lvl, m in log.lines if lvl == "warning" and "cashmgmt:read" in m]
        assert len(lines) == 1 and "skipping cash" in lines[0] and "403" in lines[0], lines   # one warning ...
        assert "skipped cash (cashmgmt:read)" in [m for _, m in log.lines][-1]                  # ... and the summary
        (slog,) = rec.rows("sync_log")
        skipped = slog["skipped"]
        assert [s["family"] for s in skipped] == ["cash (cashmgmt:read)"]
        assert set(skipped[0]["restaurants"]) == set(sb.world.restaurant_guids())
        assert slog["status"] == "succeeded"
        st = rec.state["restaurants"]
        assert all("cash.entries" not in c and "config.menus" in c and "labor.employees" in c for c in st.values())


def test_missing_employees_scope_leaves_the_rest_of_labor_syncing():
    with small(scopes=[s for s in ALL_SCOPES if s != "labor.employees:read"], orders_per_day=2) as sb:
        rec = recorder()
        log = run(sb, rec)
        assert not rows(rec, "employee") and not rows(rec, "employee_job_reference")
        want = labor_truth(sb, sb.now - LAG)
        assert {(r["id"], r["restaurant_id"]) for r in rows(rec, "job")} == set(want["job"])
        assert {r["id"] for r in rows(rec, "shift")} == set(want["shift"])
        assert {r["id"] for r in rows(rec, "time_entry")} - want["_fresh"] == set(want["time_entry"])
        assert len([m for lvl, m in log.lines if lvl == "warning" and "labor.employees:read" in m]) == 1


class FailingClient(ToastClient):
    "A real client that fails (as if 409s or 5xx kept coming) on the second page of one config endpoint."
    def __init__(self, *a, fail_path, **kw):
        super().__init__(*a, **kw)
        self.fail_path, self.failed = fail_path, 0
    def get(self, path, *, restaurant=None, params=None, **kw):
        if path == self.fail_path and (params or {}).get("pageToken"):
            self.failed += 1
            raise ToastRetriesExhausted(f"GET {path} for restaurant {restaurant}: gave up", status=503, endpoint=path,
                                        restaurant=restaurant, toast_message="Service Unavailable")
        return super().get(path, restaurant=restaurant, params=params, **kw)


def test_full_refresh_failing_half_way_deletes_nothing_it_should_not():
    with small(orders_per_day=2) as sb:
        sb.config_page_size = 3                                     # several pages per endpoint
        rec = recorder()
        run(sb, rec, configFullRefreshHours=0)
        check_config(sb, rec)
        sb.world.rates = {k: 0 for k in sb.world.rates} | {"config_remove": 60}
        sb.advance(4)
        removed = sb.truth("config")["removed"]
        # the endpoint that fails: one with removals and still more than one page
        cands = [ep for ep, xs in removed.items() if xs and all(len(sb.world.config_list(x["restaurant"], ep)) > 3 for x in xs)]
        assert cands, removed
        ep = cands[0]
        before = rec.state["restaurants"]
        client = FailingClient(validate_configuration(configuration(sb, configFullRefreshHours=0)), {}, fail_path=f"/config/v2/{ep}")
        n = len(rec.ops)
        with pytest.raises(sync.SyncFailed, match=ep):
            run(sb, rec, client=client, configFullRefreshHours=0)
        assert client.failed
        table = CONFIG_TABLES[ep]
        assert not deletes(rec, n, table), "a failed pull deleted rows"
        gone = {(x["guid"], x["restaurant"]) for x in removed[ep]}
        assert gone <= {(r["id"], r["restaurant_id"]) for r in rows(rec, table)}     # still there, not marked deleted
        for g, c in rec.state["restaurants"].items():                                 # its cursor did not move
            assert c[f"config.{ep}"] == before[g][f"config.{ep}"]
        # the other endpoints' complete pulls lacked their removals once (kept until a second agrees); nothing live was
        # deleted anywhere
        live = config_truth(sb)
        for t, want in live.items():
            assert set(want) <= {(r["id"], r["restaurant_id"]) for r in rows(rec, t)}, t
        others = {CONFIG_TABLES[e] for e, xs in removed.items() if xs and e != ep}
        assert others and not others & {t for k, t, _ in rec.ops[n:] if k == "delete"}
        run(sb, rec, configFullRefreshHours=0)                      # the next: the others' second lack deletes them
        assert others <= {t for k, t, _ in rec.ops[n:] if k == "delete"} and not deletes(rec, n, table)
        run(sb, rec, configFullRefreshHours=0)                      # the failed endpoint's complete pulls agree in this one
        check_config(sb, rec)
        assert {(d["id"], d["restaurant_id"]) for d in deletes(rec, n, table)} >= gone


def test_crash_during_full_refresh_deletes_nothing_live():
    """The process dies half-way through the full pull that confirms removals, after it has committed checkpoints: what it
    committed deletes nothing live, and the next syncs converge. (helper-56: the crash came before any checkpoint, on a
    first pull that deletes nothing anyway, so a connector deleting every live row passed.)"""
    cfg = dict(configFullRefreshHours=0, checkpointRows=100)
    with small(orders_per_day=2) as sb:
        rec = recorder()
        run(sb, rec, **cfg)
        sb.world.rates = {k: 0 for k in sb.world.rates} | {"config_remove": 60}
        sb.advance(4)
        before = len(rec.ops)
        run(sb, rec, **cfg)                                            # removals seen once: they wait for a second pull
        assert any(isinstance(c, dict) and c.get("missing") for r in rec.state["restaurants"].values() for c in r.values())
        committed, states = len(rec.ops), len(rec.states)
        rec.fail_after, rec.n = committed + (committed - before) // 2, committed    # the confirming pull dies half-way
        with pytest.raises(RuntimeError, match="crash"):
            run(sb, rec, **cfg)
        assert len(rec.states) > states                                # after checkpoints of its own
        rec.pending = []                                               # what the dead process had not checkpointed is lost
        live = config_truth(sb)
        for t, want in live.items():
            assert set(want) <= {(r["id"], r["restaurant_id"]) for r in rows(rec, t)}, t
        rec.fail_after = None
        run(sb, rec, **cfg)                                            # resumes from the last checkpoint and converges
        run(sb, rec, **cfg)                                            # (removals are deleted once two full pulls agree)
        check_all(sb, rec)


def test_menus_404_before_first_publish_is_empty_then_the_publish_lands():
    with small(orders_per_day=1) as sb:
        sb.world.rates = {k: 0 for k in sb.world.rates}
        sb.world.connect_every_hours = 1.0                            # a restaurant joins; it publishes 6 h later
        rec = recorder()
        run(sb, rec)
        sb.advance(1.5)
        new = set(sb.world.restaurant_guids()) - {r["restaurant_id"] for r in rows(rec, "published_menu")}
        assert len(new) == 1
        (g,) = new
        assert sb.world.menus_metadata(g) is None                     # Toast answers 404: nothing published yet
        c = recording(sb)
        log = run(sb, rec, c)
        assert ("/menus/v2/metadata", g) in {(p, r) for p, r, _ in c.calls}
        assert not [r for r in rows(rec, "published_menu") if r["restaurant_id"] == g]
        assert not [m for lvl, m in log.lines if lvl == "warning" and "menus" in m]
        assert "menus.published" not in rec.state["restaurants"].get(g, {})
        check_menus(sb, rec)
        sb.world.connect_every_hours = 0
        sb.advance(6)
        run(sb, rec)
        assert [r for r in rows(rec, "published_menu") if r["restaurant_id"] == g]
        check_menus(sb, rec)


def test_deleted_shifts_and_time_entries_are_deleted():
    """Seed 0: a scheduled shift is cancelled and a clocked time entry is deleted a day later, after the first sync. Toast
    serves the cancelled shift neither in a range nor by id: an empty answer is no proof, so the shift is deleted by the
    second sync that finds it gone (helper-49), the time entry by the first (Toast serves it flagged)."""
    with small(seed=0, orders_per_day=1) as sb:
        sb.world.rates = {k: 0 for k in sb.world.rates}
        rec = recorder()
        run(sb, rec)
        check_labor(sb, rec)
        n = len(rec.ops)
        sb.advance(30)
        run(sb, rec)
        assert resynced_deletes(rec, n, "time_entry") and not resynced_deletes(rec, n, "shift")
        waiting = {g for c in rec.state["restaurants"].values() for g in c.get("labor.shifts", {}).get("gone", ())}
        assert waiting
        sb.advance(1)
        run(sb, rec)
        check_labor(sb, rec)
        assert {k[0][1] for k in resynced_deletes(rec, n, "shift")} == set(waiting)
        assert resynced_deletes(rec, n, "shift") and resynced_deletes(rec, n, "time_entry")
        gone = {k[0][1] for k in resynced_deletes(rec, n, "time_entry")}
        assert {d["time_entry_id"] for k, t, d in rec.ops[:n] if k == "upsert" and t == "break"} & gone   # it had breaks
        assert {b["time_entry_id"] for b in rows(rec, "break")}.isdisjoint(gone)   # its breaks went with it


def test_a_time_entry_deleted_without_a_new_modified_date_is_still_deleted():
    """labor-v1 does not say that deleting a time entry moves its `modifiedDate` (helper-48). Modelled the harsh way
    (the deletion keeps the entry's old modifiedDate), an entry deleted ten days after it was last modified is out of
    reach of the modified windows and of the eight-day late-arrival re-read; the re-read's sweep of the last 28 days by
    `inDate`, archived included, serves it flagged."""
    from toast_connector.sandbox.data import toast_ts
    with small(seed=0, orders_per_day=1, token_ttl=10**8) as sb:              # one token for the eleven days
        sb.world.rates = {k: 0 for k in sb.world.rates}
        rec = recorder()
        run(sb, rec)
        live = [r for r in rows(rec, "time_entry") if not r.get("deleted") and r.get("out_date") is not None]
        victim = max(live, key=lambda r: r["in_date"])["id"]               # the latest closed entry: days in the sweep
        real, killed = sb.world._labor_obj, {}
        def deleted_late(r, rec_, kind):
            o = real(r, rec_, kind)
            if kind == "entry" and o is not None and o["guid"] == victim and killed:
                o = {**o, "deleted": True, "deletedDate": killed["at"]}         # modifiedDate as it was
            return o
        sb.world._labor_obj = deleted_late
        for _ in range(10):                                                 # ten daily syncs: the entry ages past the re-read
            sb.advance(24); run(sb, rec)
        killed["at"] = toast_ts(int(sb.now.timestamp() * 1000))
        n = len(rec.ops)
        sb.advance(24); run(sb, rec)                                        # the next daily re-read (and its sweep)
        assert victim in {d["id"] for k, t, d in rec.ops[n:] if k == "delete" and t == "time_entry"}, "not deleted"
        row = [d for k, t, d in rec.ops[n:] if k == "upsert" and t == "time_entry" and d["id"] == victim][-1]
        assert row.get("deleted") and row.get("deleted_date") is not None, row      # with Toast's data, then soft-deleted
        assert victim not in {r["id"] for r in rows(rec, "time_entry")}


def test_a_clock_that_stepped_back_does_not_overwrite_the_last_sync_log_row():
    # the previous sync's id is ahead of this machine's clock (an NTP step, a VM restored from a snapshot): the next
    # sync's id comes after it, so both sync_log rows stay; started_at is still the clock's reading
    with small() as sb:
        rec = recorder()
        run(sb, rec)
        first = rows(rec, "sync_log")[0]
        ahead = "29991231T235959.999Z"
        rec.state["sync"]["last_id"] = ahead
        sb.advance(1)
        run(sb, rec)
        logs = {r["sync_id"]: r for r in rows(rec, "sync_log")}
        assert set(logs) == {first["sync_id"], "30000101T000000.000Z"}, sorted(logs)
        assert logs["30000101T000000.000Z"]["started_at"] < "2100", logs["30000101T000000.000Z"]["started_at"]
        assert rec.state["sync"]["last_id"] == "30000101T000000.000Z"


def test_a_shared_employee_and_job_are_a_row_per_restaurant_and_leave_one_location_alone():
    """Toast lets locations share employees and group-level jobs (one guid in every restaurant). Each restaurant's
    employee and job is its own row; the employee deleted at one location, and the job no longer listed at the other,
    delete only that location's rows: the other location's employee, job references and job stay live."""
    from toast_connector.sandbox.data import SHARED_EMPLOYEE, SHARED_JOB, toast_ts
    with small() as sb:
        rec, w = recorder(), sb.world
        a, b = (w._r(g) for g in sorted(w.restaurant_guids()))
        emp = w._cat(a).employees[SHARED_EMPLOYEE]["guid"]
        job = next(j["guid"] for j in w._cat(a).jobs if j["title"] == SHARED_JOB)
        assert emp == w._cat(b).employees[SHARED_EMPLOYEE]["guid"] and job in {j["guid"] for j in w._cat(b).jobs}
        run(sb, rec, **EVERY_SYNC)
        live = lambda t, g: sorted(r["restaurant_id"] for r in rows(rec, t) if r["id"] == g)
        assert live("employee", emp) == live("job", job) == sorted([a.guid, b.guid])
        refs = {(r["id"], r["restaurant_id"]) for r in rows(rec, "employee_job_reference") if r["employee_id"] == emp}
        assert {(job, a.guid), (job, b.guid)} <= refs                           # the same (job, employee) pair twice
        b_refs = {k for k in refs if k[1] == b.guid}

        at = toast_ts(int(sb.now.timestamp() * 1000))                           # a: the employee deleted (served flagged)
        people = w._people(a, "employees")
        people[emp] = {**people[emp], "deleted": True, "deletedDate": at, "modifiedDate": at}
        del w._people(b, "jobs")[job]                                           # b: the job no longer listed, nor by id
        for _ in range(2):                                                      # the second full pull confirms b's job
            sb.advance(0.1)
            run(sb, rec, **EVERY_SYNC)
        assert live("employee", emp) == [b.guid]
        assert [r["restaurant_id"] for r in rec.deleted("employee") if r["id"] == emp] == [a.guid]
        assert {(r["id"], r["restaurant_id"]) for r in rows(rec, "employee_job_reference") if r["employee_id"] == emp} == b_refs
        assert live("job", job) == [a.guid]
        assert [r["restaurant_id"] for r in rec.deleted("job") if r["id"] == job] == [b.guid]
