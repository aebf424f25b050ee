"""ToastClient and Auth against the project's sandbox over HTTP on 127.0.0.1: one test per row of the status policy,
the token cache across syncs, the login budget, retries of every transient failure, the rate limiter, and secret
hygiene (logs, state, the SDK's crash report)."""
import json, os, re, threading, time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from fivetran_connector_sdk import Logging as log
from fivetran_connector_sdk_cli.crash_report import build_debug_crash_report
from toast_connector.config import validate_configuration
from toast_connector.auth import cache_fernet
from toast_connector.client import (ToastClient, RateLimiter, ToastError, ToastBadRequest, ToastForbidden, ToastNotFound,
                                    ToastConflict, ToastAuthError, ToastRetriesExhausted)
from toast_connector.sandbox.server import Sandbox, Faults, parse_faults
from clock import NOW

os.environ.setdefault("DO_NOT_TRACK", "1")
log.LOG_LEVEL = log.Level.INFO
ROOT = Path(__file__).resolve().parent.parent
JOBS = "/labor/v1/jobs"


@pytest.fixture
def sandbox():
    "A small sandbox factory; every sandbox started here is stopped at the end."
    started = []
    def make(**kw):
        kw = {"restaurants": 2, "days": 2, "orders_per_day": 20, "now": NOW, **kw}
        sb = Sandbox(**kw)
        sb.start()
        started.append(sb)
        return sb
    yield make
    for sb in started: sb.stop()


def mk_client(sb, state=None, *, session=None, config=None, **kw):
    "A client on `sb` with fast backoff; `config` overrides configuration values."
    settings = validate_configuration(sb.configuration(**{"maxAttempts": "6", "timeoutSeconds": "5", **(config or {})}))
    return ToastClient(settings, {} if state is None else state, session=session,
                       **{"backoff": 0.01, "max_backoff": 0.05, "max_wait": 2.0, **kw})


def token_of(client) -> str:
    "The access token cached in the client's state (decrypted), for leak checks."
    return cache_fernet(client.settings).decrypt(client.state["auth"]["token"].encode()).decode()


def assert_clean(text: str, *values: str):
    "None of `values` occurs in `text`."
    for v in values:
        assert v and v not in text, "a secret leaked"


def warnings(out: str) -> list[str]:
    "The WARNING messages among the SDK log lines printed to stdout."
    msgs = []
    for line in out.splitlines():
        try: d = json.loads(line)
        except ValueError: continue
        if isinstance(d, dict) and d.get("level") == "WARNING": msgs.append(d["message"])
    return msgs


# ---- auth ---------------------------------------------------------------------------------------------------------

def test_three_syncs_share_one_login(sandbox, capsys):
    sb = sandbox()
    state = {}
    for sync in range(3):
        c = mk_client(sb, state)
        r = c.get(JOBS, restaurant=sb.world.restaurant_guids()[0])
        assert r.status == 200 and isinstance(r.data, list)
        assert c.login_count == (1 if sync == 0 else 0)
        c.close()
        state = json.loads(json.dumps(state))          # what a checkpoint round trip keeps
    assert sb.stats()["logins"] == 1
    assert "orders:read" in c.claims()["scope"] and c.claims().get("partner_guid")
    assert sorted(state["auth"]) == ["expires_at", "for", "logins", "token"] and len(state["auth"]["logins"]) == 1
    out = capsys.readouterr().out + json.dumps(state)
    assert_clean(out, sb.client_secret, token_of(c))


def test_token_expiring_mid_run_is_renewed_once(sandbox, capsys):
    sb = sandbox(token_ttl=3 * 3600)
    c = mk_client(sb)
    r1 = sb.world.restaurant_guids()[0]
    c.get(JOBS, restaurant=r1)
    old = token_of(c)
    sb.advance(4)                                     # Toast's clock passes the token's expiry: next call gets 401
    for _ in range(5): assert c.get(JOBS, restaurant=r1).status == 200
    assert c.login_count == 2 and sb.stats()["logins"] == 2
    assert sb.stats()["status"].get("401") == 1
    assert token_of(c) != old
    w = warnings(capsys.readouterr().out)
    assert sum("logging in again" in m for m in w) == 1
    assert_clean("\n".join(w), sb.client_secret, old, token_of(c))


def test_worker_threads_share_one_login_and_one_renewal(sandbox):
    sb = sandbox(token_ttl=3 * 3600)
    c = mk_client(sb)
    r1 = sb.world.restaurant_guids()[0]
    with ThreadPoolExecutor(8) as ex: assert set(ex.map(lambda _: c.get(JOBS, restaurant=r1).status, range(16))) == {200}
    assert c.login_count == 1 and sb.stats()["logins"] == 1
    sb.advance(4)                                      # every thread's next call meets an expired token
    with ThreadPoolExecutor(8) as ex: assert set(ex.map(lambda _: c.get(JOBS, restaurant=r1).status, range(16))) == {200}
    assert c.login_count == 2 and sb.stats()["logins"] == 2


def test_token_reused_with_time_left_and_renewed_inside_the_margin(sandbox):
    sb = sandbox()
    state = {}
    r1 = sb.world.restaurant_guids()[0]
    mk_client(sb, state).get(JOBS, restaurant=r1)
    now = time.time()
    # 30 minutes left (the seed connector renewed with an hour left): reused
    state["auth"].update(expires_at=now + 1800, logins=[now - 3000])
    c = mk_client(sb, state)
    c.get(JOBS, restaurant=r1)
    assert c.login_count == 0 and sb.stats()["logins"] == 1
    # 5 minutes left: Toast would hand back the same token (a new one only in its last minute): reused (helper-68)
    state["auth"].update(expires_at=now + 300, logins=[now - 3000])
    c = mk_client(sb, state)
    c.get(JOBS, restaurant=r1)
    assert c.login_count == 0 and sb.stats()["logins"] == 1
    # 20 seconds left: inside the margin (30 seconds, or a tenth of the token's life): renewed before use
    state["auth"].update(expires_at=now + 20, logins=[now - 3000])
    c = mk_client(sb, state)
    c.get(JOBS, restaurant=r1)
    assert c.login_count == 1 and sb.stats()["logins"] == 2 and len(state["auth"]["logins"]) == 2
    assert sb.stats()["status"].get("401", 0) == 0                     # renewed before Toast refused it


def test_bad_credentials(sandbox, capsys):
    sb = sandbox()
    c = mk_client(sb, config={"clientSecret": "not-the-right-secret"})
    with pytest.raises(ToastAuthError) as ei:
        c.get(JOBS, restaurant=sb.world.restaurant_guids()[0])
    assert "Toast rejected the client id or secret (401)" in str(ei.value)
    assert_clean(str(ei.value) + capsys.readouterr().out, "not-the-right-secret", sb.client_secret)
    assert "auth" not in c.state or not c.state["auth"].get("token")


def test_a_third_login_within_the_hour_fails_clearly(sandbox):
    sb = sandbox()
    now = time.time()
    state = {"auth": {"logins": [now - 1800, now - 600]}}          # two logins this hour, no usable token
    c = mk_client(sb, state)
    with pytest.raises(ToastAuthError) as ei:
        c.get(JOBS, restaurant=sb.world.restaurant_guids()[0])
    msg = str(ei.value)
    expected = datetime.fromtimestamp(now - 1800 + 3600, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert "2 logins per hour" in msg and f"next login is allowed at {expected}" in msg
    assert sb.stats()["logins"] == 0


def test_undecryptable_cache_means_fresh_login_and_warning(sandbox, capsys):
    sb = sandbox()
    state = {}
    mk_client(sb, state, config={"key": Fernet.generate_key().decode()}).get(JOBS, restaurant=sb.world.restaurant_guids()[0])
    c = mk_client(sb, state, config={"key": Fernet.generate_key().decode()})     # the key was changed
    assert c.get(JOBS, restaurant=sb.world.restaurant_guids()[0]).status == 200
    assert c.login_count == 1 and sb.stats()["logins"] == 2
    assert any("cannot be decrypted" in m for m in warnings(capsys.readouterr().out))


# ---- the status policy ----------------------------------------------------------------------------------------------

def test_403_raises_forbidden_and_the_rest_still_works(sandbox):
    sb = sandbox(scopes=("orders:read", "config:read", "restaurants:read"))
    c = mk_client(sb)
    r1 = sb.world.restaurant_guids()[0]
    with pytest.raises(ToastForbidden) as ei: c.get(JOBS, restaurant=r1)
    e = ei.value
    assert e.status == 403 and e.restaurant == r1 and e.endpoint == JOBS and r1 in str(e) and "403" in str(e)
    assert "labor" in e.toast_message
    end = c.now().replace(microsecond=0)
    params = {"startDate": (end - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
              "endDate": end.strftime("%Y-%m-%dT%H:%M:%S.000+0000")}
    assert c.get("/orders/v2/ordersBulk", restaurant=r1, params=params).status == 200
    assert sb.stats()["status"]["403"] == 1                             # not retried


def test_400_carries_toasts_message(sandbox):
    sb = sandbox()
    c = mk_client(sb)
    with pytest.raises(ToastBadRequest) as ei:
        c.get("/orders/v2/ordersBulk", restaurant=sb.world.restaurant_guids()[0])
    assert ei.value.toast_message == "startDate and endDate, or businessDate, are required"
    assert "startDate and endDate, or businessDate, are required" in str(ei.value) and "400" in str(ei.value)
    assert sb.stats()["status"]["400"] == 1


def test_404_raises_not_found(sandbox):
    sb = sandbox()
    c = mk_client(sb)
    r1 = sb.world.restaurant_guids()[0]
    with pytest.raises(ToastNotFound) as ei:
        c.get("/restaurants/v1/restaurants/00000000-0000-4000-8000-000000000000", restaurant=r1)
    assert ei.value.endpoint == "/restaurants/v1/restaurants/{guid}"


@pytest.mark.clock
def test_plus_in_timestamps_is_encoded(sandbox):
    sb = sandbox(rate_limits=0)      # the raw request below does not wait out a 429 (a busy day's pages fill the second)
    c = mk_client(sb)
    r1 = sb.world.restaurant_guids()[0]
    end = sb.now.replace(microsecond=0)      # Toast's clock (the client knows it only after a first response)
    start_s, end_s = ((end - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000+0000"), end.strftime("%Y-%m-%dT%H:%M:%S.000+0000"))
    rows = [o for p in c.pages("/orders/v2/ordersBulk", restaurant=r1, params={"startDate": start_s, "endDate": end_s}, page_size=7) for o in p]
    assert rows and all(isinstance(o["checks"][0]["amount"], (Decimal, int)) for o in rows if o.get("checks"))
    assert len({o["guid"] for o in rows}) == len(rows)
    # the same dates with a raw '+' (what the seed connector sent) are refused: the test above can fail
    raw = requests.get(f"{sb.url}/orders/v2/ordersBulk?startDate={start_s}&endDate={end_s}",
                       headers={"Toast-Restaurant-External-ID": r1, "Authorization": "Bearer " + token_of(c)})
    assert raw.status_code == 400 and "Invalid date format" in raw.text


@pytest.mark.clock
def test_pages_match_the_world(sandbox):
    sb = sandbox()
    c = mk_client(sb)
    r1 = sb.world.restaurant_guids()[0]
    end = sb.now
    start = end - timedelta(days=2)
    fmt = lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}+0000"
    pages = list(c.pages("/orders/v2/ordersBulk", restaurant=r1, params={"startDate": fmt(start), "endDate": fmt(end)}, page_size=5))
    got = [o["guid"] for p in pages for o in p]
    want = [o["guid"] for o in sb.world.orders_modified(r1, start.replace(microsecond=start.microsecond // 1000 * 1000),
                                                         end.replace(microsecond=end.microsecond // 1000 * 1000))]
    assert sorted(got) == sorted(want) and len(want) > 5
    assert all(len(p) == 5 for p in pages[:-1])


def test_envelope_pages(sandbox):
    sb = sandbox(restaurants=3)
    c = mk_client(sb)
    pages = list(c.envelope_pages("/partners/v1/connectedRestaurants", page_size=1))
    assert len(pages) >= 3 and all(len(p) == 1 for p in pages)
    guids = {r.get("restaurantGuid") for p in pages for r in p}
    assert set(sb.world.restaurant_guids()) <= guids


class AdvancingSession(requests.Session):
    "A session that moves the sandbox's world forward (a config publish) before some page-token requests."
    def __init__(self, sb, times):
        super().__init__()
        self.sb, self.left = sb, times
    def request(self, method, url, params=None, **kw):
        if self.left and params and "pageToken" in params:
            self.left -= 1
            v = self.sb.world.config_version(kw.get("headers", {}).get("Toast-Restaurant-External-ID"))
            for _ in range(50):                                  # advance until the config version changes
                self.sb.advance(6)
                if self.sb.world.config_version(kw["headers"]["Toast-Restaurant-External-ID"]) != v: break
        return super().request(method, url, params=params, **kw)


def config_endpoint_with_pages(sb, r):
    "A config endpoint with more than two items (so that it pages at page size 2)."
    from toast_connector.sandbox.data import CONFIG_ENDPOINTS
    for ep in CONFIG_ENDPOINTS:
        if len(sb.world.config_list(r, ep)) > 4: return f"/config/v2/{ep}"
    raise AssertionError("no config endpoint with more than 4 items")


def test_409_restarts_pagination(sandbox, capsys):
    sb = sandbox(token_ttl=10**8)                       # the world moves on by hours: keep the token valid
    sb.config_page_size = 2
    r1 = sb.world.restaurant_guids()[0]
    path = config_endpoint_with_pages(sb, r1)
    c = mk_client(sb, session=AdvancingSession(sb, times=1))
    got = c.token_pages(path, restaurant=r1)
    assert sb.stats()["status"].get("409") == 1
    want = sb.world.config_list(r1, path.rsplit("/", 1)[1])
    assert sorted(x["guid"] for x in got) == sorted(x["guid"] for x in want)      # complete, no duplicates
    assert sum("restarting from the first page" in m for m in warnings(capsys.readouterr().out)) == 1


def test_409_restarts_are_bounded(sandbox):
    sb = sandbox(token_ttl=10**8)                       # the world moves on by hours: keep the token valid
    sb.config_page_size = 2
    r1 = sb.world.restaurant_guids()[0]
    path = config_endpoint_with_pages(sb, r1)
    c = mk_client(sb, session=AdvancingSession(sb, times=100))
    with pytest.raises(ToastConflict) as ei: c.token_pages(path, restaurant=r1)
    assert "after 5 restarts" in str(ei.value) and r1 in str(ei.value)
    assert sb.stats()["status"].get("409") == 6


# ---- retries -----------------------------------------------------------------------------------------------------

def run_with_faults(sandbox, capsys, faults, n=40, **kw):
    "n GETs against a faulty sandbox: every one must succeed; returns (client, sandbox stats, warnings)."
    sb = sandbox(faults=faults, fault_seed=7, rate_limits=0, **kw)     # no limits here: only faults
    c = mk_client(sb, config={"maxAttempts": "10"}, limiter=RateLimiter(scale=50))
    r1 = sb.world.restaurant_guids()[0]
    datas = [c.get(JOBS, restaurant=r1).data for _ in range(n)]
    assert all(d == datas[0] for d in datas)
    return c, sb.stats(), warnings(capsys.readouterr().out)


def test_truncated_body_is_retried(sandbox, capsys):
    c, st, w = run_with_faults(sandbox, capsys, {"truncate": 0.3})
    assert st["faults"].get("truncate", 0) >= 3
    assert c.metrics.totals()["retries"] == st["faults"]["truncate"]
    assert sum("200 with a truncated JSON body" in m for m in w) == st["faults"]["truncate"]  # each retry logged once, saying what was wrong


def test_5xx_are_retried(sandbox, capsys):
    c, st, w = run_with_faults(sandbox, capsys, {"500": 0.1, "502": 0.1, "503": 0.1, "504": 0.1})
    n5 = sum(v for k, v in st["faults"].items() if k.startswith("5"))
    assert n5 >= 4 and c.metrics.totals()["retries"] == n5 == len([m for m in w if "retry" in m])


def test_dropped_connections_and_timeouts_are_retried(sandbox, capsys):
    c, st, w = run_with_faults(sandbox, capsys, {"drop": 0.15}, n=30)
    assert st["faults"].get("drop", 0) >= 2 and any(f"connection to {c.settings.base_url} failed" in m for m in w), w
    sb = sandbox(faults={"timeout": 0.2}, fault_seed=3)
    sb.slow_seconds = 2.0
    c = mk_client(sb, config={"timeoutSeconds": "1", "maxAttempts": "10"})
    for _ in range(8): assert c.get(JOBS, restaurant=sb.world.restaurant_guids()[0]).status == 200
    assert sb.stats()["faults"].get("timeout", 0) >= 1
    assert any("timed out" in m for m in warnings(capsys.readouterr().out))


def test_retries_are_bounded(sandbox, capsys):
    sb = sandbox()
    c = mk_client(sb, config={"maxAttempts": "3"})
    r1 = sb.world.restaurant_guids()[0]
    c.get(JOBS, restaurant=r1)                                         # logged in
    sb.faults = Faults(parse_faults({"503": 1.0}), 0)                 # from now on every answer is a 503
    with pytest.raises(ToastRetriesExhausted) as ei: c.get(JOBS, restaurant=r1)
    msg = str(ei.value)
    assert JOBS in msg and r1 in msg and "503" in msg and "after 3 attempts" in msg and ei.value.status == 503
    assert c.metrics.summary()[JOBS]["calls"] == 4 and c.metrics.summary()[JOBS]["retries"] == 2


def test_429_waits_retry_after(sandbox, capsys):
    # injected 429s say Retry-After: 1; the client must wait that long (capped by max_wait) before retrying
    sb = sandbox(faults={"429": 0.2}, fault_seed=5)
    c = mk_client(sb, config={"maxAttempts": "10"})
    r1 = sb.world.restaurant_guids()[0]
    t0 = time.monotonic()
    for _ in range(10): c.get(JOBS, restaurant=r1)
    n429 = sb.stats()["status"].get("429", 0)
    assert n429 >= 1 and c.metrics.totals()["429s"] == n429
    assert time.monotonic() - t0 >= n429 * 1.0
    w = [m for m in warnings(capsys.readouterr().out) if "429" in m]
    waits = [float(re.search(r"in ([0-9.]+)s", m)[1]) for m in w]
    # a 429 burst refuses the restaurant for 0.5-2 s, Retry-After rounds it up to 1 or 2: each wait honours it
    assert len(w) == n429 and all(1.0 <= x <= 2.2 for x in waits), w
    assert time.monotonic() - t0 >= 0.95 * sum(waits)


def test_server_limits_are_honoured_without_429s(sandbox):
    # Toast's real limits, scaled to 1/10 on both sides: 2 requests/s per restaurant
    sb = sandbox(rate_limits=0.1)
    c = mk_client(sb, config={"rateLimitScale": "0.1"})
    r1 = sb.world.restaurant_guids()[0]
    c.get(JOBS, restaurant=r1)
    t0 = time.monotonic()
    with ThreadPoolExecutor(4) as ex: list(ex.map(lambda _: c.get(JOBS, restaurant=r1), range(6)))
    assert sb.stats()["status"].get("429", 0) == 0
    assert time.monotonic() - t0 >= 2.0                                    # 6 requests at 2/s after one


def test_a_client_that_sends_too_fast_recovers_from_429s(sandbox):
    # the server allows 2/s but the client believes 20/s: it gets 429s, honours them, and every request succeeds
    sb = sandbox(rate_limits=0.1)
    c = mk_client(sb, config={"maxAttempts": "10"})
    r1 = sb.world.restaurant_guids()[0]
    with ThreadPoolExecutor(4) as ex: results = list(ex.map(lambda _: c.get(JOBS, restaurant=r1).status, range(8)))
    assert results == [200] * 8
    assert c.metrics.totals()["429s"] >= 1


def test_limiter_adapts_to_toasts_remaining_header(sandbox):
    # the server allows 2/s but the client believes 20/s; sent one at a time, Toast's X-Toast-RateLimit-Remaining
    # and -Reset alone keep it from a single 429. (The world's clock sits on a whole second, so Toast's Reset epoch
    # maps onto the sandbox's real-time slices.) The shared pinned clock: the world does not depend on the hour.
    whole = NOW.replace(microsecond=0)
    for adapt in (True, False):
        sb = sandbox(rate_limits=0.1, now=whole)
        c = mk_client(sb, config={"maxAttempts": "10"})
        if not adapt: c.limiter.observe = lambda *a, **k: None            # the control: without adapting, 429s
        r1 = sb.world.restaurant_guids()[0]
        # adapting: 4 requests, none refused. The control sends up to 16 and stops at its first 429: on a loaded
        # machine a request can take 0.25 s, so 4 of them may span two of the 2/s slices without a refusal; 16 would
        # need 0.5 s each.
        for _ in range(4 if adapt else 16):
            assert c.get(JOBS, restaurant=r1).status == 200
            if sb.stats()["status"].get("429", 0): break
        n429 = sb.stats()["status"].get("429", 0)
        assert (n429 == 0) if adapt else (n429 >= 1), (adapt, n429)


def test_tls(sandbox):
    sb = sandbox(tls=True)
    r1 = sb.world.restaurant_guids()[0]
    with pytest.raises(ToastError) as ei: mk_client(sb).get(JOBS, restaurant=r1)      # self-signed: not trusted
    assert "TLS failed" in str(ei.value) and "certificate" in str(ei.value)
    assert sb.stats()["logins"] == 0
    assert mk_client(sb, verify=sb.cert_path).get(JOBS, restaurant=r1).status == 200


# ---- secrets, metrics ---------------------------------------------------------------------------------------------

class ExplodingSession(requests.Session):
    "Fails inside `requests`, after the Authorization header was added: the worst moment for a crash report."
    def send(self, request, **kw):
        if request.headers.get("Authorization") and request.url.endswith("explode"):
            raise RuntimeError("simulated crash mid-request")
        return super().send(request, **kw)


def project_frame_locals(exc) -> str:
    "The repr of every local of every project frame (outside site-packages) on the exception's tracebacks."
    out, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        tb = exc.__traceback__
        while tb is not None:
            f = tb.tb_frame
            p = Path(f.f_code.co_filename).resolve()
            if p.is_relative_to(ROOT) and "site-packages" not in p.parts:
                out.append(f"{f.f_code.co_name}: " + repr({k: v for k, v in f.f_locals.items()}))
            tb = tb.tb_next
        exc = exc.__cause__ or exc.__context__
    return "\n".join(out)


def test_secrets_never_reach_logs_state_or_crash_reports(sandbox, capsys):
    sb = sandbox(faults={"503": 0.2, "truncate": 0.1}, fault_seed=11)
    state = {}
    c = mk_client(sb, state, session=ExplodingSession(), config={"maxAttempts": "10"})
    r1 = sb.world.restaurant_guids()[0]
    for _ in range(10): c.get(JOBS, restaurant=r1)
    errors = []
    for path in ("/labor/v1/explode", "/orders/v2/ordersBulk"):          # a crash inside requests; a 400
        try: c.get(path, restaurant=r1)
        except Exception as e: errors.append(e)
    sb2 = sandbox(faults={"503": 1.0})
    try: mk_client(sb2, config={"maxAttempts": "2"}).get(JOBS, restaurant=r1)   # the login itself fails
    except Exception as e: errors.append(e)
    c.log_summary()
    assert [type(e).__name__ for e in errors] == ["RuntimeError", "ToastBadRequest", "ToastRetriesExhausted"]
    reports = [build_debug_crash_report(e, ROOT, configuration={}, state=state) for e in errors]
    walks = [project_frame_locals(e) for e in errors]
    assert all("Locals:" in r and "_request" in r for r in reports)               # the report did capture our frames
    assert all("_send" in w or "_request" in w for w in walks)
    text = "\n".join(reports + walks + [str(e) for e in errors]) + capsys.readouterr().out + json.dumps(state)
    secret, token = sb.client_secret, token_of(c)                              # read only after the capture
    assert_clean(text, secret, token, token[-20:])


def test_metrics_and_summary_line(sandbox, capsys):
    sb = sandbox()
    c = mk_client(sb)
    r1 = sb.world.restaurant_guids()[0]
    for _ in range(3): c.get(JOBS, restaurant=r1)
    c.get(f"/restaurants/v1/restaurants/{r1}", restaurant=r1)
    s = c.metrics.summary()
    assert s[JOBS]["calls"] == 3 and s["/restaurants/v1/restaurants/{guid}"]["calls"] == 1
    assert s[JOBS]["p50_ms"] > 0 and s[JOBS]["p95_ms"] >= s[JOBS]["p50_ms"]
    assert "/authentication/v1/authentication/login" in s
    line = c.log_summary()
    out = capsys.readouterr().out
    assert line.startswith("Toast API: 5 requests, 0 retries, 0 429s, 1 logins") and json.dumps(line)[1:-1] in out
    assert abs((c.now() - sb.now).total_seconds()) < 1.0
