"""The orders version rule on a real warehouse: the SDK's own local runner (what `fivetran debug` runs) writes two
syncs of the sandbox into DuckDB; the SQL documented in nbs/10_orders.ipynb yields exactly the truth's current rows."""
import json
from datetime import timedelta
from decimal import Decimal

import duckdb, pytest

from toast_connector import sync
from toast_connector.flatten import explode, to_json
from toast_connector.orders import ORDERS, current_sql, is_deleted
from toast_connector.windows import parse_ts
from toast_connector.sandbox.server import Sandbox
from test_orders import KEYS, NOW, ORDER_EVENTS


def test_sdk_warehouse_current_rows_equal_truth(tmp_path):
    """The same rule on the real thing: the SDK's own local runner (what `fivetran debug` runs, in this process) writes
    two syncs into DuckDB with the sandbox advanced in between; the documented SQL over `files/warehouse.db` yields
    exactly the truth's rows for every orders table, and the columns have the declared types (timestamps
    TIMESTAMP WITH TIME ZONE, money DECIMAL(18,4), business dates INTEGER)."""
    from fivetran_connector_sdk import Connector
    from fivetran_connector_sdk_cli import core_adapter
    proj = tmp_path / "proj"; proj.mkdir()
    sb = Sandbox(seed=13, restaurants=1, days=1, orders_per_day=40, rate_limits=0, now=NOW,   # the shared test clock
                 scopes=("orders:read", "restaurants:read"))
    sb.world.rates = {k: (240.0 if k in ORDER_EVENTS else 0.0) for k in sb.world.rates}
    sb.world.connect_every_hours = 0
    connector = Connector(update=sync.update, schema=sync.schema)
    def debug(cfg):
        state_file = proj / "files" / "state.json"
        state = json.loads(state_file.read_text()) if state_file.exists() else None
        core_adapter.run(connector, str(proj), cfg, state)
    with sb:
        # from before the sandbox's first business day: at any hour, the past orders `advance` edits were read first
        cfg = sb.configuration(initialSyncStart=(NOW - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z"))
        debug(cfg)
        sb.advance(6)
        debug(cfg)
        state = json.loads((proj / "files" / "state.json").read_text())
        cut = {g: parse_ts(c["orders"]["to"]) for g, c in state["restaurants"].items()}
        exp, late = {t: set() for t in KEYS}, set()
        for e in sb.truth("orders", since=cfg["initialSyncStart"])["entities"]["orders"]:
            o = e["object"]
            if parse_ts(o["modifiedDate"]) >= cut[e["restaurant"]]: late.add(o["guid"]); continue
            if is_deleted(o): continue
            for t, r in explode(json.loads(to_json(o), parse_float=Decimal), table="orders", children=ORDERS.children,
                                base={"restaurant_id": e["restaurant"], **ORDERS.base(o, None)}):
                exp[t].add(tuple(r[c] for c in KEYS[t]))
        con = duckdb.connect(str(proj / "files" / "warehouse.db"), read_only=True)
        try:
            cols = set(con.execute("SELECT table_name || '.' || column_name FROM information_schema.columns "
                                   "WHERE table_schema = 'tester'").fetchall())
            for t in KEYS:
                if (f"{t}._fivetran_deleted",) not in cols:   # the tester created it from its declaration only: no rows yet
                    assert not exp[t] and con.execute(f"SELECT count(*) FROM tester.{t}").fetchone()[0] == 0, t
                    continue
                got = {tuple(x) for x in con.execute(f"SELECT {', '.join(KEYS[t])} FROM ({current_sql(t)})").fetchall()}
                oid = KEYS[t].index("orders_id") if "orders_id" in KEYS[t] else 0
                got = {k for k in got if k[oid] not in late}
                assert got == exp[t], f"{t}: {len(exp[t] - got)} missing, {len(got - exp[t])} extra"
            kinds = dict(con.execute("SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
                                     "WHERE table_schema = 'tester'").fetchall())
            assert kinds["orders.modified_date"] == kinds["orders_check_selection.orders_modified_date"] == "TIMESTAMP WITH TIME ZONE"
            assert kinds["payment.amount"] == kinds["orders_check.total_amount"] == "DECIMAL(18,4)"
            assert kinds["orders.business_date"] == "INTEGER" and kinds["orders_check_selection.voided"] == "BOOLEAN"
            # stale (edited-away) rows exist and the rule is what hides them
            assert con.execute("SELECT count(*) FROM tester.orders_check_selection WHERE NOT _fivetran_deleted").fetchone()[0] \
                > len(exp["orders_check_selection"])
            money = con.execute(f"SELECT sum(amount) FROM ({current_sql('payment')}) WHERE orders_id NOT IN (SELECT unnest(?))",
                                [sorted(late)]).fetchone()[0]
        finally: con.close()
        pays = [p for e in sb.truth("orders", since=cfg["initialSyncStart"])["entities"]["orders"] if not is_deleted(e["object"]) and e["object"]["guid"] not in late
                for c in e["object"]["checks"] for p in c["payments"]]
        assert money == sum((p["amount"] for p in pays), Decimal(0))           # exact, to the cent
