"""Orders flattened per second, CPU only: `explode` of realistic orders (checks, selections, modifiers 1-3 deep,
guid-less taxes, discounts with triggers, service charges, payments), as the engine calls it.

Prints `flatten: N orders/s (M rows/s) over K orders` (CPU time of this process, best of 3: other processes on
the machine do not count). The orders come from the sandbox's World when it is
available (the same data a sync reads), else from a deterministic generator here.
"""
import json, random, sys, time, uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from toast_connector.flatten import explode          # noqa: E402
from toast_connector.orders import ORDERS            # noqa: E402

K = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
rng = random.Random(7)
ts = lambda m: f"2024-03-01T{10 + m // 60 % 12:02d}:{m % 60:02d}:{rng.randrange(60):02d}.{rng.randrange(1000):03d}+0000"
guid = lambda: str(uuid.UUID(int=rng.getrandbits(128)))
money = lambda lo, hi: Decimal(rng.randrange(lo * 100, hi * 100)) / 100
ref = lambda t: {"guid": guid(), "entityType": t}

def tax():
    return {"entityType": "AppliedTaxRate", "taxRate": ref("TaxRate"), "name": "State", "rate": Decimal("0.0625"),
            "taxAmount": money(0, 2), "type": "PERCENT"}

def selection(depth=0):
    s = {"guid": guid(), "entityType": "MenuItemSelection", "displayName": "Item", "quantity": Decimal(1),
         "price": money(1, 30), "preDiscountPrice": money(1, 30), "tax": money(0, 2), "receiptLinePrice": money(1, 30),
         "item": ref("MenuItem"), "itemGroup": ref("MenuGroup"), "salesCategory": ref("SalesCategory"),
         "selectionType": "NONE", "voided": False, "deferred": False, "createdDate": ts(rng.randrange(600)),
         "modifiedDate": ts(rng.randrange(600)), "appliedTaxes": [tax() for _ in range(rng.choice((1, 2, 2)))],
         "appliedDiscounts": [], "modifiers": []}
    if depth < 3 and rng.random() < (0.6 if depth == 0 else 0.3):
        s["modifiers"] = [selection(depth + 1) for _ in range(rng.randrange(1, 3))]
    if depth == 0 and rng.random() < 0.1:
        s["appliedDiscounts"] = [{"guid": guid(), "name": "BOGO", "discountAmount": money(1, 5), "discount": ref("Discount"),
                                  "triggers": [{"selection": ref("MenuItemSelection"), "quantity": Decimal(1)}], "comboItems": []}]
    return s

def order():
    checks = []
    for _ in range(rng.choice((1, 1, 2))):
        amt = money(10, 80)
        checks.append({"guid": guid(), "entityType": "Check", "amount": amt, "taxAmount": money(0, 5), "totalAmount": amt,
                       "paymentStatus": "CLOSED", "openedDate": ts(1), "closedDate": ts(2), "modifiedDate": ts(3),
                       "deleted": False, "deletedDate": "1970-01-01T00:00:00.000+0000", "voided": False,
                       "selections": [selection() for _ in range(rng.randrange(1, 7))],
                       "appliedDiscounts": [], "appliedServiceCharges": [{"guid": guid(), "chargeAmount": money(1, 5),
                                                                          "name": "Gratuity", "gratuity": True,
                                                                          "appliedTaxes": [tax()]}] if rng.random() < 0.2 else [],
                       "payments": [{"guid": guid(), "amount": amt, "tipAmount": money(0, 10), "type": "CREDIT",
                                     "paidDate": ts(4), "paidBusinessDate": 20240301, "paymentStatus": "CAPTURED",
                                     "refundStatus": "NONE", "server": ref("RestaurantUser"), "cashDrawer": None,
                                     "refund": None, "voidInfo": None}]})
    return {"guid": guid(), "entityType": "Order", "modifiedDate": ts(rng.randrange(600)), "openedDate": ts(1),
            "businessDate": 20240301, "deleted": False, "deletedDate": None, "voided": False, "source": "In Store",
            "diningOption": ref("DiningOption"), "server": ref("RestaurantUser"), "revenueCenter": ref("RevenueCenter"),
            "createdDevice": {"id": "dev"}, "pricingFeatures": ["TAXESV2"], "numberOfGuests": 2, "checks": checks}

def sandbox_orders(k):
    "Orders from the sandbox World, as the API would serve them (None if the sandbox is not available)."
    try:
        from toast_connector.sandbox.server import Sandbox
        sb = Sandbox(seed=1, restaurants=2, days=max(1, k // 400), orders_per_day=200, rate_limits=0)
        ents = sb.truth("orders")["entities"]["orders"]
        return [e["object"] for e in ents][:k]
    except Exception as e:                       # the sandbox's World is another helper's; fall back
        print(f"   (sandbox orders unavailable: {type(e).__name__}; using generated orders)", flush=True)
        return None

orders = sandbox_orders(K) or [order() for _ in range(K)]
# parse with Decimal, exactly as the client does, so the bench flattens what a sync flattens
from toast_connector.flatten import to_json     # noqa: E402
orders = [json.loads(to_json(o), parse_float=Decimal) for o in orders]
kw = dict(table=ORDERS.table, key=ORDERS.key, children=ORDERS.children, json_fields=ORDERS.json_fields)
best = None
for _ in range(3):
    t, n = time.process_time(), 0
    for o in orders:
        base = {"restaurant_id": "r", **ORDERS.base(o, None)}
        for _row in explode(o, base=base, **kw): n += 1
    dt = time.process_time() - t
    best = dt if best is None or dt < best else best
print(f"flatten: {len(orders) / best:,.0f} orders/s ({n / best:,.0f} rows/s) over {len(orders)} orders")
