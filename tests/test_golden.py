"""Issue 12's proof that restructuring the engine changed no behaviour: a multi-sync scenario over every family
(orders with every child, restaurants, configuration, menus, labor, cash, Toast's analytics totals and the
reconciliation), with edits, deletes, removals, late arrivals, a restaurant that leaves and comes back, a daily
refresh and a re-sync after a pause, leaves a warehouse that must equal `tests/golden/multisync.json.gz` row for row.

That file was first written by the engine as it stood BEFORE the restructuring (commit 8f4f644's code), by this same
scenario. `GOLDEN_WRITE=1 python -m pytest tests/test_golden.py` rewrites it, and is only for a change that is meant
to change what lands (say so in the commit). It was rewritten three times since, in bc51d16 (the sandbox's missed breaks
and week-late uploads, and the connector asking for missed breaks), 87ae234 (deleted shifts no longer served), each in
the commit that changed the sandbox and the connector together, and on 2026-12-04 when the shifts' key set came to span
their lookback (only `sync_log.rows` changed: fewer shifts read twice by overlapping windows; every table's rows are
as before), and again that day when a date still pending as it leaves the reconciliation span came to be written
`unresolved` (one `reconciliation` row's status, and that row in `sync_log.rows`), and on 2026-12-04 (later) when a
list's removals came to wait for a second full pull that agrees (each removal of config, jobs and menus lands one
sync later; the confirming pulls write their lists again, in `sync_log.rows`; the last sync's removals still wait, with
their keys in the cursors' `missing`), and once more when a job the list no longer holds came to be asked for by
`jobIds` (deleted jobs land with Toast's `deleted` and `deleted_date`, at once; their rows in `sync_log.rows`), and
when a confirming pull stopped forcing another (two config cursors no longer name the keys their last, confirming pull
lacked first: those wait for the next due pull; every row as before), and when the sandbox's `Manager` job and one
employee came to be shared by both restaurants (one guid in each) and employees and jobs came to be keyed by
restaurant too (compared with each restaurant's old guid of the two replaced by the new one, the rows differ only in
the shared employee's name, email and phone, in the missed breaks drawn from that employee's guid, and in
`sync_log.rows` for them), and when the sandbox's time entries came to follow labor-v1 (`hourlyWage` null for a
salaried job, a clocked-in entry's sales 0 and rounding loss null: only those `time_entry` columns changed, and Toast's
`hourlyJobTotalPay` in `toast_daily_totals` and the reconciliation's `toast` figures), and when a shift whose ids
answer nothing came to wait for a second sync whatever the range looked like (helper-49: a range short of a live shift
and an empty by-id answer deleted it): the cancelled shifts of syncs 2-4 are soft-deleted one sync later, the final
warehouse and cursors are as before but for `sync_log.rows` (the by-id reads, a sync later), and when each late-arrival
re-read of time entries came to sweep the last 28 days by `inDate`, archived included (helper-48: labor-v1 does not
say a deletion moves `modifiedDate`): a live time entry of 2026-05-07 (and its break) that no modified window or
re-read had served, uploaded late, lands from sync 3 on (before: never), and `sync_log`'s `rows` and `late_reread`
count the sweep's reads; every other row and the cursors as before, and when the sandbox's open orders came to move
their `modifiedDate` with each change (helper-54: selections added and items voided after the first minute left it at
opened + 60 s) and a voided selection to carry its void as its `modifiedDate`: in the final warehouse, two orders open
at the last sync have a later `modified_date` (and their children's `orders_modified_date`), 44 voided selections and
18 voided modifiers a `modified_date` equal to their `void_date`, and one item voided before its order closed rather
than after; syncs 4 and 5 read one open order fewer a second time (`sync_log.rows`); the cursors as before; and when
a combine's copied selections came to carry new discounts of their own (helper-56: the copy kept the source's discount
guid, triggered by the source's selection): in the last sync, one combined order's applied discount has a new `id`, its
trigger points at the copied selection, and the cash payment the combine adds has another guid (the sandbox draws one
more guid before it); every other row and the cursors as before; and when a publish came to change the menu's shape
(helper-63: items left out, brought back or moved to another group; only prices moved before): from sync 3 on, four
published item rows a publish left out are soft-deleted (three items, one of them in both restaurants, one of those
with the price it had then, 3.50, not the 4.00 a later publish gave it), two moved items have their old group's row soft-deleted and a new row in their new group, three
items' `sort_order` moved up behind them, and `sync_log.rows` counts those deletes; every other row and the cursors as
before; and when the analytics report came to be asked for the restaurants of the credentials' management group only
(helper-67: `GET /era/v1/restaurants-information` first): `sync_log.reconciliation.analytics_calls` is one more in each
of the five reconciling syncs, every other row and the cursors as before; and when a restaurant that leaves came to
settle its pending dates at once (helper-67: `unresolved` as it leaves, its dates forgotten): in sync 3 the leaving
restaurant's pending date is written `unresolved` there and then (it was, a sync later, as it left the span), sync 4
writes no reconciliation row for it, sync 5 (it is back) checks its span afresh (two rows, one before), and the final
warehouse and the cursors are as before; and when a published menus document came to vouch for none of its rows
(helper-79: a document short of one group deleted the group and its items at once, and the publish was not fetched
again): an item a publish leaves out is soft-deleted when the next fetch of a publish lacks it too, a sync later, so the
three items the last two publishes left out are live in the final warehouse, named in `menus.published`'s `missing`
(which keeps the last publish fetched whole as `published`), the confirming fetches count in `sync_log.rows`, and every
other row as before; and when the restaurant's JSON columns came to be written as every other JSON column is
(helper-78: `json.dumps(default=str)` made `delivery.minimum` the string "15.00"): `restaurant`'s `schedules`,
`delivery`, `online_ordering` and `prep_times` are compact JSON with Toast's numbers as numbers; every other row and
the cursors as before; and when a menus cursor waiting for a confirming fetch came to name the publish whose rows it
wrote (helper-80: a stale copy was held against the publish before): `menus.published` holds `fetched` beside
`missing` in both restaurants' final cursors; every row as before; and when Toast's totals came to be owed per
restaurant (helper-88: after a pause only the reconciled span was asked for) and a date of the span never checked to be
checked at once (helper-86): in sync 5, when the restaurant that left (the second) is back, its 2026-05-12, which it
was away for, is reconciled and its totals land (one more row in `reconciliation` and in `toast_daily_totals`), and the
report that brings it, asked from the day after each restaurant's last landed date, gives 2026-05-11 and -12 Toast's
later figures (a refund; one order fewer in the second restaurant's 2026-05-11, matched by the synced orders) and a new
`report_request_guid` to the dates it covers; `sync_log.rows` and `reconciliation` count them; the cursors as before.
So this test is a change detector, not a proof of correctness: it says that what lands has not changed
since the last rewrite, and each family's own tests compare the warehouse with the sandbox's truth. A rewrite belongs after those
pass, with the digest's difference explained in its commit.

What is compared, after each of the six syncs: every table's rows, soft-deleted ones included, with every column
except the few that carry the wall clock (`sync_log`'s timings, call counts and id; when analytics figures were
fetched or checked, compared as set or not); and the
cursors of the final state (to the minute: the state format is
what existing connections resume from). The sandbox's clock is pinned (its own instant, not tests/clock.py's: the scenario's
expected rows depend on it) and its data is deterministic (seed); rate limits are off and the connector's estimate
of Toast's clock is the sandbox's own (no wall time added: tests/conftest.py's `toast_clock_is_the_sandboxs`), so
timing cannot shape a run."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal
import gzip, hashlib, json, os, re
from pathlib import Path

import pytest

from toast_connector import analytics, sync, testing
from toast_connector.sandbox.server import Sandbox
from test_orders import Warehouse

UTC = timezone.utc
NOW = datetime(2026, 5, 12, 16, 20, tzinfo=UTC)          # pinned for this scenario (a Tuesday afternoon, no DST change near)
GOLDEN = Path(__file__).parent / "golden" / "multisync.json.gz"
# columns that carry the wall clock, not the sandbox's: left out of the comparison
WALL = {"sync_log": {"sync_id", "started_at", "ended_at", "duration_seconds", "api_calls", "retries", "rate_limited",
                     "calls_by_family"}}
# stamps of when the connector asked (Toast's clock as the connector estimates it, to the millisecond): compared as
# set or not set
STAMPS = {"toast_daily_totals": {"fetched_at"}, "reconciliation": {"first_checked", "last_checked"}}
# (hours to advance before the sync, what happens first)
PLAN = [(0, None), (1, None), (5, "leave"), (26, None), (2, "rejoin"), (49, None)]


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch):
    monkeypatch.setattr(analytics, "POLLS", (0.01,))


def sandbox():
    sb = Sandbox(seed=21, restaurants=2, days=6, orders_per_day=25, rate_limits=0, now=NOW, token_ttl=30 * 86400)
    w = sb.world
    w.connect_every_hours = 0
    w.rates = {k: v * 4 for k, v in w.rates.items()}          # more of every event than a quiet day has
    w.rates.update(order_edit=200.0, order_void=20.0, order_delete=20.0, selection_remove=20.0, check_combine=10.0,
                   order_refund=20.0)
    w.offline_rate, w.late_rate = 0.2, 0.3
    return sb


def _plain(v):
    if isinstance(v, Decimal): return {"$d": str(v)}
    if isinstance(v, datetime): return {"$t": v.isoformat()}
    return v


def snapshot(wh) -> dict:
    "{table: sorted rows as JSON-ready dicts}, wall-clock columns left out."
    out = {}
    for t, rows in sorted(wh.tables.items()):
        drop, stamp = WALL.get(t, set()), STAMPS.get(t, set())
        rs = [{c: ((v is not None) if c in stamp else _plain(v)) for c, v in sorted(r.items()) if c not in drop}
              for r in rows.values()]
        out[t] = sorted(rs, key=lambda r: json.dumps(r, sort_keys=True, default=str))
    return out


def digest(snap: dict) -> dict:
    return {t: [len(rs), hashlib.sha256(json.dumps(rs, sort_keys=True, default=str).encode()).hexdigest()[:16]]
            for t, rs in snap.items()}


STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d):\d\d(\.\d+)?([+-]\d\d:?\d\d|Z)$")


SIZING = {"rate"}     # a window-sizing estimate (records per hour of the last window read, from wall-timed ends)


def cursors(state: dict) -> dict:
    """The final state's cursors (restaurant -> stream -> cursor), as JSON; timestamps to the minute (a cursor taken
    from Toast's clock, as the connector estimates it, carries the milliseconds the sync took to get there)."""
    def cut(v):
        if isinstance(v, dict): return {k: cut(x) for k, x in v.items() if k not in SIZING}
        if isinstance(v, list): return [cut(x) for x in v]
        return STAMP.sub(r"\1", v) if isinstance(v, str) else v
    return cut(json.loads(json.dumps(state.get("restaurants", {}), sort_keys=True, default=str)))


def scenario() -> dict:
    sb, wh, state, out = sandbox(), Warehouse(), {}, {"syncs": []}
    with sb:
        g1, g2 = sb.world.restaurant_guids()
        for hours, event in PLAN:
            if event == "leave": sb.world.leave(g2)
            if event == "rejoin": sb.world.rejoin(g2)
            if hours: sb.advance(hours)
            wh.start = wh.start or sb.configuration()["initialSyncStart"]
            cfg = sb.configuration(initialSyncStart=wh.start, lateArrivalDays="3", lateArrivalEveryHours="6",
                                   analyticsClientId=sb.analytics_client_id,
                                   analyticsClientSecret=sb.analytics_client_secret, reconcileDays="2")
            sync.update(cfg, state, emit=wh, log=testing.ListLog())
            state = wh.state
            log = max(wh.tables["sync_log"].values(), key=lambda r: r["sync_id"])
            assert log["status"] == "succeeded", log
            out["syncs"].append(digest(snapshot(wh)))
        out["final"] = snapshot(wh)
        out["cursors"] = cursors(state)
    return out


def first_difference(want: dict, got: dict) -> str:
    for t in sorted(set(want) | set(got)):
        a, b = want.get(t), got.get(t)
        if a == b: continue
        if a is None or b is None: return f"table {t}: only in the {'golden file' if b is None else 'new run'}"
        sa = {json.dumps(r, sort_keys=True) for r in a}
        sb_ = {json.dumps(r, sort_keys=True) for r in b}
        miss, extra = sorted(sa - sb_), sorted(sb_ - sa)
        return f"table {t}: {len(a)} rows golden, {len(b)} now; golden only: {miss[:2]}; new only: {extra[:2]}"
    return "no difference"


def test_multi_sync_warehouse_equals_the_golden_one_row_for_row():
    got = scenario()
    # the scenario exercised what it claims to (so the comparison covers it)
    final = got["final"]
    for t in ("orders", "orders_check", "orders_check_selection_modifier", "payment", "restaurant", "employee", "menu",
              "time_entry", "shift", "cash_entry", "toast_daily_totals", "reconciliation", "sync_log"):
        assert final.get(t), f"the scenario landed no {t} rows"
    for t in ("orders", "employee", "time_entry"):
        assert any(r["_fivetran_deleted"] for r in final[t]), f"no soft-deleted {t} row"
    if os.environ.get("GOLDEN_WRITE") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        with gzip.open(GOLDEN, "wt", encoding="utf-8") as f: json.dump(got, f, sort_keys=True, separators=(",", ":"))
        pytest.skip(f"wrote {GOLDEN}")
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as f: want = json.load(f)
    for i, (a, b) in enumerate(zip(want["syncs"], got["syncs"])):
        bad = {t for t in set(a) | set(b) if a.get(t) != b.get(t)}
        assert not bad, f"after sync {i + 1} of {len(PLAN)}, these tables differ from the golden run: {sorted(bad)}" \
                        + (f"; {first_difference(want['final'], final)}" if i == len(PLAN) - 1 else "")
    assert len(want["syncs"]) == len(got["syncs"])
    assert want["final"] == final, first_difference(want["final"], final)
    assert want["cursors"] == got["cursors"]
