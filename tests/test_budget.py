"""The call budget and whole pages, counted by the sandbox (not by the connector): a day of hourly syncs of 2
restaurants at default settings stays within 25 calls per restaurant per sync on average, while configuration
additions, edits and removals, employee changes and late cash undos still reach the warehouse within their cadence
(the warehouse equals the sandbox's truth at each cadence boundary); `sync_log.calls_by_family` says the same as the
sandbox's own counts; a first sync reads ordersBulk within 1.3x the minimum of whole pages."""
import math
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_families import small, recorder, run, check_all, config_truth, check_config, check_labor, check_cash, rows, start  # noqa: E402
from test_orders import Warehouse, check  # noqa: E402

from toast_connector import sync, testing
from toast_connector.sandbox.server import Sandbox

UTC = timezone.utc
NOW = datetime(2026, 11, 20, 15, 0, 0, tzinfo=UTC)
BEFORE_OPENING = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)     # initialSyncStart precedes the first order (see test_orders)
CHANGES = {"config_edit": 16, "config_remove": 12, "config_add": 8, "employee_edit": 16, "employee_delete": 4,
           "employee_hire": 4, "job_edit": 4, "cash_undo": 24, "order_edit": 48}      # events per restaurant per day


def family(template: str) -> str:
    "The family of a sandbox request template, by its path (independent of the connector's declarations)."
    path = template.split(" ", 1)[1]
    for prefix, fam in (("/orders/", "orders"), ("/config/", "config"), ("/menus/", "menus"), ("/labor/v1/employees", "labor.employees"),
                        ("/labor/", "labor"), ("/cashmgmt/", "cash"), ("/partners/", "restaurants"), ("/restaurants/", "restaurants"),
                        ("/authentication/", "auth")):
        if path.startswith(prefix): return fam
    return path


def calls(sb) -> tuple[Counter, Counter]:
    "(calls per family, calls per endpoint template) since the last reset, from the sandbox's statistics."
    fam, tpl = Counter(), Counter()
    for t, per in sb.stats()["requests"].items():
        fam[family(t)] += sum(per.values()); tpl[t] += sum(per.values())
    sb.reset_stats()
    return fam, tpl


def test_a_day_of_hourly_syncs_within_the_budget_and_every_cadence():
    with small(days=7, orders_per_day=30) as sb:
        sb.world.rates = {k: 0.0 for k in sb.world.rates} | CHANGES
        rec = recorder()
        run(sb, rec, cashLookbackDays=7)                                     # first sync: everything, at default cadences
        check_all(sb, rec)
        calls(sb)
        per_sync, details = [], Counter()                                    # calls of each hourly sync; detail calls per hour
        for hour in range(1, 25):
            sb.advance(1)
            log = run(sb, rec, cashLookbackDays=7)
            fam, tpl = calls(sb)
            per_sync.append(sum(fam.values()))
            details[hour] = tpl["GET /restaurants/v1/restaurants/{guid}"]
            slog = max(rows(rec, "sync_log"), key=lambda r: r["sync_id"])
            assert slog["calls_by_family"] == dict(fam), (hour, slog["calls_by_family"], dict(fam))
            assert slog["api_calls"] == sum(fam.values())
            assert all(r.get("time_zone") for r in rows(rec, "restaurant")), "a cached restaurant lost its detail columns"
            if hour % 6:                                                        # between polls: configuration rests
                assert not fam["config"] and not fam["labor.employees"], (hour, dict(fam))
                assert fam["cash"] <= 2 * 2 * 3, (hour, dict(fam))              # today and one or two dates before it
            else:                                                               # every 6 h: additions and edits have landed
                assert fam["config"] >= 2 * 24 and fam["labor.employees"] == 2, (hour, dict(fam))
                check_config(sb, rec, allow_stale=set(check_config.__globals__["CONFIG_TABLES"].values()))
                check_labor(sb, rec)
        # at 24 h: the full configuration refresh (removals), the full cash lookback (late undos), the details; what the
        # full pull lacks is deleted one sync later, when the next full pull (made whatever the cadence) lacks it too
        removed = sb.world.truth("config")["removed"]
        assert removed and any(r.get("reason") == "Late correction" for r in rows(rec, "cash_entry"))
        lacked = {check_config.__globals__["CONFIG_TABLES"][ep] for ep, xs in removed.items() if xs}
        check_all(sb, rec, allow_stale=lacked)
        sb.world.rates = {k: 0.0 for k in sb.world.rates}                   # no new changes: only the confirmation
        sb.advance(1)
        run(sb, rec, cashLookbackDays=7)
        fam, _ = calls(sb)
        assert 0 < fam["config"] < 2 * 24, dict(fam)                       # the confirming full pulls: only the lists that lacked rows
        check_all(sb, rec)
        assert [h for h, n in details.items() if n] == [24] and details[24] == 2
        avg = sum(per_sync) / len(per_sync) / 2
        print(f"\n24 hourly syncs, 2 restaurants: {avg:.1f} calls per restaurant per sync (max sync {max(per_sync)})")
        assert avg <= 25, per_sync


def test_cash_undo_of_an_older_date_waits_for_the_full_lookback():
    """An undo filed under a date three days back is not re-read by the recent dates, so it lands at the full lookback,
    never later (and with cashFullLookbackHours=0 at once)."""
    with small(orders_per_day=2) as sb:
        rec = recorder()
        run(sb, rec)
        sb.world.rates = {k: 0.0 for k in sb.world.rates} | {"cash_undo": 60}
        sb.advance(2)
        run(sb, rec, cashRecentDays=0)                                      # today only
        late = {g for g, (r, bd, _) in check_cash.__globals__["cash_truth"](sb)["cash_entry"].items()} - {r["id"] for r in rows(rec, "cash_entry")}
        assert late, "no undo of an older date waited (the scenario did not happen)"
        sb.world.rates["cash_undo"] = 0.0
        sb.advance(22)                                                      # 24 h after the first sync's full lookback
        run(sb, rec, cashRecentDays=0)
        check_cash(sb, rec)


def test_first_sync_reads_whole_pages():
    """2 restaurants x 7 days x 200 orders a day: ordersBulk calls within 1.3x ceil(orders / 100) per restaurant,
    and every order read (the warehouse equals the truth)."""
    sb = Sandbox(seed=5, restaurants=2, days=7, orders_per_day=200, now=BEFORE_OPENING, rate_limits=0,
                 scopes=("orders:read", "restaurants:read"))
    sb.world.rates = {k: 0.0 for k in sb.world.rates}
    sb.world.connect_every_hours = 0
    with sb:
        wh = Warehouse()
        sync.update(sb.configuration(), {}, emit=wh, log=testing.ListLog())
        got = sb.stats()["requests"]["GET /orders/v2/ordersBulk"]
        check(sb, wh)
        cut = {g: c["orders"]["to"] for g, c in wh.state["restaurants"].items()}
        begin = sb.configuration()["initialSyncStart"]
        n = Counter()
        for e in sb.truth("orders")["entities"]["orders"]:
            o = e["object"]
            m = datetime.fromisoformat(o["modifiedDate"].replace("+0000", "+00:00"))
            if datetime.fromisoformat(begin.replace("Z", "+00:00")) <= m < datetime.fromisoformat(cut[e["restaurant"]].replace("+0000", "+00:00")):
                n[e["restaurant"]] += 1
        for r, k in n.items():
            least = math.ceil(k / 100)
            print(f"\nrestaurant {r[:8]}: {k} orders, {got[r]} ordersBulk calls, minimum {least} ({got[r] / least:.2f}x)")
            assert got[r] <= 1.3 * least, (k, got[r], least)
