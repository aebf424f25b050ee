"""Toast pages ordersBulk by page number over a live result set: an order edited while the connector walks a
window's pages leaves the window, the later pages shift left, and an order that slid onto an already-read page
would be skipped for good (its modifiedDate stays inside a window the cursor has passed). The sandbox's
`on_request` hook edits orders the connector has already read, just before its next ordersBulk request of that
window; the warehouse must still equal the truth after the following syncs. Naive paging (page 1, 2, ... of 100)
loses an order in the same scenario, so the scenario is sharp; more departures than the pages' overlap absorbs
make the connector start the window's walk again."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_orders import Warehouse, run, expected  # noqa: E402
import pytest  # noqa: E402

from toast_connector import sync
from toast_connector.streams import PageNumber
from toast_connector.client import as_list
from toast_connector.sandbox.server import Sandbox, parse_toast_date
from clock import NOW
from datetime import timedelta
from toast_connector.windows import parse_ts


def scenario(departures: int = 1, by_guid: bool = False, offline: bool = False, **cfg):
    """Once a request has asked for a window holding more than a page of orders, edit `departures` of the orders
    that request returned (the first ones in the window's order) just before the connector's next ordersBulk request;
    `offline`: an offline device's edit, made a minute before the window's end and uploaded now, so the order stays
    in the window and moves to its end. Returns (edited guids, missing guids, calls of that window as (page, pageSize),
    {edited guid: its modifiedDate in the warehouse and at Toast after the syncs, and before the edit})."""
    sb = Sandbox(seed=11, restaurants=1, days=2, orders_per_day=300, now=NOW, rate_limits=0,
                 scopes=("orders:read", "restaurants:read"))
    sb.world.rates = {k: 0.0 for k in sb.world.rates}
    sb.world.connect_every_hours = 0
    sb.world.offline_rate = 0.0        # uploads hours late are test_late's subject: here one could land after these 3 hours
    sb.world.unstable_ties = not by_guid  # served by modifiedDate (the default), or by guid
    edited, big, calls, before = [], [], [], {}
    def hook(s, call):
        if call.template != "GET /orders/v2/ordersBulk": return
        win = (call.restaurant, parse_toast_date(call.query["startDate"][0]), parse_toast_date(call.query["endDate"][0]))
        if big and win == big[0]: calls.append((int(call.query["page"][0]), int(call.query["pageSize"][0])))
        if edited: return
        if big:
            w = s.world.orders_modified(*big[0])
            for o in list(w[:departures]):
                edited.append(o["guid"]); before[o["guid"]] = parse_ts(o["modifiedDate"])
                assert s.world.edit_order(big[0][0], o["guid"], at=big[0][2] - timedelta(minutes=1) if offline else None)
            return
        if len(s.world.orders_modified(*win)) > 100:
            big.append(win)
            calls.append((int(call.query["page"][0]), int(call.query["pageSize"][0])))
    sb.on_request = hook
    with sb:
        wh = Warehouse()
        state = run(sb, wh, {}, **cfg)
        sb.on_request = None
        for _ in range(3):
            sb.advance(1)
            state = run(sb, wh, state, **cfg)
        exp, late, live = expected(sb, wh)
        g = sb.world.restaurant_guids()[0]
        versions = {e: (next((parse_ts(r["modified_date"]) for r in wh.current("orders") if r["id"] == e), None),
                        parse_ts(sb.world.order(g, e)["modifiedDate"]), before[e]) for e in edited}
        # an order modified after the last window's end is out of both sides (`expected`): its older version is no loss
        got = {(r["id"],) for r in wh.current("orders") if r["id"] not in late}
        assert edited, "the scenario never happened: no window held more than a page"
        assert len(edited) == departures
        return edited, set(exp["orders"]) - got, got ^ set(exp["orders"]), calls, versions


@pytest.mark.clock
@pytest.mark.parametrize("by_guid", [False, True])
def test_order_edited_mid_paging_is_not_lost(by_guid):
    edited, missing, diff, calls, _ = scenario(1, by_guid)
    assert not missing and not diff, (edited, sorted(missing))
    assert calls[0] == (1, 100) and len(calls) >= 2 and calls[1][1] < 100    # walked in overlapping pages: no restart
    assert calls.count((1, 100)) == 1, calls


@pytest.mark.clock
@pytest.mark.parametrize("by_guid", [False, True])
def test_more_departures_than_the_overlap_restart_the_walk(by_guid):
    edited, missing, diff, calls, _ = scenario(3, by_guid)         # 3 > PageNumber.OVERLAP: the second page holds no anchor
    assert PageNumber.OVERLAP < 3
    assert not missing and not diff, (edited, sorted(missing))
    assert calls.count((1, 100)) == 2, calls                    # page 1 read again: the walk started over


@pytest.mark.clock
def test_an_order_changed_offline_while_its_window_is_read_lands_in_its_new_version():
    """helper-87: an order read on page 1, then changed by an offline device whose upload reaches Toast before the next
    page, with a `modifiedDate` still in the window: it moves to the window's end, and the walk meets it again. The walk
    took it for an order already read and dropped the new version; the window's cursor moved past it, so the warehouse
    kept the old version until the daily late re-read, and for good with `lateArrivalDays` 0."""
    edited, missing, diff, calls, versions = scenario(1, offline=True, lateArrivalDays="0")
    assert not missing and not diff, (edited, sorted(missing))
    (got, truth, before), = versions.values()
    assert truth > before and got == truth, versions          # its new version, read in the sync it changed


def naive_pages(self, job, path, params):
    "Pages 1, 2, ... of 100 until a short page: what the connector must not do."
    page, guid = 1, job.restaurant.guid
    while True:
        got = as_list(job.client.get(path, restaurant=guid, params={**params, "page": page, "pageSize": 100}).data, path, guid)
        if got: yield got
        if len(got) < 100: return
        page += 1


@pytest.mark.clock
def test_naive_paging_loses_the_order(monkeypatch):
    """Served by guid, naive paging loses the order that slides onto page 1 at every hour `make clock` tries. Served by
    modifiedDate it lost nothing at 06:00 UTC (a later read found that order again; why was not looked into), so the
    scenario is sharp by guid; the connector's two tests above run both orders."""
    monkeypatch.setattr(PageNumber, "whole_pages", naive_pages)
    edited, missing, diff, calls, _ = scenario(1, by_guid=True)
    assert missing, "naive paging lost nothing: the scenario is not sharp"


def test_orders_of_one_instant_in_a_new_order_on_every_request_are_not_lost():
    """Toast documents no order within ordersBulk's pages. The sandbox's harsher reading (`unstable_ties`): sorted by
    `modifiedDate`, the orders of one instant in a new order on every request. 250 orders changed at one instant (a
    bulk change) straddle page boundaries; an unread one could swap places with a read one, and the overlap never saw it
    (helper-64: 72 of 673 orders missing). Every order must land, the window read again in sub-windows, with a warning."""
    from toast_connector import testing
    for seed in (0,):
        sb = Sandbox(seed=4, restaurants=1, days=2, orders_per_day=300, rate_limits=0, now=NOW, scopes=("orders:read", "restaurants:read"))
        sb.world.rates = {k: 0.0 for k in sb.world.rates}
        sb.world.connect_every_hours, sb.world.offline_rate, sb.world.unstable_ties = 0, 0.0, True
        sb.world._ties.seed(seed)
        with sb:
            g = sb.world.restaurant_guids()[0]
            live = [e["object"]["guid"] for e in sb.truth("orders")["entities"]["orders"] if not e["object"]["deleted"]]
            for guid in live[:250]: assert sb.world.edit_order(g, guid)        # all at the sandbox's one instant
            sb.advance(1)
            wh, log = Warehouse(), testing.ListLog()
            wh.start = sb.configuration()["initialSyncStart"]
            sync.update(sb.configuration(), {}, emit=wh, log=log)
            exp, _, _ = expected(sb, wh)
            got = {(r["id"],) for r in wh.current("orders")}
            assert len(exp["orders"]) > 600 and set(exp["orders"]) <= got, (seed, len(set(exp["orders"]) - got))
            assert any("in another order from one page to the next" in m for k, m in log.lines if k == "warning"), log.lines
