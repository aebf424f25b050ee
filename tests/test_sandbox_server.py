"""The Toast sandbox over real HTTP on 127.0.0.1: every endpoint family, Toast's rules, limits, faults, TLS, the CLI.

Small profiles only; the whole file runs in well under a minute.
"""
import json, os, re, signal, subprocess, sys, time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest, requests

from toast_connector.sandbox.data import ALL_SCOPES, CONFIG_ENDPOINTS, World
from toast_connector.sandbox.server import Sandbox, toast_ts, parse_toast_date
import clock

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 3, 10, 15, 30, tzinfo=timezone.utc)   # fixed: assertions below name its dates, windows and initialSyncStart
PROFILE = dict(seed=5, restaurants=2, days=4, orders_per_day=30, now=NOW)
LOGIN = "/authentication/v1/authentication/login"

def login(sb, session=None, **over):
    "POST the login; return the response."
    body = {"clientId": sb.client_id, "clientSecret": sb.client_secret, "userAccessType": "TOAST_MACHINE_CLIENT", **over}
    return (session or requests).post(sb.url + LOGIN, json=body, timeout=10, verify=sb.cert_path or True)

class Api:
    "A tiny test client: logs in, sends the restaurant header, returns responses (JSON parsed with Decimal)."
    def __init__(self, sb):
        self.sb, self.s = sb, requests.Session()
        self.token = login(sb, self.s).json()["token"]["accessToken"]
    def get(self, path, restaurant=None, params=None, token=None, **kw):
        h = {"Authorization": f"Bearer {token or self.token}"}
        if restaurant: h["Toast-Restaurant-External-ID"] = restaurant
        r = self.s.get(self.sb.url + path, headers=h, params=params, timeout=10, verify=self.sb.cert_path or True, **kw)
        if r.status_code == 401 and token is None and "expired" in r.text:   # as a client does: log in again once
            self.token = login(self.sb, self.s).json()["token"]["accessToken"]
            return self.get(path, restaurant, params, **kw)
        return r

def js(r): return json.loads(r.text, parse_float=Decimal)

@pytest.fixture(scope="module")
def sb():
    with Sandbox(**PROFILE, rate_limits=0) as s:
        yield s

@pytest.fixture(scope="module")
def api(sb): return Api(sb)

@pytest.fixture(scope="module")
def rg(sb): return sb.world.restaurant_guids()[0]

def window(end, days=2): return {"startDate": toast_ts(end - timedelta(days=days)), "endDate": toast_ts(end)}

def all_pages(api, rg, params, size=25):
    "Every order of a window, following Link rel=next; also returns the number of requests made."
    out, page, n = [], 1, 0
    while True:
        r = api.get("/orders/v2/ordersBulk", rg, {**params, "pageSize": size, "page": page}); n += 1
        assert r.status_code == 200, r.text
        batch = js(r)
        out += batch
        if 'rel="next"' not in r.headers.get("Link", "") or len(batch) < size: return out, n
        page += 1

# ---------------------------------------------------------------------------------------------- login and tokens
def test_login_shape_and_reuse():
    with Sandbox(**PROFILE, rate_limits=0) as sb:          # its own: the module's sandbox keeps its token budget for `api`
        a, b = login(sb), login(sb)
        assert a.status_code == b.status_code == 200
        ta, tb = a.json()["token"], b.json()["token"]
        assert a.json()["status"] == "SUCCESS" and a.json()["@class"] == ".SuccessfulResponse"
        assert set(ta) == {"tokenType", "accessToken", "expiresIn", "scope", "idToken", "refreshToken"}
        assert ta["tokenType"] == "Bearer" and ta["accessToken"] == tb["accessToken"]
        assert 0 < tb["expiresIn"] <= ta["expiresIn"] <= 86400
        claims = json.loads(__import__("base64").urlsafe_b64decode(ta["accessToken"].split(".")[1] + "=="))
        assert set(claims["scope"].split()) == set(ALL_SCOPES) and "partner_guid" in claims
        assert login(sb, clientSecret="wrong").status_code == 401
        assert login(sb, userAccessType="HUMAN").status_code == 400
        c = login(sb)                                           # a third token request within the hour: Toast's limit is two
        assert c.status_code == 429 and c.headers["Retry-After"] == "3600" and "Too many token requests" in js(c)["message"]
        sb.advance(1)
        assert login(sb).json()["token"]["accessToken"] == ta["accessToken"]    # an hour on: allowed, the same token
        st = sb.stats()
        assert st["logins"] == 3 and st["tokens_issued"] == 1 and st["status"]["401"] == 1 and st["status"]["429"] == 1

def test_login_needs_a_json_content_type_and_is_rate_limited_by_ip():
    body = {"clientId": "sandbox-client-id", "clientSecret": "sandbox-client-secret", "userAccessType": "TOAST_MACHINE_CLIENT"}
    with Sandbox(**PROFILE, rate_limits=1.0) as s:
        s.limiter.clock = lambda: 1000.25                     # one fixed rate-limit slice for the whole test
        for h in ({}, {"Content-Type": "text/plain"}):        # the same JSON, not declared as JSON: 415 (labor-v1's wording)
            r = requests.post(s.url + LOGIN, data=json.dumps(body), headers=h, timeout=10)
            assert r.status_code == 415 and js(r)["message"] == 'The request did not have "application/json" in the Content-Type header.'
        rs = [login(s, clientSecret="wrong") for _ in range(19)]   # 20 a second by IP address, the 415s counted too
        assert [r.status_code for r in rs] == [401] * 18 + [429]    # (wrong secrets: the client's own budget is two an hour)
        assert all(r.headers["X-Toast-RateLimit-By"] == "GLOBAL" and "X-Toast-RateLimit-Reset" in r.headers for r in rs)
        assert rs[0].headers["X-Toast-RateLimit-Remaining"] == "17" and rs[-1].headers["Retry-After"] == "1"

def test_token_errors_and_expiry():
    with Sandbox(**PROFILE, rate_limits=0, token_ttl=3600) as s:
        api, rg = Api(s), s.world.restaurant_guids()[0]
        assert api.get("/labor/v1/jobs", rg).status_code == 200
        assert api.get("/labor/v1/jobs", rg, token="nope").status_code == 401
        r = s_get = requests.get(s.url + "/labor/v1/jobs", headers={"Toast-Restaurant-External-ID": rg}, timeout=10)
        assert r.status_code == 401 and js(r)["message"].startswith("Missing")
        s.advance(2)                                            # past the 1 h lifetime on the sandbox clock
        r = api.get("/labor/v1/jobs", rg, token=api.token)
        assert r.status_code == 401 and js(r)["message"] == "Access token expired"
        new = login(s).json()["token"]
        assert new["accessToken"] != api.token and new["expiresIn"] == 3600
        assert api.get("/labor/v1/jobs", rg, token=new["accessToken"]).status_code == 200
        assert s.stats()["tokens_issued"] == 2

# ---------------------------------------------------------------------------------------------- headers and clock
def test_date_header_is_world_now(sb, api, rg):
    r = api.get("/labor/v1/jobs", rg)
    assert parsedate_to_datetime(r.headers["Date"]) == sb.now.replace(microsecond=0)
    assert parse_toast_date(r.headers["X-Sandbox-Now"]) == sb.now
    for h in ("X-Toast-RateLimit-By", "X-Toast-RateLimit-Remaining", "X-Toast-RateLimit-Reset"): assert h in r.headers

def test_restaurant_header_rules(sb, api, rg):
    r = api.get("/orders/v2/ordersBulk", None, window(NOW))
    assert r.status_code == 400 and "Toast-Restaurant-External-ID" in js(r)["message"] and js(r)["fieldName"] is None
    r = api.get("/orders/v2/ordersBulk", "00000000-0000-4000-8000-000000000000", window(NOW))
    assert r.status_code == 403
    body = js(r)
    assert list(body) == ["status", "code", "message", "messageKey", "fieldName", "link", "requestId",
                          "developerMessage", "errors", "canRetry"]
    assert api.get("/orders/v2/nothingHere", rg).status_code == 404

# ---------------------------------------------------------------------------------------------- restaurants
def test_restaurant_discovery(sb, api, rg):
    items = js(api.get("/partners/v1/restaurants"))
    assert {i["restaurantGuid"] for i in items} == set(sb.world.restaurant_guids())
    for i in items:
        assert {"restaurantGuid", "managementGroupGuid", "restaurantName", "locationName", "createdDate", "modifiedDate",
                "isoCreatedDate", "isoModifiedDate", "deleted"} <= set(i)
    env = js(api.get("/partners/v1/connectedRestaurants", params={"pageSize": 1}))
    assert {"results", "nextPageToken", "currentPageToken", "totalResultCount", "pageSize"} <= set(env)
    assert env["totalResultCount"] == 2 and len(env["results"]) == 1 and env["nextPageToken"]
    link = api.get("/partners/v1/connectedRestaurants", params={"pageSize": 1}).headers["Link"]
    assert link.endswith('rel="next"') and "pageToken=" + requests.utils.quote(env["nextPageToken"], safe="") in link
    env2 = js(api.get("/partners/v1/connectedRestaurants", params={"pageSize": 1, "pageToken": env["nextPageToken"]}))
    assert env2["nextPageToken"] is None and env2["results"][0] != env["results"][0]
    alone = api.get("/partners/v1/connectedRestaurants", params={"pageToken": env["nextPageToken"]})   # the token alone, as the spec says
    assert alone.status_code == 200 and js(alone)["results"] == env2["results"] and js(alone)["pageSize"] == 1
    assert 'rel="first"' in alone.headers["Link"] and 'rel="next"' not in alone.headers["Link"]
    assert api.get("/partners/v1/connectedRestaurants", params={"pageSize": 2, "pageToken": env["nextPageToken"]}).status_code == 400
    assert api.get("/partners/v1/connectedRestaurants", params={"pageSize": 201}).status_code == 400
    mg = sb.world.management_group_guid
    assert js(api.get(f"/restaurants/v1/groups/{mg}/restaurants", rg)) == [{"guid": g} for g in sb.world.restaurant_guids()]
    assert api.get(f"/restaurants/v1/groups/{mg}/restaurants").status_code == 400         # needs a restaurant header
    d = js(api.get(f"/restaurants/v1/restaurants/{rg}", rg))
    assert d["guid"] == rg and {"name", "timeZone", "closeoutHour", "managementGroupGuid"} <= set(d["general"])
    assert api.get("/restaurants/v1/restaurants/00000000-0000-4000-8000-000000000000", rg).status_code == 404
    for v, code in (("true", 200), ("FALSE", 200), ("banana", 400), ("1", 400)):            # restaurants-v1: a boolean
        assert api.get(f"/restaurants/v1/restaurants/{rg}", rg, params={"includeArchived": v}).status_code == code, v

def test_management_access():
    with Sandbox(**PROFILE, rate_limits=0, access="management") as s:
        api, rg = Api(s), s.world.restaurant_guids()[0]
        assert api.get("/partners/v1/restaurants").status_code == 403
        assert api.get("/partners/v1/connectedRestaurants").status_code == 403
        r = api.get(f"/restaurants/v1/groups/{s.world.management_group_guid}/restaurants", rg)
        assert r.status_code == 200 and len(js(r)) == 2
        assert api.get("/restaurants/v1/groups/00000000-0000-4000-8000-000000000000/restaurants", rg).status_code == 403

# ---------------------------------------------------------------------------------------------- orders
def test_orders_bulk_paging_and_fields(sb, api, rg):
    got, n = all_pages(api, rg, window(NOW))
    # the index does not see changes younger than `index_lag_ms` yet: an order still being rung up is edited until now
    want = sb.world.orders_modified(rg, NOW - timedelta(days=2), NOW - timedelta(milliseconds=sb.index_lag_ms - 1))
    assert len(want) > 25 and n >= 2
    assert [o["guid"] for o in got] == [o["guid"] for o in want]
    o = got[0]
    assert {"guid", "entityType", "openedDate", "modifiedDate", "businessDate", "voided", "deleted", "checks"} <= set(o)
    assert isinstance(o["businessDate"], int)
    c = o["checks"][0]
    assert {"guid", "amount", "totalAmount", "paymentStatus", "selections", "payments"} <= set(c)
    assert all(NOW - timedelta(days=2) <= parse_toast_date(x["modifiedDate"]) < NOW for x in got)
    # money travels as exact numbers: 2 decimal places in the raw text
    raw = api.get("/orders/v2/ordersBulk", rg, {**window(NOW), "pageSize": 5}).text
    assert re.search(r'"totalAmount":-?\d+\.\d\d[,}]', raw)
    # Link: next on a non-empty page, prev after page 1, never last
    r = api.get("/orders/v2/ordersBulk", rg, {**window(NOW), "pageSize": 5, "page": 2})
    assert 'rel="next"' in r.headers["Link"] and 'rel="prev"' in r.headers["Link"] and "last" not in r.headers["Link"]
    assert "page=3" in r.headers["Link"] and "%2B0000" in r.headers["Link"]
    # one order by guid; businessDate selection
    one = js(api.get(f"/orders/v2/orders/{o['guid']}", rg))
    assert one["guid"] == o["guid"]
    assert api.get("/orders/v2/orders/00000000-0000-4000-8000-000000000000", rg).status_code == 404
    bd = js(api.get("/orders/v2/ordersBulk", rg, {"businessDate": str(o["businessDate"]), "pageSize": 100}))
    assert bd and all(x["businessDate"] == o["businessDate"] for x in bd)

def test_orders_bulk_validation(sb, api, rg):
    w = window(NOW)
    raw = f"/orders/v2/ordersBulk?startDate={w['startDate']}&endDate={w['endDate']}"     # '+' not encoded
    r = api.s.get(sb.url + raw, headers={"Authorization": f"Bearer {api.token}", "Toast-Restaurant-External-ID": rg}, timeout=10)
    assert r.status_code == 400 and js(r)["message"].startswith(f"Invalid date format for startDate: '{w['startDate'].replace('+', ' ')}'")
    bad = [{"startDate": w["endDate"], "endDate": w["startDate"]},                        # reversed
           window(NOW, days=32),                                                            # over a month
           {"startDate": "2026-03-01"}, {"startDate": "garbage", "endDate": w["endDate"]},
           {**w, "pageSize": 101}, {**w, "page": 0}, {}, {"businessDate": "2026-03-01"}]
    for p in bad: assert api.get("/orders/v2/ordersBulk", rg, p).status_code == 400, p
    assert api.get("/orders/v2/ordersBulk", rg, window(NOW, days=28)).status_code == 200          # never over a month
    assert api.get("/orders/v2/ordersBulk", rg, window(NOW, days=29)).status_code == 400          # Feb 9 + 1 month = Mar 9

def test_every_date_parameter_takes_only_toasts_format(sb, api, rg):
    "yyyy-MM-dd'T'HH:mm:ss.SSSZ only: a literal Z, +00:00, no fraction or another number of digits is a 400 naming the parameter and the value."
    w = window(NOW)
    wrong = lambda ts: [ts.replace(".000+0000", ".000Z"), ts.replace("+0000", "+00:00"), ts.replace(".000", ""),
                        ts.replace(".000", ".0"), ts.replace(".000", ".000000")]
    cases = [("/orders/v2/ordersBulk", "startDate", "endDate"), ("/labor/v1/shifts", "startDate", "endDate"),
             ("/labor/v1/timeEntries", "startDate", "endDate"), ("/labor/v1/timeEntries", "modifiedStartDate", "modifiedEndDate")]
    for path, a, b in cases:
        assert api.get(path, rg, {a: w["startDate"], b: w["endDate"]}).status_code == 200, path
        for name, other in ((a, b), (b, a)):
            for v in wrong(w["startDate"] if name == a else w["endDate"]):
                r = api.get(path, rg, {name: v, other: w["endDate"] if name == a else w["startDate"]})
                msg = js(r)["message"]
                assert r.status_code == 400 and msg.startswith(f"Invalid date format for {name}: {v!r}"), (path, name, v, msg)
    for path, who in (("/config/v2/tables", rg), ("/partners/v1/restaurants", None)):
        assert api.get(path, who, {"lastModified": w["startDate"]}).status_code == 200
        for v in wrong(w["startDate"]):
            r = api.get(path, who, {"lastModified": v})
            assert r.status_code == 400 and js(r)["message"].startswith(f"Invalid date format for lastModified: {v!r}"), (path, v)

def test_edited_order_rehomes():
    with Sandbox(**PROFILE, rate_limits=0) as s:
        api, rgs = Api(s), s.world.restaurant_guids()
        t0 = s.now
        before = {rg: {o["guid"] for o in all_pages(api, rg, window(t0, days=s.days))[0]} for rg in rgs}
        s.advance(24)
        t1 = s.now
        moved = 0
        for rg in rgs:
            new = {o["guid"]: o for o in all_pages(api, rg, {"startDate": toast_ts(t0), "endDate": toast_ts(t1)})[0]}
            old_now = {o["guid"] for o in all_pages(api, rg, window(t0, days=s.days))[0]}
            edited = before[rg] & set(new)                      # old orders whose modifiedDate moved into the new window
            moved += len(edited)
            assert not (edited & old_now)                      # ... and that left the old window
            assert all(parse_toast_date(new[g]["modifiedDate"]) >= t0 for g in edited)
        assert moved > 0

# ---------------------------------------------------------------------------------------------- config and menus
def test_config_endpoints(sb, api, rg):
    served = {}
    for ep in CONFIG_ENDPOINTS:
        r = api.get(f"/config/v2/{ep}", rg)
        assert r.status_code == 200, (ep, r.text)
        items = js(r)
        assert isinstance(items, list)
        for it in items: assert "guid" in it, ep
        served[ep] = len(items)
    assert sum(n > 0 for n in served.values()) >= len(CONFIG_ENDPOINTS) - 3, served   # the loop above checked something
    tw = api.get("/config/v2/tipWithholding", rg)
    assert tw.status_code == 200 and isinstance(js(tw), dict)
    assert api.get("/config/v2/notAnEndpoint", rg).status_code == 404
    assert api.get("/config/v2/menuItems", rg, {"lastModified": "2026-03-01T00:00:00.000 0000"}).status_code == 400

def test_config_paging_and_409():
    with Sandbox(**PROFILE, rate_limits=0) as s:
        s.config_page_size = 2
        api, rg = Api(s), s.world.restaurant_guids()[0]
        ep = next(e for e in CONFIG_ENDPOINTS if len(s.world.config_list(rg, e)) > 4)
        full = s.world.config_list(rg, ep)
        got, tok = [], None
        while True:                                         # a full walk while nothing changes
            r = api.get(f"/config/v2/{ep}", rg, {"pageToken": tok} if tok else None)
            assert r.status_code == 200
            got += js(r); tok = r.headers.get("Toast-Next-Page-Token")
            if not tok: break
        assert [x["guid"] for x in got] == [x["guid"] for x in full]
        r = api.get(f"/config/v2/{ep}", rg)
        tok = r.headers["Toast-Next-Page-Token"]
        v0 = s.world.config_version(rg)
        for _ in range(30):                                 # a publish/config edit lands mid-pagination
            s.advance(12)
            if s.world.config_version(rg) != v0: break
        assert s.world.config_version(rg) != v0
        r = api.get(f"/config/v2/{ep}", rg, {"pageToken": tok})
        assert r.status_code == 409 and js(r)["status"] == 409
        assert api.get(f"/config/v2/{ep}", rg).status_code == 200                  # restarting works
        assert api.get(f"/config/v2/{ep}", rg, {"pageToken": "bogus"}).status_code == 400

def test_menus(sb, api, rg):
    m = api.get("/menus/v2/metadata", rg)
    assert m.status_code == 200 and {"restaurantGuid", "lastUpdated"} <= set(js(m))
    r = api.get("/menus/v2/menus", rg)
    assert r.status_code == 200
    assert {"restaurantGuid", "lastUpdated", "restaurantTimeZone", "menus", "modifierGroupReferences",
            "modifierOptionReferences", "preModifierGroupReferences"} <= set(js(r))

def test_menus_404_before_publish():
    class Unpublished(World):
        def menus_metadata(self, rguid): return None
        def menus(self, rguid): return None
    with Sandbox(world=Unpublished(seed=5, restaurants=1, days=1, orders_per_day=5, now=NOW), rate_limits=0) as s:
        api, rg = Api(s), s.world.restaurant_guids()[0]
        assert api.get("/menus/v2/metadata", rg).status_code == 404
        assert api.get("/menus/v2/menus", rg).status_code == 404

# ---------------------------------------------------------------------------------------------- labor and cash
def test_labor(sb, api, rg):
    emps = js(api.get("/labor/v1/employees", rg))
    assert emps and {"guid", "firstName", "lastName", "jobReferences", "wageOverrides", "deleted"} <= set(emps[0])
    one = js(api.get("/labor/v1/employees", rg, {"employeeIds": emps[0]["guid"]}))
    assert [e["guid"] for e in one] == [emps[0]["guid"]]
    assert api.get("/labor/v1/employees", rg, {"employeeIds": [f"x{i}" for i in range(101)]}).status_code == 400
    assert js(api.get("/labor/v1/employees", rg, {"employeeIds": ",".join(e["guid"] for e in emps[:2])})) == []   # one id, never split
    assert api.get("/labor/v1/employees", rg, {"employeeIds": [e["guid"] for e in emps[:2]]}).status_code == 200
    assert api.get("/labor/v1/employees", rg, {"employeeIds": ""}).status_code == 400
    jobs = js(api.get("/labor/v1/jobs", rg))
    assert jobs and {"guid", "title", "tipped"} <= set(jobs[0])
    w = window(NOW, days=3)
    sh = api.get("/labor/v1/shifts", rg, w)
    assert sh.status_code == 200 and js(sh) and all({"guid", "inDate", "employeeReference"} <= set(x) for x in js(sh))
    lo, hi = parse_toast_date(w["startDate"]), parse_toast_date(w["endDate"])   # labor-v1: inDate >= start and outDate < end
    want = {o["guid"] for e in sb.truth("labor")["entities"]["shifts"] if e["restaurant"] == rg and not (o := e["object"])["deleted"]
            and lo <= parse_toast_date(o["inDate"]) and o["outDate"] and parse_toast_date(o["outDate"]) < hi}
    assert {x["guid"] for x in js(sh)} == want
    assert api.get("/labor/v1/shifts", rg, window(NOW, days=40)).status_code == 400
    assert api.get("/labor/v1/shifts", rg).status_code == 400
    te = js(api.get("/labor/v1/timeEntries", rg, {"modifiedStartDate": w["startDate"], "modifiedEndDate": w["endDate"]}))
    assert te and {"guid", "inDate", "businessDate", "employeeReference", "breaks", "regularHours"} <= set(te[0])
    assert isinstance(te[0]["businessDate"], str)
    assert api.get("/labor/v1/timeEntries", rg, w).status_code == 200
    assert api.get("/labor/v1/timeEntries", rg, {"businessDate": te[0]["businessDate"]}).status_code == 200
    assert api.get("/labor/v1/timeEntries", rg).status_code == 400                                   # no selector
    assert api.get("/labor/v1/timeEntries", rg, {**w, "businessDate": "20260301"}).status_code == 400  # two selectors
    assert api.get("/labor/v1/timeEntries", rg, {"modifiedStartDate": w["startDate"]}).status_code == 400
    assert api.get("/labor/v1/timeEntries", rg, {"modifiedStartDate": toast_ts(NOW - timedelta(days=40)),
                                                 "modifiedEndDate": w["endDate"]}).status_code == 400

def test_cash(sb, api, rg):
    found = False
    for d in range(4):
        bd = (NOW - timedelta(days=d)).strftime("%Y%m%d")
        e, dp = api.get("/cashmgmt/v1/entries", rg, {"businessDate": bd}), api.get("/cashmgmt/v1/deposits", rg, {"businessDate": bd})
        assert e.status_code == dp.status_code == 200
        for x in js(e): assert {"guid", "entityType", "date", "amount", "type"} <= set(x); found = True
        for x in js(dp): assert {"guid", "entityType", "date", "amount"} <= set(x)
    assert found
    assert api.get("/cashmgmt/v1/entries", rg).status_code == 400
    assert api.get("/cashmgmt/v1/deposits", rg, {"businessDate": "2026-03-01"}).status_code == 400

# ---------------------------------------------------------------------------------------------- scopes
def test_missing_scope_is_403_on_that_family_only():
    with Sandbox(**PROFILE, rate_limits=0, scopes=[s for s in ALL_SCOPES if s != "labor.employees:read"]) as s:
        api, rg = Api(s), s.world.restaurant_guids()[0]
        assert api.get("/labor/v1/employees", rg).status_code == 403
        assert "labor.employees:read" in js(api.get("/labor/v1/employees", rg))["message"]
        assert api.get("/labor/v1/jobs", rg).status_code == 200
        assert api.get("/orders/v2/ordersBulk", rg, window(NOW)).status_code == 200
        old = api.token
        s.set_scopes([x for x in ALL_SCOPES if x != "orders:read"])                  # switch at runtime: for tokens issued after it
        assert api.get("/orders/v2/ordersBulk", rg, window(NOW)).status_code == 200      # the token keeps the scopes it carries
        assert api.get("/labor/v1/employees", rg).status_code == 403
        api.token = login(s).json()["token"]["accessToken"]                         # a new token: the new scopes
        assert api.token != old and api.get("/orders/v2/ordersBulk", rg, window(NOW)).status_code == 403
        assert api.get("/labor/v1/employees", rg).status_code == 200
        assert api.get("/config/v2/tables", rg).status_code == 200
        r = requests.post(s.url + "/_sandbox/scopes", json={"scopes": ["config:read"]}, timeout=10)
        assert r.json() == {"scopes": ["config:read"]}
        assert api.get("/labor/v1/jobs", rg).status_code == 200                     # not for a token issued before
        s.advance(1)                                                                # (two token requests an hour)
        tok = login(s).json()["token"]["accessToken"]                               # a new token carries the new scopes
        claims = json.loads(__import__("base64").urlsafe_b64decode(tok.split(".")[1] + "=="))
        assert tok != api.token and claims["scope"] == "config:read"
        assert api.get("/labor/v1/jobs", rg, token=tok).status_code == 403 and api.get("/config/v2/tables", rg, token=tok).status_code == 200

# ---------------------------------------------------------------------------------------------- rate limits
def test_orders_bulk_rate_limit():
    with Sandbox(**PROFILE, rate_limits=1.0) as s:
        api, rgs = Api(s), s.world.restaurant_guids()
        p = {**window(NOW), "pageSize": 1}
        rs = [api.get("/orders/v2/ordersBulk", rgs[0], p) for _ in range(11)]   # > 5/s in at least one 1 s slice
        codes = [r.status_code for r in rs]
        assert 429 in codes and codes[0] == 200, codes
        r = next(r for r in rs if r.status_code == 429)
        assert r.headers["X-Toast-RateLimit-By"] == "ENDPOINT" and r.headers["X-Toast-RateLimit-Remaining"] == "0"
        assert int(r.headers["Retry-After"]) >= 1 and int(r.headers["X-Toast-RateLimit-Reset"]) >= int(s.now.timestamp())
        assert js(r)["status"] == 429 and js(r)["canRetry"] is None and js(r)["code"] == 10050   # canRetry: reserved, null
        assert api.get("/orders/v2/ordersBulk", rgs[1], p).status_code == 200    # another restaurant is unaffected
        assert api.get("/labor/v1/jobs", rgs[0]).status_code == 200             # other endpoints have their own budget
        assert s.stats()["status"]["429"] == codes.count(429)

# ---------------------------------------------------------------------------------------------- faults
def test_faults_are_reproducible_and_each_kind_happens():
    def run():
        with Sandbox(**PROFILE, rate_limits=0, faults="503:0.15,drop:0.1,truncate:0.15,timeout:0.1", fault_seed=9) as s:
            s.slow_seconds = 0.05
            api = None
            while api is None:
                try: api = Api(s)
                except (requests.ConnectionError, ValueError, KeyError): pass
            rg, seen = s.world.restaurant_guids()[0], []
            for _ in range(40):
                try:
                    r = api.get("/labor/v1/jobs", rg)
                    try: json.loads(r.text); seen.append(r.status_code)
                    except ValueError: seen.append("truncated")
                except requests.ConnectionError: seen.append("drop")
            return seen, s.stats()["faults"]
    a, fa = run()
    b, fb = run()
    assert a == b and fa == fb
    assert {200, 503, "drop", "truncated"} <= set(a)
    assert fa.get("timeout", 0) >= 1

def test_latency():
    with Sandbox(**PROFILE, rate_limits=0, latency_ms=60) as s:
        api, rg = Api(s), s.world.restaurant_guids()[0]
        t = time.perf_counter(); api.get("/labor/v1/jobs", rg)
        assert time.perf_counter() - t >= 0.06

# ---------------------------------------------------------------------------------------------- determinism
def test_same_seed_same_bytes():
    def transcript():
        with Sandbox(**PROFILE, rate_limits=0) as s:
            api, out = Api(s), []
            out.append(login(s).content)
            rg = s.world.restaurant_guids()[0]
            calls = [("/partners/v1/restaurants", None, None), ("/orders/v2/ordersBulk", rg, {**window(NOW), "pageSize": 50}),
                     ("/config/v2/menuItems", rg, None), ("/menus/v2/menus", rg, None), ("/labor/v1/employees", rg, None),
                     ("/labor/v1/timeEntries", rg, {"businessDate": (NOW - timedelta(days=1)).strftime("%Y%m%d")}),
                     ("/cashmgmt/v1/entries", rg, {"businessDate": (NOW - timedelta(days=1)).strftime("%Y%m%d")}),
                     ("/orders/v2/ordersBulk", rg, {"startDate": "bad"})]
            for path, r, p in calls:
                resp = api.get(path, r, p)
                out.append((resp.status_code, resp.headers["Date"], resp.content))
            s.advance(6)
            resp = api.get("/orders/v2/ordersBulk", rg, {"startDate": toast_ts(NOW), "endDate": toast_ts(s.now)})
            out.append((resp.status_code, resp.content))
            return out
    a, b = transcript(), transcript()
    assert len(a) == 10 and a == b

# ---------------------------------------------------------------------------------------------- sandbox endpoints
def test_sandbox_endpoints(sb, api, rg):
    st = requests.get(sb.url + "/_sandbox/stats", timeout=10).json()
    assert {"requests", "status", "logins", "tokens_issued"} <= set(st)
    assert st["requests"]["GET /orders/v2/ordersBulk"][rg] >= 1
    t = requests.get(sb.url + "/_sandbox/truth/restaurants", timeout=10)
    assert t.status_code == 200 and {"entities", "removed"} <= set(t.json())
    assert requests.get(sb.url + "/_sandbox/truth/nope", timeout=10).status_code == 404
    since = sb.configuration()["initialSyncStart"]                 # cut where a connection starting now would start
    cut = requests.get(sb.url + "/_sandbox/truth/orders", params={"since": since}, timeout=10).json()["entities"]["orders"]
    assert [e["object"]["guid"] for e in cut] == [e["object"]["guid"] for e in sb.truth("orders", since=since)["entities"]["orders"]]
    assert 0 < len(cut) < len(sb.truth("orders")["entities"]["orders"])
    assert requests.get(sb.url + "/_sandbox/truth/orders", params={"since": "soon"}, timeout=10).status_code == 400
    for bad in ("-1", "abc", "inf", "nan"):                        # the value is quoted (helper-71); inf would never return
        r = requests.post(sb.url + f"/_sandbox/advance?hours={bad}", timeout=10)
        assert (r.status_code, r.json()["message"]) == (400, f"hours must be a finite number, 0 or more, not {bad!r}"), r.text
    r = requests.post(sb.url + "/_sandbox/advance", timeout=10)
    assert (r.status_code, r.json()["message"]) == (400, "hours is required: POST /_sandbox/advance?hours=H"), r.text

def test_advance_endpoint_moves_clock():
    with Sandbox(**PROFILE, rate_limits=0) as s:
        r = requests.post(s.url + "/_sandbox/advance?hours=2", timeout=30)
        assert r.status_code == 200 and s.now == NOW + timedelta(hours=2)
        assert r.json()["now"] == toast_ts(NOW + timedelta(hours=2))
        assert parsedate_to_datetime(r.headers["Date"]) == NOW + timedelta(hours=2)

def test_configuration(sb):
    cfg = sb.configuration(key="k")
    assert cfg["domain"] == sb.url and cfg["clientId"] == sb.client_id and cfg["key"] == "k"
    assert all(isinstance(v, str) for v in cfg.values())
    assert cfg["initialSyncStart"] == "2026-03-06T15:30:00.000Z"

# ---------------------------------------------------------------------------------------------- TLS and CLI
def test_tls():
    with Sandbox(**PROFILE, rate_limits=0, tls=True) as s:
        assert s.url.startswith("https://127.0.0.1:") and Path(s.cert_path).exists()
        api, rg = Api(s), s.world.restaurant_guids()[0]
        assert api.get("/labor/v1/jobs", rg).status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(s.url + "/_sandbox/stats", timeout=10)                  # the cert is not in the default store
        cert = s.cert_path
    assert not Path(cert).exists()

@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM"])
def test_cli_prints_url_and_stops(stop):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DO_NOT_TRACK": "1"}
    p = subprocess.Popen([sys.executable, "-m", "toast_connector.sandbox", "--port", "0", "--seed", "3", "--restaurants", "1",
                          "--days", "2", "--orders-per-day", "10", "--tls", "--scopes", "orders:read,config:read"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        line = p.stdout.readline().strip()
        m = re.fullmatch(r"Toast sandbox ready at (https://127\.0\.0\.1:\d+)", line)
        assert m, (line, p.stderr.read() if p.poll() is not None else "")
        creds = p.stdout.readline().strip()
        assert creds == "clientId=sandbox-client-id clientSecret=sandbox-client-secret"
        cert = p.stdout.readline().strip()
        assert cert.startswith("certificate=") and Path(cert.split("=", 1)[1]).exists()
        r = requests.post(m[1] + LOGIN, json={"clientId": "sandbox-client-id", "clientSecret": "sandbox-client-secret",
                                              "userAccessType": "TOAST_MACHINE_CLIENT"}, verify=cert.split("=", 1)[1], timeout=10)
        claims = json.loads(__import__("base64").urlsafe_b64decode(r.json()["token"]["accessToken"].split(".")[1] + "=="))
        assert claims["scope"] == "config:read orders:read"
        assert r.headers["X-Sandbox-Now"] == clock.ISO           # no --now: the clock of TOAST_SANDBOX_NOW (tests/conftest.py)
    finally:
        if sys.platform == "win32": p.terminate()                   # no signals to deliver: a hard stop
        else: p.send_signal(getattr(signal, stop))                  # Ctrl-C, or a service manager's SIGTERM
        out, err = p.communicate(timeout=15)
    if sys.platform != "win32":
        assert p.returncode == 0, err
        assert "Toast sandbox stopped" in out and "Traceback" not in err

def test_newly_connected_restaurant_is_403_for_15_minutes():
    class JustConnected(World):
        "The first restaurant connected 5 minutes before the start."
        def partner_restaurants(self, **kw):
            items = super().partner_restaurants(**kw)
            items[0] = {**items[0], "createdDate": int(NOW.timestamp() * 1000) - 300_000}
            return items
    with Sandbox(world=JustConnected(seed=5, restaurants=2, days=1, orders_per_day=5, now=NOW), rate_limits=0) as s:
        api, (new, old) = Api(s), s.world.restaurant_guids()
        assert api.get("/labor/v1/jobs", new).status_code == 403
        assert api.get("/labor/v1/jobs", old).status_code == 200
        assert new in {r["restaurantGuid"] for r in js(api.get("/partners/v1/restaurants"))}   # listed, not yet usable
        s.advance(0.25)                                                                         # 15 minutes later
        assert api.get("/labor/v1/jobs", new).status_code == 200

def test_fresh_changes_reach_the_modified_index_late():
    class Fresh(World):
        "One order was modified 200 ms before the start."
        def orders_modified(self, rguid, start, end):
            out = list(super().orders_modified(rguid, start, end))
            if out and start <= NOW - timedelta(milliseconds=200) < end:
                out[-1] = {**out[-1], "modifiedDate": toast_ts(NOW - timedelta(milliseconds=200)), "guid": "fresh"}
            return out
    with Sandbox(world=Fresh(seed=5, restaurants=1, days=2, orders_per_day=20, now=NOW), rate_limits=0) as s:
        api, rg = Api(s), s.world.restaurant_guids()[0]
        w = {"startDate": toast_ts(NOW - timedelta(hours=6)), "endDate": toast_ts(NOW + timedelta(seconds=1)), "pageSize": 100}
        assert "fresh" not in {o["guid"] for o in js(api.get("/orders/v2/ordersBulk", rg, w))}
        s.advance(1 / 3600)                                                  # one second later it is indexed
        assert "fresh" in {o["guid"] for o in js(api.get("/orders/v2/ordersBulk", rg, w))}

# ---------------------------------------------------------------------------------------------- the world moves while a client pages
def test_a_deleted_shift_is_not_served_unless_the_world_says_so():
    """labor-v1 does not say GET /shifts serves deleted shifts (its jobs leave theirs out): by default a deleted shift is
    in no date range and not served by `shiftIds` either; `deleted_shifts_served` serves it, flagged."""
    with Sandbox(seed=0, restaurants=1, days=10, orders_per_day=5, now=NOW, rate_limits=0) as s:
        api, g = Api(s), s.world.restaurant_guids()[0]
        gone = [e["object"] for e in s.truth("labor")["entities"]["shifts"] if e["object"]["deleted"]]
        assert gone
        x = gone[0]
        span = {"startDate": toast_ts(datetime.fromisoformat(x["inDate"].replace("+0000", "+00:00")) - timedelta(hours=1)),
                "endDate": toast_ts(datetime.fromisoformat(x["outDate"].replace("+0000", "+00:00")) + timedelta(hours=1))}
        served = lambda q: [o for o in js(api.get("/labor/v1/shifts", g, q)) if o["guid"] == x["guid"]]
        assert served(span) == [] and served({"shiftIds": [x["guid"]]}) == []
        assert js(api.get("/labor/v1/shifts", g, span))                          # the others in that range are served
        s.world.deleted_shifts_served = True
        assert [o["deleted"] for o in served(span)] == [True] and [o["deleted"] for o in served({"shiftIds": [x["guid"]]})] == [True]


def test_order_edited_between_pages_shifts_the_pages():
    """ordersBulk recomputes a window on every page request, by modifiedDate (the orders of one instant shuffled on
    every request; none here). An order of page 1 edited before page 2 is served leaves the window; every later order
    slides one place forward, so a client walking pages 1, 2, 3 never sees the order that moved from page 2 to page 1."""
    with Sandbox(**PROFILE, rate_limits=0) as s:
        api, rg = Api(s), s.world.restaurant_guids()[0]
        p = window(NOW - timedelta(minutes=5))
        before = [o["guid"] for o in all_pages(api, rg, p, size=10)[0]]
        assert len(before) > 30 and before == [o["guid"] for o in all_pages(api, rg, p, size=10)[0]]   # the same on every request
        mods = [o["modifiedDate"] for o in all_pages(api, rg, p, size=10)[0]]
        assert mods == sorted(mods) and len(set(mods)) == len(mods)    # by modifiedDate, no two of one instant
        page = lambda n: js(api.get("/orders/v2/ordersBulk", rg, {**p, "pageSize": 10, "page": n}))
        p1 = page(1)
        calls = []
        def hook(sb, call):
            calls.append(call.template)
            if call.template == "GET /orders/v2/ordersBulk" and call.query.get("page") == ["2"] and len(calls) == 1:
                assert sb.world.edit_order(call.restaurant, p1[3]["guid"])   # now: past the window's end
        s.on_request = hook
        walked = [o["guid"] for o in p1] + [o["guid"] for n in (2, 3, 4, 5, 6, 7) for o in page(n)]
        s.on_request = None
        missed = set(before) - set(walked) - {p1[3]["guid"]}
        assert missed == {before[10]}, missed                            # page 2's first order slid onto page 1
        after = [o["guid"] for o in all_pages(api, rg, p, size=10)[0]]
        assert before[10] in after and p1[3]["guid"] not in after        # it is still in the window; the edited one left

# ---------------------------------------------------------------------------------------------- 429 bursts last a while
def test_429_burst_ends_when_retry_after_has_passed():
    "A drawn 429 refuses the same restaurant for a span of time: retrying at once meets 429s, honouring Retry-After gets through."
    with Sandbox(**PROFILE, rate_limits=0, faults="429:0.2", fault_seed=3) as s:
        now = [1000.0]
        s.faults.clock = lambda: now[0]         # the bursts' clock, held still: no machine is too slow for this test
        api, rg = Api(s), s.world.restaurant_guids()[0]
        r = None
        for _ in range(100):
            r = api.get("/labor/v1/jobs", rg)
            if r.status_code == 429: break
        assert r.status_code == 429
        wait = int(r.headers["Retry-After"])
        assert 1 <= wait <= 2
        assert [api.get("/labor/v1/jobs", rg).status_code for _ in range(5)] == [429] * 5   # at once: still refused
        now[0] += wait                          # Retry-After honoured
        s.faults.rates = {"429": 0.0}          # no new bursts: only the old one could refuse now
        assert api.get("/labor/v1/jobs", rg).status_code == 200
