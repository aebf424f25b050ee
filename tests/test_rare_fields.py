"""Fields Toast fills only sometimes, end to end: the default world generates each of them (loyalty, itemized refunds on
selections and service charges, packaging, fulfillment, split origins, marketplace tax, approvers and reasons, external
ids, first six digits, menu pricing rules, content advisories and images), and one sync of a small pinned world through
the SDK's own local runner (what `fivetran debug` runs) lands every one of them in DuckDB, non-null somewhere, equal
to the sandbox's own objects and in its declared type. Also: a default-world config sync follows
`Toast-Next-Page-Token` on several endpoints."""
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import duckdb

from toast_connector import sync, testing
from toast_connector.orders import current_sql
from toast_connector.sandbox.server import Sandbox, dumps

NOW = datetime(2026, 3, 10, 15, 30, tzinfo=timezone.utc)
PROFILE = dict(seed=4, restaurants=2, days=4, orders_per_day=30, now=NOW)


def _j(v):
    "A sandbox value as JSON would carry it (Decimal kept exact)."
    return json.loads(dumps(v), parse_float=Decimal)


def _walk(o):
    "(kind, object) for an order and every check, selection, discount, applied tax, service charge and payment in it."
    yield "order", o
    for c in o["checks"]:
        yield "check", c
        for d in c["appliedDiscounts"]: yield "check_discount", d
        for s in c["selections"]:
            yield "selection", s
            for d in s["appliedDiscounts"]: yield "selection_discount", d
            for t in s["appliedTaxes"]: yield "tax", t
        for x in c["appliedServiceCharges"]: yield "charge", x
        for p in c["payments"]: yield "payment", p


def _get(obj, path):
    for k in path.split("."):
        obj = obj.get(k) if isinstance(obj, dict) else None
    return obj


# table, column, object kind, field path in Toast's object, how the warehouse holds it (None: as is; "json": JSON text)
ORDER_FIELDS = [
    ("orders", "external_id", "order", "externalId", None),
    ("orders", "applied_packaging_info_id", "order", "appliedPackagingInfo.guid", None),
    ("orders", "applied_packaging_info_applied_packaging_items", "order", "appliedPackagingInfo.appliedPackagingItems", "json"),
    ("orders", "marketplace_facilitator_tax_info_facilitator_collect_and_remit_tax_order", "order",
     "marketplaceFacilitatorTaxInfo.facilitatorCollectAndRemitTaxOrder", None),
    ("orders_check", "external_id", "check", "externalId", None),
    ("orders_check", "applied_loyalty_info_id", "check", "appliedLoyaltyInfo.guid", None),
    ("orders_check", "applied_loyalty_info_loyalty_identifier", "check", "appliedLoyaltyInfo.loyaltyIdentifier", None),
    ("orders_check", "applied_loyalty_info_masked_loyalty_identifier", "check", "appliedLoyaltyInfo.maskedLoyaltyIdentifier", None),
    ("orders_check", "applied_loyalty_info_vendor", "check", "appliedLoyaltyInfo.vendor", None),
    ("orders_check", "applied_loyalty_info_accrual_text", "check", "appliedLoyaltyInfo.accrualText", None),
    ("orders_check_applied_discount", "approver_id", "check_discount", "approver.guid", None),
    ("orders_check_applied_discount", "applied_discount_reason_name", "check_discount", "appliedDiscountReason.name", None),
    ("orders_check_applied_discount", "applied_discount_reason_discount_reason_id", "check_discount",
     "appliedDiscountReason.discountReason.guid", None),
    ("orders_check_applied_discount", "loyalty_details_vendor", "check_discount", "loyaltyDetails.vendor", None),
    ("orders_check_applied_discount", "loyalty_details_reference_id", "check_discount", "loyaltyDetails.referenceId", None),
    ("orders_check_selection", "external_id", "selection", "externalId", None),
    ("orders_check_selection", "refund_details_refund_amount", "selection", "refundDetails.refundAmount", None),
    ("orders_check_selection", "refund_details_tax_refund_amount", "selection", "refundDetails.taxRefundAmount", None),
    ("orders_check_selection", "refund_details_refund_transaction_id", "selection", "refundDetails.refundTransaction.guid", None),
    ("orders_check_selection", "fulfillment_quantity", "selection", "fulfillment.quantity", None),
    ("orders_check_selection", "fulfillment_unit", "selection", "fulfillment.unit", None),
    ("orders_check_selection", "split_origin_id", "selection", "splitOrigin.guid", None),
    ("orders_check_selection", "dining_option_id", "selection", "diningOption.guid", None),
    ("orders_check_selection_applied_tax", "facilitator_collect_and_remit_tax", "tax", "facilitatorCollectAndRemitTax", True),
    ("orders_check_applied_service_charge", "external_id", "charge", "externalId", None),
    ("orders_check_applied_service_charge", "refund_details_refund_amount", "charge", "refundDetails.refundAmount", None),
    ("orders_check_applied_service_charge", "refund_details_tax_refund_amount", "charge", "refundDetails.taxRefundAmount", None),
    ("payment", "first_6_digits", "payment", "first6Digits", None),
    ("payment", "external_id", "payment", "externalId", None),
]
TYPES = {  # declared types as DuckDB reports them
    "refund_details_refund_amount": "DECIMAL(18,4)", "refund_details_tax_refund_amount": "DECIMAL(18,4)",
    "fulfillment_quantity": "DECIMAL(18,8)", "facilitator_collect_and_remit_tax": "BOOLEAN",
    "marketplace_facilitator_tax_info_facilitator_collect_and_remit_tax_order": "BOOLEAN"}


def _ts(s): return datetime.fromisoformat(s.replace("Z", "+00:00").replace("+0000", "+00:00"))


def order_truth(sb, cut):
    "{(table, column): {id: value}} of every rarely-filled field of the orders the API serves modified in [start, `cut`)."
    out, start = {(t, c): {} for t, c, *_ in ORDER_FIELDS}, sb.now - timedelta(days=PROFILE["days"])
    for e in sb.truth("orders")["entities"]["orders"]:
        o = e["object"]
        if o["deleted"] or not start <= _ts(o["modifiedDate"]) < cut[e["restaurant"]]: continue
        for kind, obj in _walk(o):
            for t, c, k, path, how in ORDER_FIELDS:
                if k != kind: continue
                v = _get(obj, path)
                if v is None or (how is True and v is not True): continue
                if how is True: out[(t, c)]["count"] = out[(t, c)].get("count", 0) + 1     # guid-less taxes: counted
                else: out[(t, c)][obj["guid"]] = _j(v)
    return out


def other_truth(sb):
    "{(table, column): {id: value}} of the rare config, menus and labor fields (time entries: clocked out an hour ago)."
    T, start, settled = sb.truth, sb.now - timedelta(days=PROFILE["days"]), sb.now - timedelta(hours=1)
    cfg, lab, menus = T("config")["entities"], T("labor")["entities"], T("menus")["entities"]["menus"]
    out = {}
    def put(table, col, items, path, how=None):
        d = out.setdefault((table, col), {})
        for e in items:
            v = _get(e["object"], path)
            if v is not None: d[(e["object"]["guid"], e["restaurant"])] = _j(v)
    for ep, table in (("menuItems", "menu_item"), ("menus", "menu"), ("menuGroups", "menu_group"), ("diningOptions", "dining_option"),
                      ("serviceCharges", "service_charge"), ("menuOptionGroups", "menu_option_group")):
        put(table, "external_id", cfg[ep], "externalId")
    put("menu_item", "images", cfg["menuItems"], "images")
    for kind, table in (("employees", "employee"), ("jobs", "job"), ("timeEntries", "time_entry")):
        put(table, "external_id", [e for e in lab[kind] if not e["object"]["deleted"] and
                                   (kind != "timeEntries" or start <= _ts(e["object"]["modifiedDate"]) < settled)], "externalId")
    items, options = {}, {}
    for e in menus:
        def walk(groups):
            for g in groups:
                for i in g["menuItems"]: items[(i["guid"], e["restaurant"])] = i
                walk(g["menuGroups"])
        for m in e["object"]["menus"]: walk(m["menuGroups"])
        for o in e["object"]["modifierOptionReferences"].values(): options[(o["referenceId"], e["restaurant"])] = o
    for col, f in (("image", "image"), ("pricing_rules", "pricingRules"), ("content_advisories", "contentAdvisories")):
        out[("published_menu_item", col)] = {k: _j(i[f]) for k, i in items.items() if i.get(f) is not None}
    out[("published_modifier_option", "content_advisories")] = {k: _j(o["contentAdvisories"]) for k, o in options.items()
                                                                if o.get("contentAdvisories") is not None}
    return out


def busy(w):
    "Two hours of a day with many refunds (a full refund itemizes service charges too): the clock stays pinned."
    w.rates["order_refund"] = 3000.0
    w.advance(2)
    return w


JSON_COLS = {"applied_packaging_info_applied_packaging_items", "images", "pricing_rules", "content_advisories"}
KEYS = {"published_menu_item": "id, restaurant_id", "published_modifier_option": "reference_id, restaurant_id"}


def test_every_rare_field_lands_typed_and_equal_to_the_sandbox(tmp_path):
    from fivetran_connector_sdk import Connector
    from fivetran_connector_sdk_cli import core_adapter
    proj = tmp_path / "proj"; proj.mkdir()
    with Sandbox(**PROFILE, rate_limits=0) as sb:
        busy(sb.world)
        core_adapter.run(Connector(update=sync.update, schema=sync.schema), str(proj), sb.configuration(), None)
        state = json.loads((proj / "files" / "state.json").read_text())
        cut = {g: _ts(c["orders"]["to"]) for g, c in state["restaurants"].items()}
        want = {**order_truth(sb, cut), **other_truth(sb)}
    con = duckdb.connect(str(proj / "files" / "warehouse.db"), read_only=True)
    try:
        kinds = dict(con.execute("SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
                                 "WHERE table_schema = 'tester'").fetchall())
        for (table, col), exp in want.items():
            assert any(v not in ([], {}) for v in exp.values()), f"the sandbox never filled {table}.{col}"
            assert f"{table}.{col}" in kinds, f"{table}.{col} never reached the warehouse"
            assert kinds[f"{table}.{col}"] == TYPES.get(col, "BOOLEAN" if isinstance(next(iter(exp.values())), bool) else "VARCHAR"), \
                (table, col, kinds[f"{table}.{col}"])
            if col == "facilitator_collect_and_remit_tax":
                rows = [("count", con.execute(f"SELECT count(*) FROM ({current_sql(table)}) WHERE {col}").fetchone()[0])]
            elif table.startswith("orders") or table == "payment":
                rows = con.execute(f"SELECT id, {col} FROM ({current_sql(table)}) WHERE {col} IS NOT NULL").fetchall()
            else:
                key = KEYS.get(table, "id, restaurant_id")
                rows = con.execute(f"SELECT {key}, {col} FROM tester.{table} WHERE {col} IS NOT NULL "
                                   f"AND NOT coalesce(_fivetran_deleted, FALSE)").fetchall()
                rows = [((r[0], r[1]), r[2]) for r in rows]
            got = {k: (json.loads(v, parse_float=Decimal) if col in JSON_COLS else v) for k, v in rows}
            if table == "time_entry": got = {k: v for k, v in got.items() if k in exp}
            assert got == exp, (table, col, {k: (got.get(k), exp.get(k)) for k in set(got) ^ set(exp) or
                                             [k for k in got if got[k] != exp[k]]})
    finally:
        con.close()


def test_default_world_config_sync_follows_page_tokens():
    """The default world's catalog spans more than one config page on several endpoints: a first sync (a full config
    pull) follows `Toast-Next-Page-Token` on at least two of them, and lands every object of each."""
    with Sandbox(seed=7, restaurants=1, days=1, orders_per_day=4, now=NOW, rate_limits=0,
                 scopes=("config:read", "restaurants:read")) as sb:
        rec, log = testing.Recorder(), testing.ListLog()
        sync.update(sb.configuration(), {}, emit=rec, log=log)
        followed = sb.stats().get("page_tokens", {})
        assert len([ep for ep, n in followed.items() if n >= 1]) >= 2, followed
        assert followed.get("menuItems", 0) >= 2, followed                      # 62 menu items: three pages or more
        g = sb.world.restaurant_guids()[0]
        assert {r["id"] for r in rec.rows("menu_item")} == {o["guid"] for o in sb.world.config_list(g, "menuItems")}
        assert {r["id"] for r in rec.rows("tables")} == {o["guid"] for o in sb.world.config_list(g, "tables")}
