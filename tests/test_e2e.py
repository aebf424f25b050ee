"""End to end: `fivetran debug` run by hand against the Toast sandbox, as a user would, in a scratch project.

Checks that the four tables of the first slice land, that a second run resumes from state, that bad
configuration fails with a one-line message naming the key, and that neither the client secret nor the
access token appears in the debug output, `files/state.json` or `crash-reports/`.
"""
import json, os, shutil, subprocess, sys
from datetime import timedelta
from pathlib import Path

import duckdb, pytest, requests

from toast_connector.sandbox.server import Sandbox
from toast_connector.windows import parse_ts
from clock import NOW

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from offline import offline_env  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIVETRAN = shutil.which("fivetran", path=str(Path(sys.executable).parent))

def make_project(tmp: Path) -> Path:
    "A scratch project dir holding connector.py and requirements.txt (the package is installed editable)."
    proj = tmp / "proj"
    proj.mkdir()
    for f in ("connector.py", "requirements.txt"): shutil.copy(ROOT / f, proj / f)
    return proj

def debug(proj: Path, cfg: dict, name="configuration.json"):
    "Run `fivetran debug` in `proj` with `cfg`; return (exit code, combined output)."
    path = proj.parent / name
    path.write_text(json.dumps(cfg))
    env = {**offline_env(), "PYTHONPATH": str(ROOT)}
    r = subprocess.run([FIVETRAN, "debug", str(proj), "--configuration", str(path)], cwd=proj, env=env,
                       capture_output=True, text=True, timeout=300)
    return r.returncode, r.stdout + r.stderr

def counts(proj: Path) -> dict:
    "Row counts per table in the scratch project's warehouse."
    con = duckdb.connect(str(proj / "files" / "warehouse.db"), read_only=True)
    try:
        tabs = [r[0] for r in con.execute("select table_name from information_schema.tables where table_schema='tester'").fetchall()]
        return {t: con.execute(f'select count(*) from tester."{t}"').fetchone()[0] for t in tabs}
    finally: con.close()

def token_of(sb) -> str:
    "The access token the sandbox hands this client (Toast returns the same one while it is valid)."
    r = requests.post(sb.url + "/authentication/v1/authentication/login", timeout=10,
                      json={"clientId": sb.client_id, "clientSecret": sb.client_secret, "userAccessType": "TOAST_MACHINE_CLIENT"})
    return r.json()["token"]["accessToken"]

@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(seed=11, restaurants=2, days=3, orders_per_day=12, rate_limits=0, now=NOW) as sb:
        yield sb

# Not marked `clock`: its orders are compared with the truth from initialSyncStart to each restaurant's window end (the
# state's cursor), so any instant must do (before 2026-12-04 the truth ran to the sandbox's now, and an order modified in
# the last 120 s, the safety lag, failed it at some instants). test_orders, test_sync and test_families check the cut in
# process at all six instants of tools/hours.py; what only this test checks (the CLI path, the resume, no secret in any
# output) does not depend on the hour, and its two `fivetran debug` processes were ~20 s of each instant's ~50 s rerun.
def test_debug_syncs_and_resumes(sandbox, tmp_path):
    proj = make_project(tmp_path)
    cfg = sandbox.configuration()
    rc, out = debug(proj, cfg)
    assert rc == 0, out[-3000:]
    got = counts(proj)
    for t in ("restaurant", "orders", "orders_check", "orders_check_selection"):
        assert got.get(t, 0) > 0, (t, got)
    state = json.loads((proj / "files" / "state.json").read_text())
    assert set(state["restaurants"]) == {r["restaurantGuid"] for r in sandbox.world.partner_restaurants()}
    cut = {g: parse_ts(c["orders"]["to"]) for g, c in state["restaurants"].items()}   # each restaurant's window end
    assert all(sandbox.now - timedelta(minutes=5) < t <= sandbox.now for t in cut.values()), cut
    truth = sandbox.truth("orders", since=cfg["initialSyncStart"])["entities"]["orders"]
    live = {o["object"]["guid"] for o in truth if not o["object"].get("deleted") and parse_ts(o["object"]["modifiedDate"]) < cut[o["restaurant"]]}
    con = duckdb.connect(str(proj / "files" / "warehouse.db"), read_only=True)
    ids = {r[0] for r in con.execute("select id from tester.orders where not _fivetran_deleted").fetchall()}
    con.close()
    assert live and ids == live

    sandbox.advance(6)
    rc2, out2 = debug(proj, sandbox.configuration(initialSyncStart=json.loads((proj.parent / "configuration.json").read_text())["initialSyncStart"]))
    assert rc2 == 0, out2[-3000:]
    assert "resum" in out2.lower(), out2[-3000:]

    secret, token = sandbox.client_secret, token_of(sandbox)
    blobs = [out, out2, (proj / "files" / "state.json").read_text()]
    blobs += [p.read_text(errors="replace") for p in (proj / "crash-reports").rglob("*") if p.is_file()] if (proj / "crash-reports").exists() else []
    for b in blobs:
        assert secret not in b and token not in b

def test_bad_configuration_names_the_key(sandbox, tmp_path):
    proj = make_project(tmp_path)
    rc, out = debug(proj, sandbox.configuration(initialSyncStart="2999-01-01T00:00:00.000Z"))
    assert rc != 0
    assert "configuration 'initialSyncStart': is in the future" in out
    assert sandbox.client_secret not in out

def test_failure_leaves_no_secret_in_crash_reports(sandbox, tmp_path):
    proj = make_project(tmp_path)
    cfg = sandbox.configuration(domain="http://127.0.0.1:9", maxAttempts="2", timeoutSeconds="2")
    rc, out = debug(proj, cfg)
    assert rc != 0
    texts = [out] + [p.read_text(errors="replace") for p in proj.rglob("*") if p.is_file() and p.suffix in (".json", ".txt", ".log", "")]
    assert not any(sandbox.client_secret in t for t in texts)


def test_a_failure_after_login_leaves_no_secret_or_token_anywhere(tmp_path):
    """A sync that fails once it holds an access token (Toast refusing every ordersBulk request, 422): neither the client
    secret nor the token is in the output, the crash report or any file the run left (helper-56: the test above fails
    before any login, and the SDK hides the configuration's values from its report by itself)."""
    with Sandbox(seed=11, restaurants=1, days=1, orders_per_day=3, rate_limits=0, now=NOW) as sb:
        sb.faults.set("422@/orders/v2/ordersBulk:1")
        proj = make_project(tmp_path)
        rc, out = debug(proj, sb.configuration(maxAttempts="2"))
        token = token_of(sb)                                   # the one the run was given (Toast hands out the same)
    assert rc != 0 and "ordersBulk" in out and len(token) > 40, out[-2000:]
    files = [p for p in proj.rglob("*") if p.is_file() and p.suffix in (".json", ".txt", ".log", "")]
    assert any("crash" in str(p) for p in files), [str(p) for p in files]   # the SDK wrote its report
    texts = [out] + [p.read_text(errors="replace") for p in files]
    assert not any(sb.client_secret in x or token in x for x in texts)
