"""Reconciliation against Toast's own totals (the analytics API). Late arrivals (order changes that reach ordersBulk
hours after their modifiedDate, past the lookback) and ordinary edits make the synced figures of a business date
differ from Toast's; the connector re-reads that date until they agree, and at the end every date of the span is
`matched` or `healed` and the warehouse equals the truth. Without analytics credentials, or without their scope,
the sync succeeds, says so once, and reconciles in the weaker form."""
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest

from toast_connector import analytics, sync, testing
from toast_connector.sandbox.server import Reply, Sandbox
from toast_connector.sandbox.data import bd_add
from test_orders import Warehouse, check, snake   # snake: README's column naming, the tests' own

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.utc)   # before the first business day opens: no order precedes initialSyncStart
SKIP = "reconciliation: Toast's totals skipped"


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch):
    monkeypatch.setattr(analytics, "POLLS", (0.01,))


def sandbox():
    sb = Sandbox(seed=14, restaurants=1, days=4, orders_per_day=30, now=NOW, rate_limits=0,
                 scopes=("orders:read", "restaurants:read"))
    sb.world.rates = {k: 0.0 for k in sb.world.rates}
    sb.world.rates["order_edit"] = 300.0          # ordinary edits, visible at once
    sb.world.late_rate, sb.world.connect_every_hours = 0.0, 0
    return sb


def quiet(restaurants=2, orders_per_day=30, **kw):
    "A sandbox of `restaurants` whose world changes nothing by itself (no edits, late changes or restaurants joining)."
    sb = Sandbox(seed=14, restaurants=restaurants, days=4, orders_per_day=orders_per_day, now=NOW, rate_limits=0,
                 scopes=("orders:read", "restaurants:read"), **kw)
    sb.world.rates = {k: 0.0 for k in sb.world.rates}
    sb.world.late_rate, sb.world.connect_every_hours = 0.0, 0
    return sb


def run(sb, wh, state, creds=True, **cfg):
    "One sync into `wh`; initialSyncStart stays the first sync's, as in a real connection (and `check` cuts the truth there)."
    log = testing.ListLog()
    wh.start = wh.start or cfg.get("initialSyncStart") or sb.configuration()["initialSyncStart"]
    cfg.setdefault("initialSyncStart", wh.start)
    if creds: cfg.update(analyticsClientId=sb.analytics_client_id, analyticsClientSecret=sb.analytics_client_secret)
    sync.update(sb.configuration(**cfg), state, emit=wh, log=log)
    return wh.state, log


def recon(wh):
    return {(r["restaurant_id"], r["business_date"]): r for r in wh.tables.get("reconciliation", {}).values()}


def last_log(wh):
    return max(wh.tables["sync_log"].values(), key=lambda r: r["sync_id"])


def test_late_arrivals_differ_then_heal_and_the_warehouse_equals_truth():
    sb, wh = sandbox(), Warehouse()
    cfg = dict(reconcileDays="3", reconcileHours="2", reconcileAttempts="5")
    with sb:
        g = sb.world.restaurant_guids()[0]
        state, log = run(sb, wh, {}, **cfg)
        rows = recon(wh)
        today = sb.world._rs[0].bd(sb.world._now)
        span = [bd_add(today, -k) for k in (3, 2, 1)]
        assert sorted(bd for _, bd in rows) == span and {r["status"] for r in rows.values()} == {"matched"}, rows
        assert all(r["form"] == "analytics" and r["toast_orders"] == r["synced_orders"] > 0 for r in rows.values())
        totals = wh.tables["toast_daily_totals"]
        assert len(totals) == 4 and all(t["net_sales_amount"] > 0 for t in totals.values())   # the first backfill: every date of the history
        for t in totals.values():                 # every figure as Toast's report has it (the sandbox's own row, named here)
            want = sb.world.analytics_row(t["restaurant_id"], t["business_date"])
            figures = {snake(k): v for k, v in want.items() if k not in ("restaurantGuid", "businessDate")}
            assert len(figures) >= 12 and {c: t.get(c) for c in figures} == figures, (t, want)
        # late arrivals: a void, a removed item and a refund on two dates of the span reach ordersBulk only 4 hours later
        late = {}
        for bd, kinds in ((span[2], ("order_void", "selection_remove")), (span[1], ("order_refund",))):
            cands = [o for o in sb.world.orders_by_business_date(g, bd) if not o["voided"] and not o["deleted"]
                     and len([s for c in o["checks"] for s in c["selections"] if not s["voided"]]) >= 2]
            for kind, o in zip(kinds, cands):
                assert sb.world.edit_order(g, o["guid"], kind, visible=NOW + timedelta(hours=4))
                late[o["guid"]] = bd
        seen = {}
        for hour in range(1, 7):
            sb.advance(1)
            state, log = run(sb, wh, state, **cfg)
            seen[hour] = {bd: r["status"] for (_, bd), r in recon(wh).items()}
            assert sum(SKIP in m for _, m in log.lines) == 0
        # found at the next full check (hour 2), pending while ordersBulk does not show them, healed once it does
        assert seen[2][span[2]] == seen[2][span[1]] == "pending", seen
        assert seen[3][span[2]] == "pending" and recon(wh)[(g, span[2])]["attempts"] >= 1
        assert seen[6][span[2]] == seen[6][span[1]] == "healed", seen
        final = recon(wh)
        assert {r["status"] for r in final.values()} <= {"matched", "healed"}, final
        assert all(not r["difference"] for r in final.values())
        # the incremental reads could not have read them (their modifiedDate is hours behind the cursor when they arrived) ...
        mods = {o["guid"]: o["modifiedDate"] for bd in set(late.values()) for o in sb.world.orders_by_business_date(g, bd)}
        assert all(mods[x] < "2026-03-10T11" for x in late), mods
        # ... yet the warehouse equals the truth, row by row, for every orders table
        counts = check(sb, wh)
        assert counts["live"] > 50, counts
        assert last_log(wh)["reconciliation"]["form"] == "analytics"


def test_without_credentials_by_default_one_line_and_no_extra_call():
    sb, wh = sandbox(), Warehouse()
    with sb:
        state, log = run(sb, wh, {}, creds=False)
        assert sum(SKIP in m for _, m in log.lines) == 1
        row = last_log(wh)
        assert row["status"] == "succeeded" and row["reconciliation"]["form"] is None and "analyticsClientId" in row["reconciliation"]["skipped"]
        assert "reconciliation" not in wh.tables and set(state.get("reconciliation", {})) == {"unwatched"}   # when from
        assert not any("businessDate" in k for k in sb.stats()["requests"])


@pytest.mark.parametrize("how", ["missing", "no_scope"])
def test_without_analytics_access_the_sync_succeeds_and_says_so_once(how):
    sb, wh = sandbox(), Warehouse()
    with sb:
        if how == "no_scope": sb.analytics_scopes = ()
        g = sb.world.restaurant_guids()[0]
        state, log = run(sb, wh, {}, creds=how != "missing", reconcileHours="0", reconcile="true")
        lines = [m for _, m in log.lines if SKIP in m]
        assert len(lines) == 1, log.lines
        assert ("analyticsClientId" in lines[0]) if how == "missing" else ("enterprise-metrics:read" in lines[0])
        assert sb.analytics_client_secret not in " ".join(m for _, m in log.lines)
        row = last_log(wh)
        assert row["status"] == "succeeded" and row["reconciliation"]["form"] == "orders re-read", row
        assert row["reconciliation"]["skipped"] and "toast_daily_totals" not in wh.tables
        rows = recon(wh)
        assert len(rows) == 3 and {r["status"] for r in rows.values()} == {"matched"} and all(r["form"] == "orders re-read" for r in rows.values())
        # the weaker form still catches a late arrival: the re-read finds a version no incremental read wrote, then heals
        bd = bd_add(sb.world._rs[0].bd(sb.world._now), -1)
        o = next(o for o in sb.world.orders_by_business_date(g, bd) if not o["voided"] and not o["deleted"])
        sb.world.edit_order(g, o["guid"], "order_refund", visible=NOW + timedelta(hours=4))
        for hours in (2, 3):          # syncs whose incremental windows pass the change before it reaches ordersBulk
            sb.advance(hours)
            state, log = run(sb, wh, state, creds=how != "missing", reconcileHours="0", reconcile="true")
            assert sum(SKIP in m for _, m in log.lines) == 1
        r = recon(wh)[(g, bd)]
        assert r["status"] == "pending" and r["late_versions"] == 1, r
        sb.advance(1)
        state, log = run(sb, wh, state, creds=how != "missing", reconcileHours="0", reconcile="true")
        assert recon(wh)[(g, bd)]["status"] == "healed"
        check(sb, wh)


def test_a_report_still_in_progress_is_asked_for_again_by_the_next_sync(monkeypatch):
    # Toast is still gathering the report when the poll budget runs out: the sync succeeds in the weaker form and keeps
    # the report's guid; the next sync GETs that report instead of POSTing a new one (ten an hour), and lands its rows.
    # A kept report Toast no longer serves (the sandbox answers 409 once its data moved on) gets one new POST.
    monkeypatch.setattr(analytics, "POLL_BUDGET", 0.05)
    sb, wh = sandbox(), Warehouse()
    with sb:
        posts = lambda: sum(sum(per.values()) for t, per in sb.stats()["requests"].items() if t == "POST /era/v1/metrics")
        def pending_sync(state):
            sb.analytics_ready_polls = 10 ** 6                                    # every GET answers 202
            state, log = run(sb, wh, state)
            skipped = [m for _, m in log.lines if SKIP in m]
            assert len(skipped) == 1 and "still in progress" in skipped[0], log.lines
            assert state["reconciliation"]["report"]["guid"] in skipped[0]
            assert last_log(wh)["reconciliation"]["form"] == "orders re-read"
            return state
        state = pending_sync({})
        kept = state["reconciliation"]["report"]
        assert posts() == 1 and kept["restaurants"] == sb.world.restaurant_guids() and "toast_daily_totals" not in wh.tables
        sb.faults.set("503@/era/v1/metrics/{reportRequestGuid}:1")                   # Toast fails the next sync's GETs of it
        state, log = run(sb, wh, state, maxAttempts="2")
        assert any("503" in m for _, m in log.lines if SKIP in m), log.lines
        assert state["reconciliation"]["report"] == kept and posts() == 1         # a failure of Toast's keeps the report
        sb.faults.set({})
        sb.analytics_ready_polls = 1                                              # Toast has finished it; the next sync starts
        state, log = run(sb, wh, state)                                           # before the sandbox's clock moves
        assert not [m for _, m in log.lines if SKIP in m], log.lines
        assert posts() == 1, "the next sync asked for a new report instead of the one in progress"
        totals = wh.tables["toast_daily_totals"]
        assert len(totals) == 4 and {t["report_request_guid"] for t in totals.values()} == {kept["guid"]}
        assert "report" not in state["reconciliation"] and last_log(wh)["reconciliation"]["form"] == "analytics"
        # again in progress, but by the next sync the world has moved on: the kept guid is refused (409), a new one asked for
        state = pending_sync(dict(state, reconciliation={k: v for k, v in state["reconciliation"].items() if k != "through"}))
        kept2 = state["reconciliation"]["report"]
        assert posts() == 2 and kept2["guid"] != kept["guid"]
        sb.analytics_ready_polls = 1
        sb.advance(1)
        state, log = run(sb, wh, state)
        assert not [m for _, m in log.lines if SKIP in m], log.lines
        assert posts() == 3 and sb.stats()["status"].get("409", 0) == 1
        assert "report" not in state["reconciliation"] and last_log(wh)["reconciliation"]["form"] == "analytics"
        # a new report whose GETs Toast fails is kept too, with what it covers: the next sync GETs it, no new POST
        sb.faults.set("503@/era/v1/metrics/{reportRequestGuid}:1")
        state = dict(state, reconciliation={k: v for k, v in state["reconciliation"].items() if k != "through"})
        state, log = run(sb, wh, state, maxAttempts="2")
        kept3 = state["reconciliation"].get("report")
        assert posts() == 4 and kept3 and kept3["guid"] not in (kept["guid"], kept2["guid"]), (posts(), kept3)
        assert kept3["restaurants"] == sb.world.restaurant_guids()
        sb.faults.set({})
        state, log = run(sb, wh, state)
        assert not [m for _, m in log.lines if SKIP in m], log.lines
        assert posts() == 4 and "report" not in state["reconciliation"]
        assert {t["report_request_guid"] for t in wh.tables["toast_daily_totals"].values()} >= {kept3["guid"]}


def test_a_date_toasts_figures_left_pending_is_not_healed_by_the_weaker_form(monkeypatch):
    # helper-38: a sync whose analytics report stayed in progress fell back to the weaker form, which saw no late
    # version of the date and wrote it `healed`, though the void Toast counted was still not in the warehouse
    monkeypatch.setattr(analytics, "POLL_BUDGET", 0.05)
    sb, wh, cfg = sandbox(), Warehouse(), dict(reconcileDays="3", reconcileAttempts="5")
    with sb:
        g = sb.world.restaurant_guids()[0]
        d = bd_add(sb.world._rs[0].bd(sb.world._now), -2)
        o = next(o for o in sb.world.orders_by_business_date(g, d) if not o["voided"] and not o["deleted"])
        assert sb.world.edit_order(g, o["guid"], "order_void", visible=NOW + timedelta(hours=4))   # Toast counts it at once
        state, _ = run(sb, wh, {}, **cfg)
        assert (recon(wh)[(g, d)]["status"], recon(wh)[(g, d)]["form"]) == ("pending", "analytics")
        sb.advance(1); sb.analytics_ready_polls = 10 ** 6                          # the report stays in progress
        state, _ = run(sb, wh, state, **cfg)
        r = recon(wh)[(g, d)]
        assert (r["form"], r["status"], r["attempts"]) == ("orders re-read", "pending", 0), r        # kept, not counted
        assert state["reconciliation"]["dates"][g][str(d)]["s"] == "pending"
        sb.advance(4); sb.analytics_ready_polls = 1                                # the void reaches ordersBulk; Toast answers
        state, _ = run(sb, wh, state, **cfg)
        assert (recon(wh)[(g, d)]["form"], recon(wh)[(g, d)]["status"]) == ("analytics", "healed")
        check(sb, wh)


def test_an_empty_report_is_no_backfill_and_an_empty_reread_heals_nothing():
    # helper-38: one `[]` from the report on the first sync marked the backfill done for good; a `[]` from the report
    # with a re-read of no order at all turned a pending date `healed`
    sb, wh, cfg = sandbox(), Warehouse(), dict(reconcileDays="3", reconcileAttempts="5", reconcileHours="2")
    with sb:
        g = sb.world.restaurant_guids()[0]
        sb.faults.set("empty_list@/era/v1/metrics/{reportRequestGuid}:1")
        state, _ = run(sb, wh, {}, **cfg)
        sb.faults.set("")
        assert not wh.tables.get("toast_daily_totals")
        assert state["reconciliation"]["through"][g] < min(bd for _, bd in recon(wh))   # owed from before the span: nothing landed
        # no figure of Toast's is no zero (helper-67: every date went `pending`, then `unresolved`, against zeros): each date
        # is checked in the weaker form, and says so
        assert {(r["status"], r["form"], r["toast"]) for r in recon(wh).values()} == {("matched", "orders re-read", None)}, recon(wh)
        sb.advance(1); state, _ = run(sb, wh, state, **cfg)
        assert state["reconciliation"]["through"] == {g: bd_add(sb.world._rs[0].bd(sb.world._now), -1)} and len(wh.tables["toast_daily_totals"]) >= 3
        d = min(bd for (_, bd), r in recon(wh).items())
        sb.advance(1)
        o = next(o for o in sb.world.orders_by_business_date(g, d) if not o["voided"] and not o["deleted"])
        assert sb.world.edit_order(g, o["guid"], "order_refund", visible=sb.now + timedelta(hours=30))
        state, _ = run(sb, wh, state, **cfg)                                       # Toast counts the refund: pending
        assert recon(wh)[(g, d)]["status"] == "pending"
        sb.advance(1); sb.faults.set("empty_list@/era/v1/metrics/{reportRequestGuid}:1")
        orig, sb.world.orders_by_business_date = sb.world.orders_by_business_date, lambda *a, **k: []
        try: state, _ = run(sb, wh, state, **cfg)                                 # no row from Toast, no order re-read
        finally: sb.world.orders_by_business_date = orig; sb.faults.set("")
        assert (recon(wh)[(g, d)]["status"], recon(wh)[(g, d)]["synced_orders"]) == ("pending", 0)


def test_a_date_still_pending_when_it_leaves_the_span_ends_unresolved():
    # helper-38: the date was dropped from the state as it aged out, and its row said `pending` forever
    sb, wh, cfg = sandbox(), Warehouse(), dict(reconcileDays="3", reconcileAttempts="5", reconcileHours="20")
    with sb:
        g = sb.world.restaurant_guids()[0]
        state, _ = run(sb, wh, {}, **cfg)
        sb.advance(20)
        oldest = bd_add(sb.world._rs[0].bd(sb.world._now), -3)
        o = next(o for o in sb.world.orders_by_business_date(g, oldest) if not o["voided"] and not o["deleted"])
        assert sb.world.edit_order(g, o["guid"], "order_refund", visible=sb.now + timedelta(hours=40))
        statuses = []
        for _ in range(8):
            state, _ = run(sb, wh, state, **cfg)
            statuses.append(recon(wh)[(g, oldest)]["status"])
            sb.advance(1)
        assert "pending" in statuses and str(oldest) not in state["reconciliation"]["dates"][g], statuses   # it aged out
        row = recon(wh)[(g, oldest)]
        assert row["status"] == "unresolved" and row["toast"] is not None and row["attempts"] >= 1, row   # the rest of the row kept


def test_the_hourly_limit_of_report_requests_holds_the_posts_only_and_later_syncs_remember_it():
    # helper-38: Toast's answer to the tenth report request of an hour (X-Toast-RateLimit-By ENDPOINT, none left until
    # the hour's end) held every analytics request, the GETs of the report just asked for included, for 900 s; and every
    # later sync POSTed again into the spent hour. Now the GETs go on, and later syncs make no POST before the hour ends.
    import time
    from toast_connector.config import validate_configuration
    from toast_connector.sandbox.server import RateLimiter as SandboxLimiter
    sb, wh = sandbox(), Warehouse()
    base, t0, shift = 3600.0 * 490_000, time.monotonic(), [0.0]   # the limiter's hour starts with the test, whatever the hour
    sb.limiter = SandboxLimiter(1.0, clock=lambda: base + shift[0] + time.monotonic() - t0)
    cfg = dict(reconcileHours="0")                                 # every sync checks the span: one report request each
    with sb:
        posts = lambda: sum(sum(per.values()) for t, per in sb.stats()["requests"].items() if t == "POST /era/v1/metrics")
        form = lambda: last_log(wh)["reconciliation"]["form"]
        state, log = run(sb, wh, {}, **cfg)
        assert posts() == 1 and form() == "analytics"
        settings = validate_configuration(sb.configuration(analyticsClientId=sb.analytics_client_id,
                                                           analyticsClientSecret=sb.analytics_client_secret))
        cl = analytics.analytics_client(settings, state, testing.ListLog())    # the sync's token: no third login this hour
        today = sb.world._rs[0].bd(sb.world._now)
        for _ in range(8):
            cl.post("/era/v1/metrics", {"startBusinessDate": str(bd_add(today, -1)), "endBusinessDate": str(bd_add(today, -1)),
                                        "restaurantIds": sb.world.restaurant_guids(), "excludedRestaurantIds": [], "groupBy": []}, expect=str)
        cl.close()
        assert posts() == 9
        sb.advance(0.1)
        began = time.monotonic()
        state, log = run(sb, wh, state, **cfg)                     # the tenth: Toast says none is left until the hour's end
        assert time.monotonic() - began < 60, "the report's GETs waited on the POSTs' limit"
        assert posts() == 10 and form() == "analytics" and not [m for _, m in log.lines if SKIP in m], log.lines
        held = datetime.fromisoformat(state["reconciliation"]["posts_held"].replace("+0000", "+00:00"))
        assert timedelta(minutes=50) < held - sb.now <= timedelta(hours=1, seconds=1), (held, sb.now)
        for _ in range(2):                                         # later syncs of that hour: no request, no 429, the weaker form
            sb.advance(0.1)
            state, log = run(sb, wh, state, **cfg)
            skipped = [m for _, m in log.lines if SKIP in m]
            assert posts() == 10, posts()                      # counted whatever the answer: no POST at all, not even a 429
            assert len(skipped) == 1 and "is spent until" in skipped[0] and form() == "orders re-read", log.lines
        shift[0] += 3600.0                                         # the hour is over, for Toast's limiter and its clock
        sb.advance(1)
        state, log = run(sb, wh, state, **cfg)
        assert posts() == 11 and form() == "analytics" and "posts_held" not in state["reconciliation"], log.lines


def test_the_weaker_form_switched_on_later_counts_no_version_it_never_watched_as_late():
    """The phase skipped (no analytics credentials, reconcile auto) watches nothing; switched on later, the dates read
    meanwhile have no baseline: their first check makes one, and no order counts as a late arrival (helper-58: every
    order of the span did, and every date went pending, then healed)."""
    sb, wh = sandbox(), Warehouse()
    sb.world.rates["order_edit"] = 0.0                 # no change at all: nothing can be late
    with sb:
        state, _ = run(sb, wh, {}, creds=False)
        for _ in range(2):
            sb.advance(1)
            state, _ = run(sb, wh, state, creds=False, reconcile="true", reconcileHours="0")
            rows = recon(wh)
            assert len(rows) == 3 and {(r["status"], r["late_versions"]) for r in rows.values()} == {("matched", 0)}, rows
            assert all(r["synced_orders"] > 0 for r in rows.values())
        # once a date's first check made its baseline, a version the incremental reads miss is late again (helper-60)
        g = sb.world.restaurant_guids()[0]
        bd = bd_add(sb.world._rs[0].bd(sb.world._now), -1)
        o = next(o for o in sb.world.orders_by_business_date(g, bd) if not o["voided"] and not o["deleted"])
        sb.world.edit_order(g, o["guid"], "order_refund", visible=sb.now + timedelta(hours=4))
        for hours in (2, 3):          # syncs whose incremental windows pass the change before it reaches ordersBulk
            sb.advance(hours)
            state, _ = run(sb, wh, state, creds=False, reconcile="true", reconcileHours="0")
        r = recon(wh)[(g, bd)]
        assert (r["status"], r["late_versions"]) == ("pending", 1), r


def test_a_reread_toast_fails_leaves_that_date_and_checks_the_others():
    """One restaurant's re-read answered 503 past the retries: its dates stay as they were (checked again next sync), the
    other restaurant's are checked (helper-58: no date was), and the sync ends failed, naming the restaurant (helper-60:
    a first fix said nothing but a warning, and a 422 or a malformed answer passed as a success)."""
    sb = quiet(restaurants=2, orders_per_day=10)
    wh, orig = Warehouse(), analytics._reread
    g1, g2 = sb.world.restaurant_guids()
    def reread(engine, r, bd):
        sb.faults.set("503@/orders/v2/ordersBulk:1" if r.guid == g1 else "")
        try: return orig(engine, r, bd)
        finally: sb.faults.set("")
    with sb:
        try:
            analytics._reread = reread
            with pytest.raises(sync.SyncFailed, match=f"reconcile for restaurant {g1}: Toast answered 503"): run(sb, wh, {}, maxAttempts="2")
        finally: analytics._reread = orig
        row = last_log(wh)
        assert row["status"] == "failed" and row["reconciliation"]["failed"] == 3 and row["reconciliation"]["checked"] == 3, row
        assert {g for g, _ in recon(wh)} == {g2} and {e["restaurant"] for e in row["errors"]} == {g1}
        state = wh.state
        assert state["reconciliation"]["at"]           # the full check was made: only the dates Toast failed wait (helper-90)
        state, _ = run(sb, wh, state)                  # Toast answers again: those dates are checked, alone
        assert {g for g, _ in recon(wh)} == {g1, g2} and "failed" not in last_log(wh)["reconciliation"]


def test_a_sync_that_dies_writing_toasts_totals_gets_the_same_report_again():
    """The report's rows may be checkpointed part-way: a sync that dies while writing them keeps the report's guid, and
    the next sync GETs it again instead of spending one of Toast's ten report requests an hour (helper-57)."""
    sb, wh = sandbox(), Warehouse()
    with sb:
        state, calls = {}, []
        orig = analytics.totals_row
        def dying(*a, **kw):
            calls.append(1)
            if len(calls) == 2: raise RuntimeError("the process dies")
            return orig(*a, **kw)
        analytics.totals_row = dying
        try:
            with pytest.raises(RuntimeError, match="dies"): run(sb, wh, state)
        finally: analytics.totals_row = orig
        state = wh.state                               # what the dead sync committed (its logins' checkpoint)
        kept = state["reconciliation"]["report"]["guid"]
        posts = lambda: sum(n for k, v in sb.stats()["requests"].items() if k == "POST /era/v1/metrics" for n in v.values())
        before = posts()
        state, _ = run(sb, wh, state)
        assert posts() == before and "report" not in state["reconciliation"] and len(wh.tables["toast_daily_totals"]) == 4
        assert {r["report_request_guid"] for r in wh.tables["toast_daily_totals"].values()} == {kept}


def test_a_restaurant_outside_the_analytics_group_is_reconciled_in_the_weaker_form_alone():
    """A partner's access can span management groups; analytics credentials cover one. A report asked for a restaurant
    outside it fails whole (Toast's 400), so every restaurant fell back to the weaker form, every sync, and no totals
    landed (helper-67). Now the group's restaurants (`GET /era/v1/restaurants-information`) are asked for, the others'
    dates are reconciled in the weaker form, with a warning."""
    sb = quiet(restaurants=2, orders_per_day=30)
    wh = Warehouse()
    with sb:
        g1, g2 = sb.world.restaurant_guids()
        sb.analytics_outside = frozenset({g2})
        state, log = run(sb, wh, {}, reconcileDays="3")
        forms = {(g, r["form"]) for (g, _), r in recon(wh).items()}
        assert forms == {(g1, "analytics"), (g2, "orders re-read")}, forms
        assert {t["restaurant_id"] for t in wh.tables["toast_daily_totals"].values()} == {g1}
        assert any("1 restaurant(s) are not in the analytics credentials' management group" in m for k, m in log.lines if k == "warning")


def test_a_restaurant_that_leaves_settles_its_pending_dates():
    "helper-67: a restaurant that left kept its pending dates `pending` for good (no later check could reach them)."
    sb = quiet(restaurants=2, orders_per_day=30)
    wh, cfg = Warehouse(), dict(reconcileDays="3", reconcileAttempts="5", reconcileHours="1")
    with sb:
        g1, g2 = sb.world.restaurant_guids()
        state, _ = run(sb, wh, {}, **cfg)
        d = min(bd for (g, bd) in recon(wh) if g == g2)
        o = next(o for o in sb.world.orders_by_business_date(g2, d) if not o["voided"] and not o["deleted"])
        assert sb.world.edit_order(g2, o["guid"], "order_refund", visible=sb.now + timedelta(hours=30))
        sb.advance(1); state, _ = run(sb, wh, state, **cfg)
        assert recon(wh)[(g2, d)]["status"] == "pending"
        sb.world.leave(g2)
        sb.advance(1); state, _ = run(sb, wh, state, **cfg)
        assert recon(wh)[(g2, d)]["status"] == "unresolved" and g2 not in state["reconciliation"]["dates"], recon(wh)[(g2, d)]
        assert recon(wh)[(g1, d)]["status"] == "matched"


def test_a_report_in_progress_outlives_a_failed_group_look_up(monkeypatch):
    """helper-69: the report a sync left in progress was dropped from the state when anything before its GET failed
    (here Toast's `restaurants-information`): the next sync POSTed a new one, one of the ten Toast allows an hour."""
    monkeypatch.setattr(analytics, "POLL_BUDGET", 0.05)
    sb, wh = sandbox(), Warehouse()
    with sb:
        posts = lambda: sum(sum(per.values()) for t, per in sb.stats()["requests"].items() if t == "POST /era/v1/metrics")
        sb.analytics_ready_polls = 10 ** 6
        state, _ = run(sb, wh, {})
        kept = state["reconciliation"]["report"]["guid"]
        sb.faults.set("503@/era/v1/restaurants-information:1")
        state, log = run(sb, wh, state, maxAttempts="2")
        assert state["reconciliation"]["report"]["guid"] == kept
        assert any("Toast's analytics API failed: gave up on GET /era/v1/restaurants-information" in m for _, m in log.lines), log.lines
        sb.faults.set(""); sb.analytics_ready_polls = 1
        state, _ = run(sb, wh, state)
        assert posts() == 1 and "report" not in state["reconciliation"]


def test_an_empty_report_is_no_answer():
    """helper-75: a report that answered `[]` was believed: every date was checked in the weaker form while `sync_log`
    said analytics, Toast's stored figures were overwritten with none, and nothing was said. An empty report of the
    restaurants and dates asked for is no answer: Toast's totals are skipped with a warning, and asked for again."""
    sb, wh = sandbox(), Warehouse()
    cfg = dict(reconcileDays="3", reconcileHours="0")
    with sb:
        state, log = run(sb, wh, {}, **cfg)
        before = {k: r["toast_orders"] for k, r in recon(wh).items()}
        assert before and all(v is not None for v in before.values()) and last_log(wh)["reconciliation"]["form"] == "analytics"
        sb.advance(1)
        sb.faults.set("empty_list@/era/v1/metrics/{reportRequestGuid}:1")
        state, log = run(sb, wh, state, **cfg)
        sb.faults.set({})
        skipped = [m for k, m in log.lines if k == "warning" and SKIP in m]
        assert len(skipped) == 1 and "empty report for 1 restaurant(s)" in skipped[0], log.lines
        assert last_log(wh)["reconciliation"]["form"] == "orders re-read"
        state, log = run(sb, wh, state, **cfg)                      # Toast answers again: the analytics form is back
        assert not [m for _, m in log.lines if SKIP in m] and last_log(wh)["reconciliation"]["form"] == "analytics"


def synced_with_a_pending_date(sb, wh, cfg):
    "A first sync of `sb` whose first restaurant has a date two days back `pending` (an order voided that Toast counts at once): (guid, date, state)."
    g = sb.world.restaurant_guids()[0]
    d = bd_add(sb.world._rs[0].bd(sb.world._now), -2)
    o = next(o for o in sb.world.orders_by_business_date(g, d) if not o["voided"] and not o["deleted"])
    assert sb.world.edit_order(g, o["guid"], "order_void", visible=NOW + timedelta(hours=4))
    state, _ = run(sb, wh, {}, **cfg)
    return g, d, state


@pytest.mark.parametrize("then", [dict(creds=False), dict(creds=True, reconcile="false")], ids=["credentials_removed", "reconcile_false"])
def test_a_pending_date_is_settled_when_the_reconciliation_stops(then):
    """helper-81: with the analytics credentials removed (or `reconcile` false) the phase stopped watching and dropped
    its dates, a `pending` one with them: it stayed `pending` for good, also after the credentials came back (the date
    had left the span). Now it is written `unresolved` when the watch stops."""
    sb, wh, cfg = sandbox(), Warehouse(), dict(reconcileDays="3", reconcileAttempts="5")
    sb.token_ttl = 10**8
    with sb:
        g, d, state = synced_with_a_pending_date(sb, wh, cfg)
        assert recon(wh)[(g, d)]["status"] == "pending"
        sb.advance(24); state, log = run(sb, wh, state, **{**cfg, **then})
        assert recon(wh)[(g, d)]["status"] == "unresolved", recon(wh)[(g, d)]
        for _ in range(5): sb.advance(24); state, log = run(sb, wh, state, **{**cfg, **then})
        sb.advance(1); state, log = run(sb, wh, state, **cfg)                   # the credentials back: still settled
        assert recon(wh)[(g, d)]["status"] == "unresolved", recon(wh)[(g, d)]


def test_a_pending_date_settles_when_its_restaurant_is_the_only_one_and_is_left_out():
    """helper-83: `settle_left` ran only when some restaurant was left to reconcile: a connection whose only restaurant
    was deselected (excludeRestaurantIds, a shard change) kept its pending date `pending` for good."""
    sb, wh, cfg = sandbox(), Warehouse(), dict(reconcileDays="3", reconcileAttempts="5")
    sb.token_ttl = 10**8
    with sb:
        g, d, state = synced_with_a_pending_date(sb, wh, cfg)
        assert recon(wh)[(g, d)]["status"] == "pending" and len(sb.world.restaurant_guids()) == 1
        sb.advance(1); state, _ = run(sb, wh, state, excludeRestaurantIds=g, **cfg)
        assert recon(wh)[(g, d)]["status"] == "unresolved", recon(wh)[(g, d)]
        assert g not in (state.get("reconciliation") or {}).get("dates", {})


def test_a_pending_date_settles_when_its_restaurant_is_no_longer_listed():
    """helper-84: a restaurant that dropped out of Toast's list (`disconnected`) counted as still here, so its pending
    dates stayed `pending` for good; README says a date is settled when its restaurant is no longer listed."""
    sb = quiet(restaurants=2, orders_per_day=30)
    sb.token_ttl = 10**8
    wh, cfg = Warehouse(), dict(reconcileDays="3", reconcileAttempts="5")
    with sb:
        g, d, state = synced_with_a_pending_date(sb, wh, cfg)
        assert recon(wh)[(g, d)]["status"] == "pending"
        sb.advance(1); sb.world.leave(g, archived=True)                  # no longer listed
        sb.advance(1); state, _ = run(sb, wh, state, **cfg)
        assert {r["id"]: r for r in wh.tables["restaurant"].values()}[g]["sync_status"] == "disconnected"
        assert recon(wh)[(g, d)]["status"] == "unresolved", recon(wh)[(g, d)]


def totals_dates(wh, g):
    return sorted(t["business_date"] for t in wh.tables.get("toast_daily_totals", {}).values() if t["restaurant_id"] == g)


def test_a_paused_connection_gets_the_totals_of_the_paused_dates():
    """helper-88: one flag marked Toast's totals backfilled for the whole connection; after that only the last
    `reconcileDays` dates were asked for. A connection paused longer than that never got the paused dates'
    totals, which a fresh sync at the same clock has. Now the state keeps, per restaurant, the last date whose totals
    landed (`reconciliation.through`), and the first report after the pause asks from the day after it."""
    sb, wh = sandbox(), Warehouse()
    with sb:
        g, cfg = sb.world.restaurant_guids()[0], dict(reconcileDays="3", initialSyncStart=sb.configuration()["initialSyncStart"])
        state, _ = run(sb, wh, {}, **cfg)
        first = totals_dates(wh, g)
        today = sb.world._rs[0].bd(sb.world._now)
        assert first and first[-1] == bd_add(today, -1) and state["reconciliation"]["through"] == {g: first[-1]}
        sb.advance(24 * 10)                                   # paused ten days, more than reconcileDays
        state, _ = run(sb, wh, state, **cfg)
        today = sb.world._rs[0].bd(sb.world._now)
        got, want = totals_dates(wh, g), [first[0]]
        while want[-1] < bd_add(today, -1): want.append(bd_add(want[-1], 1))
        assert got == want, sorted(set(want) - set(got))       # every date from the history's first to yesterday
        assert state["reconciliation"]["through"] == {g: want[-1]}
        for t in wh.tables["toast_daily_totals"].values():     # each as Toast's report has it (the sandbox's own row)
            assert t["net_sales_amount"] == sb.world.analytics_row(g, t["business_date"])["netSalesAmount"], t


def test_a_restaurant_added_later_gets_its_own_backfill():
    """A restaurant that joins the connection after its first sync (here: added to `restaurantIds`) had Toast's totals
    only for the reconciled span, its earlier dates never (helper-88): it now gets `analyticsBackfillDays` of its own."""
    sb = quiet(restaurants=2, orders_per_day=30)
    wh = Warehouse()
    with sb:
        g1, g2 = sb.world.restaurant_guids()
        cfg = dict(reconcileDays="3", initialSyncStart=sb.configuration()["initialSyncStart"])
        state, _ = run(sb, wh, {}, restaurantIds=g1, **cfg)
        sb.advance(24 * 3)
        state, _ = run(sb, wh, state, restaurantIds=f"{g1},{g2}", **cfg)
        assert totals_dates(wh, g2) == totals_dates(wh, g1) and len(totals_dates(wh, g2)) == 7, (totals_dates(wh, g1), totals_dates(wh, g2))
        assert set(state["reconciliation"]["through"]) == {g1, g2}


def test_a_one_day_span_checks_the_date_before_a_23_hour_business_day():
    """helper-86: with `reconcileDays` 1 a date is "yesterday" for one business day, 23 hours long before the
    spring-forward one. Syncs every 2 hours put the full checks 24 hours apart, and 2026-03-06 fell between two: it was
    never reconciled, nor read into `toast_daily_totals`. A date of the span never checked is now checked at once."""
    t0 = datetime(2026, 3, 6, 8, 30, tzinfo=timezone.utc)
    with Sandbox(seed=14, restaurants=1, days=2, orders_per_day=10, now=t0, rate_limits=0, token_ttl=10 ** 8,
                 scopes=("orders:read", "restaurants:read")) as sb:
        sb.world.connect_every_hours = 0
        r, wh, state = sb.world._rs[0], Warehouse(), {}
        cfg = dict(initialSyncStart="2026-03-04T08:30:00.000Z", reconcileDays="1", analyticsBackfillDays="0")
        while sb.now <= t0 + timedelta(days=4):
            state, _ = run(sb, wh, state, **cfg)
            sb.advance(2)
        assert r.closeout == 4 and r.tz == "America/New_York"
        want, today = [20260304], r.bd(sb.world._now)          # the first whole business date (03:30 local is 03-03's), up to yesterday
        while want[-1] < bd_add(today, -1): want.append(bd_add(want[-1], 1))
        assert 20260306 in want and sorted(bd for _, bd in recon(wh)) == want, sorted(recon(wh))
        assert set(totals_dates(wh, r.guid)) >= set(want), totals_dates(wh, r.guid)


def test_no_totals_of_a_date_still_open_where_the_restaurant_is():
    """helper-86: the report asks one range for every restaurant, up to the latest yesterday among them; at 06:00 UTC that
    is Boston's and Los Angeles's today (still open), whose part-day figures were written to `toast_daily_totals`."""
    now = datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)   # 01:00 in Boston, 22:00 in Los Angeles, 06:00 in London
    with Sandbox(seed=14, restaurants=3, days=4, orders_per_day=30, now=now, rate_limits=0,
                 scopes=("orders:read", "restaurants:read")) as sb:
        sb.world.connect_every_hours = 0
        wh = Warehouse()
        run(sb, wh, {}, initialSyncStart="2026-11-16T06:00:00.000Z")
        today = {r.guid: r.bd(sb.world._now) for r in sb.world._rs}
        assert len(set(today.values())) == 2                   # the scenario: two business dates open at once
        rows = wh.tables["toast_daily_totals"].values()
        assert rows and not [(t["restaurant_id"], t["business_date"]) for t in rows if t["business_date"] >= today[t["restaurant_id"]]]
        for g in today:                                        # every closed date since the start, each restaurant
            assert totals_dates(wh, g)[-1] == bd_add(today[g], -1), (g, totals_dates(wh, g))


def analytics_calls(sb) -> dict:
    return {k: sum(v.values()) for k, v in sb.stats()["requests"].items() if "/era/" in k}


def test_a_restaurant_outside_the_group_asks_for_no_report_every_sync():
    """helper-89, -90: a restaurant outside the analytics credentials' group never gets Toast's totals, so it was owed
    a backfill for ever: every sync asked Toast for the group's members and warned, though nothing was to be checked."""
    sb = quiet(restaurants=2, orders_per_day=10)
    with sb:
        g1, g2 = sb.world.restaurant_guids()
        sb.analytics_outside = frozenset({g2})
        wh, state = Warehouse(), {}
        state, _ = run(sb, wh, state, reconcileDays="3")
        first = analytics_calls(sb)
        for _ in range(6):
            sb.advance(1); state, log = run(sb, wh, state, reconcileDays="3")
        assert analytics_calls(sb) == first, (first, analytics_calls(sb))      # nothing due in six hours: no call at all
        assert state["reconciliation"]["outside"] == [g2] and list(state["reconciliation"]["through"]) == [g1]


def test_a_report_with_an_impossible_row_or_figure_names_it_and_the_sync_goes_on():
    """helper-89: a `netSalesAmount` of 1E+20 passed the report's checks and reached `toast_daily_totals`, whose writer
    refused it: every sync failed. helper-90: a row with `businessDate` "2026-03-08" was "no list of rows". Both are a
    malformed report now, named: Toast's totals are skipped, the dates reconciled in the weaker form, the sync succeeds."""
    for edit, says in ((lambda x: x.update(netSalesAmount=1e20), "netSalesAmount '1E+20'"),
                       (lambda x: x.update(businessDate="2026-03-08"), "businessDate '2026-03-08', no yyyyMMdd")):
        sb, wh = sandbox(), Warehouse()
        with sb:
            orig = sb.respond
            def respond(method, target, headers=(), body_=b"", client="local"):
                rep = orig(method, target, headers, body_, client)
                if method == "GET" and urlsplit(target).path.startswith("/era/v1/metrics/") and rep.status == 200:
                    rows = json.loads(rep.body); edit(rows[-1])
                    return Reply(200, rep.headers, json.dumps(rows).encode())
                return rep
            sb.respond = respond
            state, log = run(sb, wh, {}, reconcileDays="3")
        skipped = [m for _, m in log.lines if SKIP in m]
        assert last_log(wh)["status"] == "succeeded" and len(skipped) == 1 and says in skipped[0], skipped
        assert "toast_daily_totals" not in wh.tables and {r["form"] for r in recon(wh).values()} == {"orders re-read"}


def test_a_pause_longer_than_one_report_gets_every_date_in_turn():
    """helper-89, -90: after a pause of 400 days, one report (366 dates at most) asked for the last 366 and the state
    marked all as landed: the 34 before never came. Now the oldest owed come first, the rest in the next syncs."""
    now = datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)
    with Sandbox(seed=14, restaurants=1, days=4, orders_per_day=2, now=now, rate_limits=0, token_ttl=10 ** 8,
                 scopes=("orders:read", "restaurants:read")) as sb:
        sb.world.rates = {k: 0.0 for k in sb.world.rates}
        sb.world.late_rate, sb.world.connect_every_hours = 0.0, 0
        r, wh = sb.world._rs[0], Warehouse()
        cfg = dict(initialSyncStart="2026-11-16T06:00:00.000Z", reconcileDays="3")
        state, _ = run(sb, wh, {}, **cfg)
        first = totals_dates(wh, r.guid)[0]
        sb.advance(24 * 400)
        for _ in range(2):
            state, log = run(sb, wh, state, **cfg); sb.advance(1)
        want, yesterday = [first], bd_add(r.bd(sb.world._now), -1)
        while want[-1] < yesterday: want.append(bd_add(want[-1], 1))
        assert len(want) > 400 and totals_dates(wh, r.guid) == want, sorted(set(want) - set(totals_dates(wh, r.guid)))[:5]


def test_a_pending_date_of_a_restaurant_whose_orders_are_refused_ends_unresolved_as_it_leaves_the_span():
    """helper-90: a restaurant still listed whose orders Toast refuses (403) is no longer reconciled; its date left
    pending stayed pending for good, in the warehouse and in the state, though it left the span."""
    from toast_connector.sandbox import server as S
    sb = quiet(restaurants=2, orders_per_day=20, token_ttl=10 ** 8)
    with sb:
        g1, g2 = sb.world.restaurant_guids()
        wh, cfg = Warehouse(), dict(reconcileDays="3", reconcileAttempts="5")
        d = bd_add(sb.world._r(g2).bd(sb.world._now), -2)
        o = next(o for o in sb.world.orders_by_business_date(g2, d) if not o["voided"] and not o["deleted"])
        sb.world.edit_order(g2, o["guid"], "order_void", visible=NOW + timedelta(days=30))   # Toast counts it; ordersBulk not yet
        state, _ = run(sb, wh, {}, **cfg)
        assert recon(wh)[(g2, d)]["status"] == "pending"
        def refuse(sb_, c):                      # g2's orders refused from now on; g2 stays listed
            if c.template.endswith("ordersBulk") and c.restaurant == g2: raise S.ApiError(403, "Access to restaurant denied", key="restaurant_forbidden")
        sb.on_request = refuse
        for _ in range(4):
            sb.advance(24)
            try: state, _ = run(sb, wh, state, **cfg)
            except sync.SyncFailed: state = wh.state
        assert recon(wh)[(g2, d)]["status"] == "unresolved" and str(d) not in state["reconciliation"]["dates"].get(g2, {})


def test_a_report_without_one_restaurants_rows_asks_for_them_again():
    """helper-92: after a pause, Toast's report came back without restaurant B's rows. B's `through` moved on all the same
    (a restaurant without a row had none to report), and the paused dates' totals of B were never asked for again. Now a
    date B has orders synced on and no row of holds B's `through` before it, and the next report asks from there."""
    sb, wh = quiet(restaurants=2), Warehouse()
    with sb:
        g1, g2 = sb.world.restaurant_guids()
        cfg = dict(reconcileDays="3", initialSyncStart=sb.configuration()["initialSyncStart"])
        state, _ = run(sb, wh, {}, **cfg)
        sb.advance(24 * 10)                                   # paused ten days, more than reconcileDays
        orig, cut = sb.respond, []
        def respond(method, target, headers=(), body_=b"", client="local"):
            rep = orig(method, target, headers, body_, client)
            if method == "GET" and urlsplit(target).path.startswith("/era/v1/metrics/") and rep.status == 200 and not cut:
                rows = json.loads(rep.body)
                cut.append(sum(x["restaurantGuid"] == g2 for x in rows))
                return Reply(200, rep.headers, json.dumps([x for x in rows if x["restaurantGuid"] != g2]).encode())
            return rep
        sb.respond = respond
        state, log = run(sb, wh, state, **cfg)
        sb.respond = orig
        assert cut and cut[0] >= 10, cut                     # the report held B's paused dates, and they were cut out
        assert any("held no row of restaurant" in m and "asked for again by the next report" in m for _, m in log.lines), log.lines
        through = state["reconciliation"]["through"]
        assert through[g2] < through[g1] and totals_dates(wh, g2) != totals_dates(wh, g1)
        sb.advance(1)
        state, _ = run(sb, wh, state, **cfg)                   # Toast's report is whole again: B's dates land
        assert totals_dates(wh, g2) == totals_dates(wh, g1) and len(totals_dates(wh, g1)) >= 14, (totals_dates(wh, g1), totals_dates(wh, g2))
        assert state["reconciliation"]["through"][g2] == state["reconciliation"]["through"][g1] and "gaps" not in state["reconciliation"]
        for t in wh.tables["toast_daily_totals"].values():     # each as Toast's report has it (the sandbox's own row)
            assert t["net_sales_amount"] == sb.world.analytics_row(t["restaurant_id"], t["business_date"])["netSalesAmount"], t


class KillAfter(testing.Recorder):
    "A sync that dies (SIGKILL: what no checkpoint committed is lost) at the first operation after the first checkpoint whose state satisfies `when`."
    def __init__(self, when): super().__init__(); self.when, self.armed = when, True
    def checkpoint(self, state):
        super().checkpoint(state)
        if self.armed and self.when(state): self.fail_after, self.armed = self.n, False


def test_a_sync_killed_after_its_orders_and_before_the_reconciliation_counts_no_order_as_late():
    """helper-91: the order versions the incremental reads wrote were kept in memory until the reconciliation phase at the
    sync's end; the orders cursor was checkpointed long before. A sync killed between the two resumed past those orders,
    and its reconciliation counted every order of the span as late (weaker form: every date `pending`, then `healed`, a
    difference that never was). Now each checkpoint carries the versions watched since the last."""
    now = datetime(2026, 12, 1, 17, 0, tzinfo=timezone.utc)
    def world(): return Sandbox(seed=5, restaurants=2, days=3, orders_per_day=20, rate_limits=0, now=now)
    def orders_done(state):                      # every restaurant's orders read to now, the reconciliation not yet run
        rs = state.get("restaurants", {})
        return len(rs) == 2 and all((c.get("orders") or {}).get("to", "") >= "2026-12-01" for c in rs.values()) and "sync" not in state
    def recon_rows(rec): return {(r["restaurant_id"], r["business_date"]): (r["status"], r["late_versions"], r["difference"])
                                 for r in rec.rows("reconciliation")}
    cfg = lambda sb: sb.configuration(checkpointRows="300", reconcile="true")
    with world() as sb:
        ref = testing.Recorder()
        sync.update(cfg(sb), {}, emit=ref, log=testing.ListLog())
    with world() as sb:
        rec = KillAfter(orders_done)
        with pytest.raises(RuntimeError, match="crash after"): sync.update(cfg(sb), {}, emit=rec, log=testing.ListLog())
        assert not rec.armed and "sync" not in rec.state                      # killed between the orders and the phase
        rec.pending, rec.fail_after = [], None                                  # the rerun resumes from the last checkpoint
        sync.update(cfg(sb), rec.state, emit=rec, log=testing.ListLog())
    want = recon_rows(ref)
    assert want and {s for s, _, _ in want.values()} == {"matched"}, want
    assert recon_rows(rec) == want


def test_a_restaurant_toasts_reports_always_lack_is_asked_for_three_reports_then_left():
    """helper-93: the count of reports that lacked a date started over whenever a report began at another date, so a
    restaurant Toast never reports on warned every sync and its `through` stayed behind for good. Now a date is asked for
    by `GAP_REPORTS` reports at most; then `through` moves on past it (a later date may be the next gap)."""
    sb, wh = quiet(restaurants=2), Warehouse()
    with sb:
        g1, g2 = sb.world.restaurant_guids()
        cfg = dict(reconcileDays="3", reconcileHours="24", initialSyncStart=sb.configuration()["initialSyncStart"])
        orig = sb.respond
        def respond(method, target, headers=(), body_=b"", client="local"):
            rep = orig(method, target, headers, body_, client)
            if method == "GET" and urlsplit(target).path.startswith("/era/v1/metrics/") and rep.status == 200:
                return Reply(200, rep.headers, json.dumps([x for x in json.loads(rep.body) if x["restaurantGuid"] != g2]).encode())
            return rep
        sb.respond = respond
        state, warned = {}, {}
        for hour in range(52):                   # hourly, a full check a day: reports begin at other dates from sync to sync
            if hour: sb.advance(1)
            for a in (state.get("auth") or {}, (state.get("analytics") or {}).get("auth") or {}): a.pop("logins", None)   # a day of
            state, log = run(sb, wh, state, **cfg)                                     # sandbox logins in seconds of this clock
            for m in (m for _, m in log.lines if "held no row of restaurant" in m):
                d = int(m.split("(e.g. ")[1][:8]); warned[d] = warned.get(d, 0) + 1
        R = state["reconciliation"]
        assert warned and max(warned.values()) <= analytics.GAP_REPORTS, warned
        given_up = [d for d, n in warned.items() if n == analytics.GAP_REPORTS]     # each, then left: `through` is past it
        assert given_up and R["through"][g2] >= max(given_up) and R.get("gaps", {}).get(g2, {}).get("d", 10**9) > max(given_up), (warned, R)
        assert not totals_dates(wh, g2) and totals_dates(wh, g1)           # Toast never reported on B: nothing of B's landed
