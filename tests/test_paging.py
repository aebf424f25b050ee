"""Toast pages ordersBulk by page number over a live result set: an order edited while the connector walks a
window's pages leaves the window, the later pages shift left by one, and the order that slid onto an
already-read page would be skipped for good (its modifiedDate stays inside a window the cursor has passed).
The sandbox's `on_request` hook edits an order of page 1 just before page 2 is served; the warehouse must
still equal the truth after the following syncs."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_orders import Warehouse, run, expected  # noqa: E402
import pytest  # noqa: E402

from toast_connector.sandbox.server import Sandbox, parse_toast_date
from clock import NOW

def test_order_edited_mid_paging_is_not_lost():
    sb = Sandbox(seed=11, restaurants=1, days=2, orders_per_day=300, now=NOW, rate_limits=0,
                 scopes=("orders:read", "restaurants:read"))
    sb.world.rates = {k: 0.0 for k in sb.world.rates}
    sb.world.connect_every_hours = 0
    edited, big = [], []
    def hook(s, call):
        """Once a request has asked for a window holding more than a page of orders, edit that window's first
        order just before the connector's next ordersBulk request (page 2, or whatever it asks for instead)."""
        if call.template != "GET /orders/v2/ordersBulk" or edited: return
        if big:
            w = s.world.orders_modified(*big[0])
            edited.append(w[0]["guid"])
            s.world.edit_order(big[0][0], w[0]["guid"])
            return
        win = (call.restaurant, parse_toast_date(call.query["startDate"][0]), parse_toast_date(call.query["endDate"][0]))
        if len(s.world.orders_modified(*win)) > 100: big.append(win)
    sb.on_request = hook
    with sb:
        wh = Warehouse()
        state = run(sb, wh, {})
        sb.on_request = None
        for _ in range(3):
            sb.advance(1)
            state = run(sb, wh, state)
        exp, late, live = expected(sb, wh)
        got = {(r["id"],) for r in wh.current("orders")}
        missing = set(exp["orders"]) - got
        assert edited, "the scenario never happened: no window held more than a page"
        assert not missing, (edited, sorted(missing))
        assert got == set(exp["orders"])
