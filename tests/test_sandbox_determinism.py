"""The sandbox's data is a pure function of its seed and its clock steps. These hashes were computed from the
sandbox as it was BEFORE it was reorganized by family (issue 12): every family's truth, with and without `since`,
the counts `advance` reports, three World queries and the analytics rows must stay the same, byte for byte, with
every kind of advance event firing (rates raised twenty-fold).

Three hashes were recomputed on 2026-12-03, when the labor data gained what Toast serves and the sandbox had left
out: missed breaks (`missed: true`, no times) on some long time entries, and employees that no longer list the job
references and wage overrides of a deleted job. `labor`, `since:labor` and `time_entries_mod` changed; the rest are
still 112cc91's. Before recomputing, the old and new data were compared object by object: the time entries were
equal once their missed breaks were left out, the employees once the deleted jobs' references were, and everything
else was equal.

Nine hashes were recomputed on 2026-12-04, when the `Manager` job and one employee (`SHARED_EMPLOYEE`) became
shared by every restaurant of the group, as Toast allows (one guid in every location). Before recomputing, the old and
new data were compared object by object with each restaurant's old guid of those two replaced by the new one: the
only differences were the shared employee's name, email, phone number and `v2EmployeeGuid` (one person everywhere),
and the missed breaks of two time entries (a missed break is drawn from its employee's guid). The orders, cash and
shifts hashes changed only because they reference those guids.

Four more were recomputed later that day, when time entries came to follow labor-v1's field descriptions: `hourlyWage`
null for a `SALARY` job, and a clocked-in entry's `cashSales`/`nonCashSales` 0 and `nonCashTipsRoundingLoss` null. The
old and new data, compared object by object, differed in those four fields only, and in the analytics rows'
`hourlyJobTotalPay`, which no longer counts salaried time at a wage.

Three were recomputed on 2026-12-04 (evening), when a voided selection came to carry its void as its `modifiedDate`
(at every depth), and a single voided item of an order closed within ten minutes is voided 30 s before the close
instead of after it (helper-54: an open order changed without its `modifiedDate` moving). `orders`, `since:orders` and
`orders_modified` changed. Old and new data compared object by object: 143 selections' `modifiedDate` moved from
their `createdDate` to their `voidDate`, one `voidDate` moved from after its order's close to 30 s before it, and
nothing else differed.

`menus` and `since:menus` were recomputed on 2026-12-04 (night), when a publish came to change the menu's shape too
(helper-63: only prices moved, so no test saw a new publish delete a published row): an item left out, brought back or
moved to another group, and the menu items and groups the configuration removed gone from the next publish. Old and
new documents compared item by item: of the two restaurants that published in these steps, each lacks the six items
its publishes left out (exactly the layout's `hidden`), one has one item in another group (the layout's `moved`), every
item left is equal but for `sortOrder`, the reference maps and the third restaurant's document are equal.

`orders_modified` was recomputed that night, when the sandbox came to serve ordersBulk by `modifiedDate`, the orders of
one instant in a new order on every request (the harsher reading of an order Toast does not document; helper-64, -70):
the same 96 orders with the same content, in `modifiedDate` order; sorted by guid they hash to the old value, and no two
of them share an instant, so the new hash does not depend on the shuffle."""
import hashlib, json
from datetime import datetime, timedelta, timezone

import pytest

from toast_connector.sandbox.data import World
from toast_connector.sandbox import analytics  # noqa: F401  (World.analytics_row)

NOW = datetime(2026, 11, 28, 9, 40, 12, 345000, tzinfo=timezone.utc)
FAMILY_NAMES = ("restaurants", "orders", "config", "menus", "labor", "cash")
BEFORE = {  # computed on commit 112cc91 (the sandbox before the by-family reorganization); the recomputed ones: see above
    "advance0": "9298ecedd2c61ad7", "advance1": "80c68ef5b502a341", "advance2": "9994403c7e8b364b",
    "advance3": "ba71497b630d7b1d", "restaurants": "0659f0513384677f", "orders": "fc4274489fa31ff5",
    "config": "3f6b3f876c15556d", "menus": "8151e4101be2a15b", "labor": "d18adec4df0ab6bc", "cash": "a5681370f02e00e5",
    "since:restaurants": "0659f0513384677f", "since:orders": "aa58aa66e5074305", "since:config": "3f6b3f876c15556d",
    "since:menus": "8151e4101be2a15b", "since:labor": "3bcbe59a19be7a3b", "since:cash": "2ec64bd724543a43",
    "orders_modified": "eb267af12707bc21", "time_entries_mod": "8d972b658a915190", "shifts": "aff580d7112e3c3d",
    "analytics": "10723ad6e9f35ac2"}


def h(x) -> str: return hashlib.sha256(json.dumps(x, default=str, sort_keys=True).encode()).hexdigest()[:16]


@pytest.fixture(scope="module")
def observed():
    w = World(seed=11, restaurants=2, days=4, now=NOW, orders_per_day=25)
    w.rates = {k: v * 20 for k, v in w.rates.items()}
    w.connect_every_hours = 30
    out, fired = {}, {}
    for step in range(4):
        counts = w.advance(9.5)
        out[f"advance{step}"] = h(counts)
        for k, v in counts.items():
            if k in w.rates: fired[k] = fired.get(k, 0) + v
    out.update({f: h(w.truth(f)) for f in FAMILY_NAMES})
    out.update({f"since:{f}": h(w.truth(f, since="2026-11-27T12:00:00Z")) for f in FAMILY_NAMES})
    g = w.restaurant_guids()
    out["orders_modified"] = h(list(w.orders_modified(g[0], NOW - timedelta(days=1), w.now)))
    out["time_entries_mod"] = h(w.time_entries(g[1], modified_start=NOW - timedelta(days=2), modified_end=w.now))
    out["shifts"] = h(w.shifts(g[0], NOW - timedelta(days=2), NOW + timedelta(days=3)))
    bd = w._rs[0].bd(w._now)
    out["analytics"] = h([w.analytics_row(x, d) for x in g for d in (bd, bd - 1)])
    return out, fired


def test_every_event_kind_fires(observed):
    _, fired = observed
    assert set(fired) == set(World(seed=0, restaurants=1, days=1, now=NOW).rates)
    assert all(n > 0 for n in fired.values()), fired


@pytest.mark.parametrize("key", sorted(BEFORE))
def test_same_as_before_the_reorganization(observed, key):
    assert observed[0][key] == BEFORE[key], key
