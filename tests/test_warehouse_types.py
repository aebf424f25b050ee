"""The warehouse `fivetran debug` writes is the one the README documents: every declared table exists with its primary key
columns and `_fivetran_deleted` (also when no row has reached it), every timestamp is a UTC timestamp (never epoch
milliseconds or text), every business date an integer, `current_sql` runs on every orders and labor table, and
timestamps can be fetched from Python in the dev install (duckdb needs pytz for that).

Two syncs through the real SDK writer against sandboxes with pinned clocks: one with every scope (values to check
against the sandbox's own data), one with `restaurants:read` only, so that every other table is declared but empty."""
import json, re, shutil, subprocess, sys
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb, pytest

from toast_connector import labor, sync
from toast_connector.flatten import is_timestamp, table_keys
from toast_connector.orders import ORDERS, current_sql
from toast_connector.sandbox.server import Sandbox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from offline import offline_env  # noqa: E402

FIVETRAN = shutil.which("fivetran", path=str(Path(sys.executable).parent))
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=timezone.utc)        # pinned: the same world at any hour
TS = "TIMESTAMP WITH TIME ZONE"
NOT_MONEY = {"scale_price", "default_options_charge_price"}   # config-v2: a boolean; menus-v2: YES / NO
LABOR_TABLES = [t for s in labor.LABOR_STREAMS for t in table_keys(s.table, s.key, s.children)]
ORDER_TABLES = list(table_keys(ORDERS.table, ORDERS.key, ORDERS.children))


def synced(tmp: Path, **sandbox) -> tuple[Path, Sandbox]:
    "Sync a small sandbox with `fivetran debug` in a scratch project; return its warehouse.db and the (stopped) sandbox."
    proj = tmp / "proj"
    proj.mkdir(parents=True)
    for f in ("connector.py", "requirements.txt"): shutil.copy(ROOT / f, proj / f)
    with Sandbox(seed=11, restaurants=3, days=2, orders_per_day=10, rate_limits=0, now=NOW, **sandbox) as sb:
        (tmp / "configuration.json").write_text(json.dumps(sb.configuration()))
        r = subprocess.run([FIVETRAN, "debug", str(proj), "--configuration", str(tmp / "configuration.json")], cwd=proj,
                           env={**offline_env(), "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    return proj / "files" / "warehouse.db", sb


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    db, sb = synced(tmp_path_factory.mktemp("full"))
    con = duckdb.connect(str(db), read_only=True)
    yield con, sb
    con.close()


@pytest.fixture(scope="module")
def empty(tmp_path_factory):
    db, _ = synced(tmp_path_factory.mktemp("empty"), scopes="restaurants:read")
    con = duckdb.connect(str(db), read_only=True)
    yield con
    con.close()


def columns(con) -> dict:
    "{table: {column: DuckDB type}} of schema tester."
    out = {}
    for t, c, ty in con.execute("select table_name, column_name, data_type from information_schema.columns "
                                "where table_schema = 'tester'").fetchall():
        out.setdefault(t, {})[c] = ty
    return out


def count(con, t) -> int: return con.execute(f'select count(*) from tester."{t}"').fetchone()[0]


@pytest.mark.parametrize("which", ["full", "empty"])
def test_every_declared_table_has_its_key_and_fivetran_deleted(which, request):
    con = request.getfixturevalue(which)
    con = con[0] if isinstance(con, tuple) else con
    have = columns(con)
    declared = sync.tables()
    empty = [d["table"] for d in declared if d["table"] in have and count(con, d["table"]) == 0]
    if which == "empty":   # only restaurant and sync_log got rows: every other table exists from its declaration alone
        assert set(empty) == {d["table"] for d in declared} - {"restaurant", "sync_log"}, empty
    for d in declared:
        t = d["table"]
        assert t in have, f"declared table {t} is missing"
        assert have[t].get("_fivetran_deleted") == "BOOLEAN", (t, have[t])
        assert [k for k in d["primary_key"] if k not in have[t]] == [], (t, d["primary_key"], have[t])
        for c, kind in d["columns"].items():   # every declared column exists, with the declared type's DuckDB type
            want = {"UTC_DATETIME": TS, "INT": "INTEGER", "LONG": "BIGINT", "BOOLEAN": "BOOLEAN", "STRING": "VARCHAR",
                    "DOUBLE": "DOUBLE", "JSON": "JSON"}.get(kind) if isinstance(kind, str) else f"DECIMAL({kind['precision']},{kind['scale']})"
            assert have[t].get(c) == want, (t, c, kind, have[t].get(c))


@pytest.mark.parametrize("which", ["full", "empty"])
def test_timestamps_are_utc_timestamps_and_business_dates_integers(which, request):
    con = request.getfixturevalue(which)
    con = con[0] if isinstance(con, tuple) else con
    have, money = columns(con), set()
    for t, cols in have.items():
        for c, ty in cols.items():
            if c.endswith("business_date"): assert ty == "INTEGER", (t, c, ty)
            elif c.endswith("date") or c.endswith("_at") or c in ("last_updated", "_fivetran_synced"): assert ty == TS, (t, c, ty)
            if (re.search(r"(^|_)(amount|price|wage)$", c) or c == "tax") and c not in NOT_MONEY:   # money (README): exact, never a float
                money.add(c)
                assert ty == "DECIMAL(18,4)", (t, c, ty)                    # README: money DECIMAL(18,4)
            if ty == "VARCHAR":   # no timestamp hides in a text column
                bad = [v for (v,) in con.execute(f'select distinct "{c}" from tester."{t}" where "{c}" is not null').fetchall()
                       if is_timestamp(v)]
                assert not bad, (t, c, bad[:3])
    assert {"amount", "tax_amount", "price", "tax", "tip_amount", "hourly_wage", "charge_amount"} <= money, sorted(money)


def test_values_match_the_sandbox(full):
    con, sb = full
    # restaurant.created_date / modified_date: the partners list's epoch milliseconds, as UTC timestamps
    ms = {r["restaurantGuid"]: (r["createdDate"], r["modifiedDate"]) for r in sb.world.partner_restaurants()}
    got = {i: (c, m) for i, c, m in con.execute("select id, created_date, modified_date from tester.restaurant").fetchall()}
    assert set(got) == set(ms) and len(got) == 3
    for g, (c, m) in got.items():
        assert c.utcoffset().total_seconds() == 0 and (round(c.timestamp() * 1000), round(m.timestamp() * 1000)) == ms[g], (g, c, m)
    # text that looks like a number is the text Toast sent, and a JSON column keeps Toast's numbers as numbers (helper-78:
    # the phone landed as BIGINT 5550100, its column typed by the writer from the values; `delivery.minimum` as "15.00")
    for g, phone, cc, delivery in con.execute("select id, location_phone, location_phone_country_code, delivery "
                                              "from tester.restaurant").fetchall():
        loc, want = sb.world.restaurant(g)["location"], sb.world.restaurant(g)["delivery"]
        assert (phone, cc) == (loc["phone"], loc["phoneCountryCode"]), (phone, cc)
        got_d = json.loads(delivery, parse_float=Decimal)
        assert got_d == {**want, "minimum": Decimal(str(want["minimum"]))} and isinstance(got_d["minimum"], Decimal), delivery
    # time_entry.business_date: Toast's "yyyyMMdd" string, as that integer
    truth = {e["object"]["guid"]: e["object"]["businessDate"] for e in sb.truth("labor")["entities"]["timeEntries"]}
    rows = con.execute("select id, business_date from tester.time_entry").fetchall()
    assert len(rows) > 10
    for i, bd in rows:
        assert isinstance(bd, int) and str(bd) == truth[i], (i, bd, truth.get(i))
    # fetchall on timestamp columns works (pytz is in the dev install) and gives aware UTC datetimes
    opened = con.execute("select opened_date, modified_date from tester.orders").fetchall()
    assert opened and all(o.tzinfo is not None and o.utcoffset().total_seconds() == 0 for row in opened for o in row if o)


@pytest.mark.parametrize("which", ["full", "empty"])
def test_current_sql_runs_on_every_orders_and_labor_table(which, request):
    con = request.getfixturevalue(which)
    con = con[0] if isinstance(con, tuple) else con
    for t in ORDER_TABLES:
        n = len(con.execute(current_sql(t)).fetchall())
        assert n <= count(con, t)
        if which == "empty": assert n == 0
        elif t in ("orders", "orders_check", "orders_check_selection", "payment"): assert n > 0, t
    for t in LABOR_TABLES:
        n = len(con.execute(labor.current_sql(t)).fetchall())
        assert n <= count(con, t)
        if which == "full" and t in ("employee", "time_entry", "shift"): assert n > 0, t
