"""Setup tests end to end: `fivetran configuration --test` (the SDK's CLI, as a user runs it) against the sandbox.

Each case writes a project directory holding the repository's `connector.py` and a `configuration.json` pointing
at an in-process sandbox, runs the CLI as a subprocess and checks what it prints: all tests passing, a bad secret
("bad client id or secret", no stack trace, no secret), and a client without some scopes (each missing family named).
"""
import json, os, re, shutil, subprocess, sys, sysconfig
from pathlib import Path

import pytest
import requests

from toast_connector.sandbox.data import ALL_SCOPES
from toast_connector.sandbox.server import Sandbox
from clock import NOW

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sysconfig.get_path("scripts")


def fivetran_cli():
    exe = shutil.which("fivetran", path=SCRIPTS)
    return [exe] if exe else [sys.executable, "-c", "import sys; from fivetran_connector_sdk import main; sys.exit(main())"]


@pytest.fixture
def sandbox():
    "One per test: each setup test logs in, and Toast allows a client two token requests an hour."
    with Sandbox(seed=3, restaurants=2, days=2, orders_per_day=5, now=NOW) as sb:
        yield sb


def configuration_test(tmp_path: Path, configuration: dict) -> tuple[int, str]:
    "Run `fivetran configuration --test` in a fresh project directory; return (exit code, output)."
    (tmp_path / "connector.py").write_bytes((ROOT / "connector.py").read_bytes())
    (tmp_path / "configuration.json").write_text(json.dumps(configuration))
    env = {**os.environ, "DO_NOT_TRACK": "1", "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "PATH": SCRIPTS + os.pathsep + os.environ.get("PATH", "")}
    for v in ("TOAST_CLIENT_ID", "TOAST_CLIENT_SECRET", "TOAST_FERNET_KEY"): env.pop(v, None)
    r = subprocess.run(fivetran_cli() + ["configuration", "--test"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120)
    out = r.stdout + r.stderr
    print(out)  # shown by pytest -s / on failure: the captured setup-test output
    return r.returncode, out


def results(out: str) -> dict:
    "{test name: 'PASSED' or the failure message} from the CLI's `[name - label]: result` lines."
    return {m[1]: m[2].strip() for m in re.finditer(r"\[(\w+) - [^\]]+\]: (.*)", out)}


def test_all_setup_tests_pass(tmp_path, sandbox):
    sandbox.set_scopes(ALL_SCOPES)
    rc, out = configuration_test(tmp_path, {**sandbox.configuration(), "lookback": "5"})
    assert rc == 0, out
    unknown = [l for l in out.splitlines() if "configuration 'lookback': unknown key, ignored" in l]   # a warning, as the sync's
    assert len(unknown) == 1 and "WARNING" in unknown[0] and "INFO" not in unknown[0], unknown        # (helper-71: INFO)
    assert results(out) == {"configuration_values": "PASSED", "toast_login": "PASSED",
                            "reachable_restaurants": "PASSED", "endpoint_families": "PASSED"}, out
    assert "All tests passed!" in out
    names = [r["restaurantName"] for r in sandbox.world.partner_restaurants()]
    assert len(names) == 2 and all(n in out for n in names)           # the reachable restaurants are listed by name
    assert "2 restaurant(s) reachable, 2 synced by this connection" in out
    for family in ("restaurants", "orders", "config", "menus", "labor", "labor.employees", "cash"):
        assert re.search(rf"{re.escape(family)} \([a-z.]+:read\): ok", out), family
    assert sandbox.client_secret not in out


def test_bad_secret_says_so(tmp_path, sandbox):
    sandbox.set_scopes(ALL_SCOPES)
    rc, out = configuration_test(tmp_path, sandbox.configuration(clientSecret="not-the-secret-123"))
    assert rc == 1, out
    r = results(out)
    assert r["configuration_values"] == "PASSED"
    assert r["toast_login"].startswith("bad client id or secret: Toast rejected the login at http://127.0.0.1:"), out
    assert "reachable_restaurants" not in r                          # the SDK stops at the first failure
    assert "Traceback" not in out and "not-the-secret-123" not in out


def test_missing_scopes_are_named(tmp_path, sandbox):
    sandbox.set_scopes([s for s in ALL_SCOPES if s not in ("labor:read", "cashmgmt:read")])
    try:
        rc, out = configuration_test(tmp_path, sandbox.configuration())
    finally:
        sandbox.set_scopes(ALL_SCOPES)
    assert rc == 1, out
    r = results(out)
    assert r["toast_login"] == "PASSED" and r["reachable_restaurants"] == "PASSED", out
    msg = r["endpoint_families"]
    assert msg.startswith("the client's scopes do not cover: labor (needs labor:read), cash (needs cashmgmt:read)"), msg
    assert "the token's scopes confirm it" in msg
    assert re.search(r"orders \(orders:read\): ok", out) and re.search(r"config \(config:read\): ok", out)
    assert "Traceback" not in out


def test_invalid_configuration_names_the_key(tmp_path, sandbox):
    rc, out = configuration_test(tmp_path, sandbox.configuration(initialSyncStart="last tuesday"))
    assert rc == 1
    assert results(out)["configuration_values"].startswith("configuration 'initialSyncStart': expected an ISO-8601"), out


def test_unreachable_host_is_one_line(tmp_path, sandbox):
    rc, out = configuration_test(tmp_path, sandbox.configuration(domain="http://127.0.0.1:9", timeoutSeconds="2"))
    assert rc == 1
    assert results(out)["toast_login"].startswith("cannot reach Toast at http://127.0.0.1:9"), out
    assert "Traceback" not in out


def test_management_group_client(tmp_path):
    "A restaurant-group (management) client: told to name one restaurant; with one named, it lists the group and passes."
    with Sandbox(seed=4, restaurants=2, days=1, orders_per_day=5, access="management", now=NOW) as sb:
        rc, out = configuration_test(tmp_path, sb.configuration())
        assert rc == 1
        assert "Put the GUID of any restaurant of the group in groupRestaurantIds" in results(out)["reachable_restaurants"], out
        guids = sb.world.restaurant_guids()
        rc, out = configuration_test(tmp_path, sb.configuration(groupRestaurantIds=guids[1]))
    r = results(out)
    assert rc == 0 and r["reachable_restaurants"] == "PASSED" and r["endpoint_families"] == "PASSED", out
    assert "2 restaurant(s) reachable, 2 synced by this connection" in out and "(management access)" in out


def test_missing_restaurants_scope_is_named(tmp_path, sandbox):
    sandbox.set_scopes([s for s in ALL_SCOPES if s != "restaurants:read"])
    try:
        rc, out = configuration_test(tmp_path, sandbox.configuration())
    finally:
        sandbox.set_scopes(ALL_SCOPES)
    assert rc == 1
    # partners-v1 lists a partner's restaurants whatever the scopes (helper-77): the list passes, the scope is named
    assert "but the client's scopes do not cover: restaurants (needs restaurants:read)" in results(out)["reachable_restaurants"], out


def test_a_spent_token_budget_is_named_with_when_to_try_again(tmp_path, sandbox):
    "Two token requests this hour already (another connection, an earlier test): the setup test says Toast refused, and when."
    body = {"clientId": sandbox.client_id, "clientSecret": sandbox.client_secret, "userAccessType": "TOAST_MACHINE_CLIENT"}
    for _ in range(2):
        assert requests.post(sandbox.url + "/authentication/v1/authentication/login", json=body, timeout=10).status_code == 200
    rc, out = configuration_test(tmp_path, sandbox.configuration())
    assert rc == 1
    login = results(out)["toast_login"]
    assert "Toast refused a new token (429: Too many token requests" in login and "try again after 2026-" in login, out
    assert sandbox.client_secret not in out
