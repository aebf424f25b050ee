"""Small places where the sandbox was kinder than Toast, over real HTTP on 127.0.0.1: a token is reissued only in its
last minute; the error body carries a Toast error number and null `messageKey`/`fieldName`/`canRetry`; a restaurant's
details are refused under another restaurant's header; ordersBulk's `Link` has `self` and `first`; config pages are
cut by data size, so the default world's catalog spans several pages."""
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest, requests

from toast_connector.sandbox.server import Sandbox, dumps, toast_ts

NOW = datetime(2026, 3, 10, 15, 30, tzinfo=timezone.utc)
LOGIN = "/authentication/v1/authentication/login"


def login(sb):
    body = {"clientId": sb.client_id, "clientSecret": sb.client_secret, "userAccessType": "TOAST_MACHINE_CLIENT"}
    return requests.post(sb.url + LOGIN, json=body, timeout=10)


def get(sb, token, path, restaurant=None, params=None):
    h = {"Authorization": f"Bearer {token}", **({"Toast-Restaurant-External-ID": restaurant} if restaurant else {})}
    return requests.get(sb.url + path, headers=h, params=params, timeout=10)


def js(r): return json.loads(r.text, parse_float=Decimal)


@pytest.fixture(scope="module")
def sb():
    with Sandbox(seed=5, restaurants=2, days=2, orders_per_day=20, now=NOW, rate_limits=0) as s:
        s.token = login(s).json()["token"]["accessToken"]
        yield s


def test_token_is_reissued_only_in_its_last_minute():
    # a token of two hours, so that the logins of its last minute come more than an hour after the first (Toast
    # allows two token requests an hour)
    with Sandbox(seed=1, restaurants=1, days=1, orders_per_day=2, now=NOW, rate_limits=0, token_ttl=7200) as s:
        s.world.rates = {k: 0.0 for k in s.world.rates}
        first = login(s).json()["token"]
        s.advance((7200 - 61) / 3600)                                 # 61 s left: the same token
        again = login(s).json()["token"]
        assert again["accessToken"] == first["accessToken"] and again["expiresIn"] == 61
        s.advance(2 / 3600)                                           # 59 s left: Toast issues a new one
        fresh = login(s).json()["token"]
        assert fresh["accessToken"] != first["accessToken"] and fresh["expiresIn"] == 7200
        assert s.stats()["tokens_issued"] == 2


def test_error_body_has_a_toast_code_and_null_reserved_fields(sb):
    g = sb.world.restaurant_guids()[0]
    cases = [get(sb, sb.token, "/orders/v2/ordersBulk", g, {"startDate": "yesterday", "endDate": "today"}),   # 400
             get(sb, "not-a-token", "/labor/v1/jobs", g),                                                       # 401
             get(sb, sb.token, "/orders/v2/orders/00000000-0000-4000-8000-000000000000", g),                    # 404
             get(sb, sb.token, "/labor/v1/jobs", "00000000-0000-4000-8000-000000000000")]                       # 403
    assert [r.status_code for r in cases] == [400, 401, 404, 403]
    codes = set()
    for r in cases:
        b = js(r)
        assert list(b) == ["status", "code", "message", "messageKey", "fieldName", "link", "requestId",
                           "developerMessage", "errors", "canRetry"]
        assert isinstance(b["code"], int) and b["code"] >= 10000 and b["code"] != r.status_code, b
        assert b["messageKey"] is None and b["fieldName"] is None and b["canRetry"] is None, b
        assert b["status"] == r.status_code and b["message"] and b["requestId"]
        codes.add(b["code"])
    assert len(codes) == 4                                            # each condition its own number
    assert "startDate" in js(cases[0])["message"] or "date" in js(cases[0])["message"].lower()


def test_restaurant_details_refuse_another_restaurants_header(sb):
    g0, g1 = sb.world.restaurant_guids()
    ok = get(sb, sb.token, f"/restaurants/v1/restaurants/{g1}", g1)
    assert ok.status_code == 200 and js(ok)["guid"] == g1
    bad = get(sb, sb.token, f"/restaurants/v1/restaurants/{g1}", g0)
    assert bad.status_code == 400, bad.text
    assert g0 in js(bad)["message"] and g1 in js(bad)["message"]


def test_orders_bulk_link_has_self_and_first(sb):
    g = sb.world.restaurant_guids()[0]
    p = {"startDate": toast_ts(NOW - timedelta(days=2)), "endDate": toast_ts(NOW), "pageSize": 5}
    links = {}
    for page in (1, 2):
        r = get(sb, sb.token, "/orders/v2/ordersBulk", g, {**p, "page": page})
        assert r.status_code == 200 and len(js(r)) == 5
        links[page] = dict((rel.split('"')[1], url.strip().strip("<>")) for url, rel in
                           (part.split(";") for part in r.headers["Link"].split(", ")))
    assert set(links[1]) == {"next", "self", "first"} and set(links[2]) == {"next", "prev", "self", "first"}
    assert links[2]["self"].endswith("page=2") and links[2]["first"].endswith("page=1") and links[1]["self"] == links[1]["first"]
    follow = requests.get(links[2]["self"], headers={"Authorization": f"Bearer {sb.token}", "Toast-Restaurant-External-ID": g}, timeout=10)
    assert js(follow) == js(get(sb, sb.token, "/orders/v2/ordersBulk", g, {**p, "page": 2}))


def test_config_pages_are_cut_by_data_size(sb):
    g = sb.world.restaurant_guids()[0]
    for ep, least in (("menuItems", 3), ("tables", 2), ("menuOptionGroups", 2), ("printers", 1)):
        got, pages, tok = [], 0, None
        while True:
            r = get(sb, sb.token, f"/config/v2/{ep}", g, {"pageToken": tok} if tok else None)
            assert r.status_code == 200
            page = js(r); pages += 1
            assert len(page) == 1 or len(r.content) <= sb.config_page_bytes, (ep, len(r.content))
            got += page
            tok = r.headers.get("Toast-Next-Page-Token")
            if not tok: break
        assert pages >= least, (ep, pages)
        assert [o["guid"] for o in got] == [o["guid"] for o in sb.world.config_list(g, ep)]
        assert json.loads(dumps(got), parse_float=Decimal) == json.loads(dumps(sb.world.config_list(g, ep)), parse_float=Decimal)
