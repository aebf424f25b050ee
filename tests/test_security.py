"""What a review of the connector's security found, each pinned by a test: configuration values that used to pass and
fail later (an initialSyncStart before Toast's first day, numbers Python reads but no form shows, a JSON list of guids);
a login answer whose token is unusable (it reached `requests`, whose error quoted it, or looped logins); a redirect
(`requests` replayed the login's body, the client secret, to any host); Toast's message echoing the secret;
the text of an exception the connector did not write, recorded in sync_log, the log or a setup test's line."""
import json, threading, time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from toast_connector import form, testing
from toast_connector.auth import ToastAuthError, ToastError, cache_fernet
from toast_connector.client import ToastClient
from toast_connector.config import ConfigError, validate_configuration
from toast_connector.sandbox import server as S
from toast_connector.sandbox.server import Sandbox
from toast_connector.sync import SyncFailed, update

SECRET = "S3CR3T-zebra-7731"
BASE = {"clientId": "cid", "clientSecret": SECRET, "domain": "ws-api.toasttab.com", "initialSyncStart": "2024-01-01T00:00:00.000Z"}


def config_error(**kw) -> str:
    "The ConfigError message of BASE changed by `kw`."
    with pytest.raises(ConfigError) as ei: validate_configuration({**BASE, **kw})
    assert SECRET not in str(ei.value)
    return str(ei.value)


# ---- configuration ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("start", ["0001-01-01T00:00:00Z", "2015-11-30", "2015-12-01T00:00:00.000Z"])
def test_initial_sync_start_before_toasts_first_day_is_refused(start):
    msg = config_error(initialSyncStart=start)
    assert msg.startswith(f"configuration 'initialSyncStart': is {start}, on or before 2015-12-01T00:00:00.000Z"), msg
    assert validate_configuration({**BASE, "initialSyncStart": "2015-12-01T00:00:00.001Z"}).initial_sync_start.year == 2015
    assert "is in the future" in config_error(initialSyncStart="2999-01-01")


@pytest.mark.parametrize("key,value", [("windowDays", "1_0"), ("windowDays", "\u0663"), ("maxWorkers", "\uff14"),
                                       ("restaurantShard", "\u0661/\u0662"), ("timeoutSeconds", "1_0"), ("rateLimitScale", "\u0660.5")])
def test_numbers_are_ascii_digits(key, value):
    msg = config_error(**{key: value})
    assert msg.startswith(f"configuration '{key}': ") and ("must be" in msg or "must look like" in msg), msg


def test_restaurant_ids_are_comma_separated_guids_not_json_and_counted_once():
    g1, g2 = "3f46d8be-f72e-4743-9727-93e8a6f70a61", "3f46d8be-f72e-4743-9727-93e8a6f70a62"
    msg = config_error(restaurantIds=f'["{g1}", "{g2}"]')
    assert msg.startswith("configuration 'restaurantIds': is comma-separated guids, not JSON"), msg
    s = validate_configuration({**BASE, "restaurantIds": f"{g2},{g1}, {g2.upper()}", "excludeRestaurantIds": f"{g1} {g1}"})
    assert s.restaurant_ids == (g2, g1) and s.exclude_restaurant_ids == (g1,)


# ---- the login answer -----------------------------------------------------------------------------------------------

NOW = datetime(2026, 3, 10, 17, tzinfo=timezone.utc)


class Emit(testing.Recorder):
    "A Recorder that keeps the one-line failure `update` ends the sync with."
    failed = None
    def fail(self, message): self.failed = message


@pytest.fixture
def login_answers():
    "Make the sandbox's logins answer `tokens[kind]` (tokens and lifetimes as Toast might break them); counts the logins."
    seen = {"logins": 0, "tokens": []}
    def hook(sb, req):
        if not isinstance(req, dict) or req.get("clientId") != sb.client_id: return None
        seen["logins"] += 1
        tok, exp = S._issue(sb)
        seen["tokens"].append(tok)
        t = {"tokenType": "Bearer", "accessToken": tok, "expiresIn": exp - S._epoch(sb.now)}
        t.update(seen["break"](tok, t["expiresIn"]))
        return {"status": "SUCCESS", "token": t}
    S.LOGINS.append(hook)
    yield seen
    S.LOGINS.remove(hook)


BROKEN = [("newline", lambda tok, exp: {"accessToken": tok + "\n"}, "token.accessToken holds a space, control or non-ASCII character"),
          ("number", lambda tok, exp: {"accessToken": 12345}, "token.accessToken is a JSON number, not a token"),
          ("object", lambda tok, exp: {"accessToken": {"v": tok}}, "token.accessToken is a JSON object, not a token"),
          ("soon", lambda tok, exp: {"expiresIn": "soon"}, "token.expiresIn is a JSON string, not a positive number of seconds"),
          ("zero", lambda tok, exp: {"expiresIn": 0}, "token.expiresIn is 0, not a positive number of seconds"),
          ("negative", lambda tok, exp: {"expiresIn": -5}, "token.expiresIn is -5, not a positive number of seconds")]


@pytest.mark.parametrize("kind,broken,fault", BROKEN, ids=[b[0] for b in BROKEN])
def test_an_unusable_login_answer_fails_once_naming_the_field_never_the_token(login_answers, kind, broken, fault):
    login_answers["break"] = broken
    with Sandbox(seed=3, restaurants=1, days=1, orders_per_day=5, now=NOW, rate_limits=0) as sb:
        cfg, state, texts = {**sb.configuration(), "maxAttempts": "3"}, {}, []
        for sync in range(3):                       # each sync stops at once; the third is refused by the login budget
            emit, log = Emit(), testing.ListLog()
            with pytest.raises(ToastAuthError) as ei: update(cfg, state, emit=emit, log=log)
            state = emit.state or state
            texts += [str(ei.value), emit.failed, json.dumps(state)] + [m for _, m in log.lines]
            assert emit.failed == str(ei.value) and emit.failed.startswith(
                "a new Toast token is needed" if sync == 2 else "Toast answered the login"), emit.failed
            if sync < 2: assert fault in emit.failed and "Not retried" in emit.failed, emit.failed
        assert login_answers["logins"] == 2 and len(state["auth"]["logins"]) == 2 and "token" not in state["auth"]
    text = "\n".join(texts)
    for tok in login_answers["tokens"]: assert tok not in text and tok[-40:] not in text


def test_a_retried_login_answer_counts_each_token_request():
    "The first login answer is a 200 without its `token` object (retried, as a damaged body): Toast counted two token requests, so does the state."
    answers = []
    def hook(sb, req):
        if not isinstance(req, dict) or req.get("clientId") != sb.client_id: return None
        answers.append(1)
        if len(answers) == 1: S._token_budget(sb, sb.client_id); return {"status": "SUCCESS"}
        return None                                  # the sandbox's own login (it counts the request too)
    S.LOGINS.append(hook)
    try:
        with Sandbox(seed=3, restaurants=1, days=1, orders_per_day=5, now=NOW, rate_limits=0) as sb:
            emit = Emit()
            row = update(sb.configuration(), {}, emit=emit, log=testing.ListLog())
    finally: S.LOGINS.remove(hook)
    assert row["status"] == "succeeded" and len(answers) == 2
    assert len(emit.state["auth"]["logins"]) == 2, emit.state["auth"]["logins"]      # was 1: the next sync would ask a third time


def test_a_cached_token_an_older_version_kept_with_a_newline_is_replaced(login_answers, capsys):
    "A state written before tokens were checked may hold one with a trailing newline: logged in again, the sync succeeds."
    login_answers["break"] = lambda tok, exp: {}
    with Sandbox(seed=3, restaurants=1, days=1, orders_per_day=5, now=NOW, rate_limits=0) as sb:
        cfg = sb.configuration()
        settings = validate_configuration(cfg)
        tok, _ = S._issue(sb)                 # Auth's clock is the machine's: the cached token expires in a day of it
        state = {"auth": {"token": cache_fernet(settings).encrypt((tok + "\n").encode()).decode(), "expires_at": time.time() + 86400, "logins": []}}
        emit, log = Emit(), testing.ListLog()
        assert update(cfg, state, emit=emit, log=log)["status"] == "succeeded"
        assert login_answers["logins"] == 1 and "the cached Toast token is not a usable token" in capsys.readouterr().out


# ---- redirects, and Toast echoing the request ----------------------------------------------------------------------

class Recording(BaseHTTPRequestHandler):
    "A server that records every request it gets (and answers 500)."
    def log_message(self, *a): pass
    def do_POST(self):
        self.server.got.append((self.command, self.path, dict(self.headers), self.rfile.read(int(self.headers.get("Content-Length") or 0))))
        self.send_response(500); self.send_header("Content-Length", "0"); self.end_headers()
    do_GET = do_POST


def redirecting(status, to, login_ok=False):
    "A handler class answering `status` with `Location: to` (after a good login, if `login_ok`)."
    class Redirect(BaseHTTPRequestHandler):
        def log_message(self, *a): pass
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if login_ok and self.path.startswith("/authentication/"):
                body = json.dumps({"token": {"accessToken": "tok-redirect-1234567", "expiresIn": 86400}}).encode()
                self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
                return
            self.send_response(status); self.send_header("Location", to); self.send_header("Content-Length", "0"); self.end_headers()
        do_GET = do_POST
    return Redirect


@pytest.fixture
def servers():
    "Start HTTP servers on 127.0.0.1 (a handler class each); all are shut down at the end."
    started = []
    def start(handler):
        s = ThreadingHTTPServer(("127.0.0.1", 0), handler); s.got = []
        threading.Thread(target=s.serve_forever, daemon=True).start()
        started.append(s)
        return s
    yield start
    for s in started: s.shutdown(); s.server_close()


@pytest.mark.parametrize("status,login_ok", [(307, False), (308, False), (302, True), (307, True)])
def test_a_redirect_is_an_error_naming_status_and_host_and_nothing_is_sent_there(servers, status, login_ok):
    other = servers(Recording)
    to = f"http://localhost:{other.server_port}/elsewhere?x=1"
    toast = servers(redirecting(status, to, login_ok))
    s = validate_configuration({**BASE, "domain": f"http://127.0.0.1:{toast.server_port}", "maxAttempts": "3"})
    with ToastClient(s, {}, log=testing.ListLog(), backoff=0.01) as c:
        with pytest.raises(ToastError) as ei: c.get("/labor/v1/jobs", restaurant="3f46d8be-f72e-4743-9727-93e8a6f70a61")
    msg = str(ei.value)
    assert isinstance(ei.value, ToastAuthError) != login_ok and ei.value.status == status, msg
    assert f"Toast answered {status} on {'GET /labor/v1/jobs' if login_ok else 'POST /authentication/v1/authentication/login'}" in msg, msg
    assert f"a redirect to http://localhost:{other.server_port}: not followed" in msg and "elsewhere" not in msg, msg
    assert other.got == [] and SECRET not in msg


def test_a_login_refusal_that_echoes_the_request_does_not_repeat_the_secret():
    def echo(sb, req): raise S.ApiError(400, f"Invalid login request: {json.dumps(req)}", key="bad")
    S.LOGINS.append(echo)
    try:
        with Sandbox(seed=3, restaurants=1, days=1, orders_per_day=5, now=NOW, rate_limits=0, client_secret=SECRET) as sb:
            emit, log = Emit(), testing.ListLog()
            with pytest.raises(ToastAuthError) as ei: update(sb.configuration(), {}, emit=emit, log=log)
    finally: S.LOGINS.remove(echo)
    assert emit.failed.startswith("Toast refused the login request (400): Invalid login request: ") and '"clientSecret": "***"' in emit.failed
    assert SECRET not in emit.failed + str(ei.value) + ei.value.toast_message


# ---- the text of unexpected exceptions -------------------------------------------------------------------------------

@pytest.fixture
def quoting_send(monkeypatch):
    "Requests to `/labor/v1/jobs` and the partners list fail with an exception quoting the token and the secret, as a library might."
    seen, orig = [], ToastClient._send
    def send(self, method, path, restaurant, params, token, body):
        if token is not None and path.startswith(seen[0]):
            seen.append(token.reveal())
            raise ValueError(f"Invalid header value b'Bearer {token.reveal()}' for {self.settings.client_secret.reveal()}")
        return orig(self, method, path, restaurant, params, token, body)
    monkeypatch.setattr(ToastClient, "_send", send)
    return seen


def test_a_failed_stream_records_no_secret_or_token(quoting_send):
    quoting_send.append("/labor/v1/jobs")
    with Sandbox(seed=3, restaurants=1, days=1, orders_per_day=5, now=NOW, rate_limits=0, client_secret=SECRET) as sb:
        emit, log = Emit(), testing.ListLog()
        with pytest.raises(SyncFailed) as ei: update(sb.configuration(), {}, emit=emit, log=log)
    (row,) = emit.rows("sync_log")
    assert row["errors"][0]["message"].startswith("ValueError: Invalid header value b'Bearer ***' for ***"), row["errors"]
    text = json.dumps(row) + str(ei.value) + "\n".join(m for _, m in log.lines)
    assert len(quoting_send) > 1 and quoting_send[1] not in text and SECRET not in text


def test_an_unexpected_error_of_the_sync_itself_carries_no_secret_or_token(quoting_send):
    "Discovery (the main thread, not a stream) fails with an error quoting both: it leaves update() with its traceback, redacted."
    quoting_send.append("/partners/")
    with Sandbox(seed=3, restaurants=1, days=1, orders_per_day=5, now=NOW, rate_limits=0, client_secret=SECRET) as sb:
        with pytest.raises(ValueError) as ei: update(sb.configuration(), {}, emit=Emit(), log=testing.ListLog())
    assert str(ei.value) == "Invalid header value b'Bearer ***' for ***", str(ei.value)
    assert len(quoting_send) > 1 and quoting_send[1] not in str(ei.value) and SECRET not in str(ei.value)


def test_a_guid_left_out_by_the_other_settings_is_not_called_unlisted():
    "restaurantIds names both restaurants, excludeRestaurantIds one of them: that one is listed, only not selected."
    with Sandbox(seed=3, restaurants=2, days=1, orders_per_day=5, now=NOW, rate_limits=0) as sb:
        g1, g2 = sb.world.restaurant_guids()
        emit = Emit()
        row = update({**sb.configuration(), "restaurantIds": f"{g1},{g2}", "excludeRestaurantIds": g2}, {}, emit=emit, log=testing.ListLog())
    assert row["status"] == "succeeded" and row["restaurants"][g1] == "ok" and g2 not in row["restaurants"], row["restaurants"]


def test_a_setup_test_that_fails_unexpectedly_shows_no_secret_or_token(quoting_send):
    quoting_send.append("/partners/")
    with Sandbox(seed=3, restaurants=1, days=1, orders_per_day=5, now=NOW, rate_limits=0, client_secret=SECRET) as sb:
        r = form.reachable_restaurants(sb.configuration())
    assert r.failure == "ValueError: Invalid header value b'Bearer ***' for ***", r.failure
    assert len(quoting_send) > 1


# ---- a selection that selects nothing -------------------------------------------------------------------------------

def test_a_selection_that_selects_nothing_is_warned_every_sync_and_named_in_sync_log():
    unknown = "00000000-0000-4000-8000-000000000001"
    with Sandbox(seed=3, restaurants=2, days=1, orders_per_day=5, now=NOW, rate_limits=0, client_secret=SECRET) as sb:
        g1 = sb.world.restaurant_guids()[0]
        assert sb.configuration()["clientSecret"] == SECRET                 # the secret the last check looks for is the one in use
        cases = {"restaurantIds": ({"restaurantIds": f"{g1},{unknown}"}, [f"that Toast's restaurant list does not hold: {unknown}; not synced"]),
                 "both": ({"restaurantIds": g1, "excludeRestaurantIds": g1},
                          ["no restaurant to sync: of the 2 Toast lists, restaurantIds leaves 1, then excludeRestaurantIds leaves 0"]),
                 "unknown only": ({"restaurantIds": unknown}, ["does not hold: " + unknown, "restaurantIds leaves 0; check these settings"]),
                 "shard": ({"restaurantShard": "1/99999999999999999999"}, ["restaurantShard 1/99999999999999999999 leaves 0"])}
        state = {}
        for name, (patch, needles) in cases.items():
            for sync in range(2):                       # every sync says it again
                emit, log = Emit(), testing.ListLog()
                row = update({**sb.configuration(), **patch}, state, emit=emit, log=log)
                state = emit.state
                warned = [m for lvl, m in log.lines if lvl == "warning"]
                assert row["status"] == "succeeded" and all(any(n in w for w in warned) for n in needles), (name, warned)
                if unknown in patch.get("restaurantIds", ""):
                    assert row["restaurants"][unknown] == "not listed: restaurantIds names it, Toast's restaurant list does not hold it"
                assert SECRET not in json.dumps(row) + "".join(warned)


@pytest.mark.parametrize("groups", [True, False], ids=["python3.11", "python3.10"])
def test_the_crash_report_holds_no_secret_from_the_environment_nor_a_chained_token(monkeypatch, groups):
    """The SDK's crash report prints the locals of the connector's frames (it hides only the configuration's values)
    and the message of every chained exception. With the client secret and the Fernet key in TOAST_* variables
    (README's advice) and a library error that wraps one quoting the token, the report has none of the three.
    Python 3.10 (README's least) has no `BaseExceptionGroup`: `scrub_chain` named it and failed with a NameError
    there, the chained token and the environment's secret in the report (helper-85)."""
    from pathlib import Path
    from types import SimpleNamespace
    from toast_connector import sync
    if not groups: monkeypatch.setattr(sync, "builtins", SimpleNamespace())   # the builtins scrub_chain finds: none of 3.11's
    assert hasattr(sync.builtins, "BaseExceptionGroup") == groups
    from cryptography.fernet import Fernet
    from fivetran_connector_sdk_cli.crash_report import build_debug_crash_report
    key, seen, orig = Fernet.generate_key().decode(), [], ToastClient._send
    def send(self, method, path, restaurant, params, token, body):
        if token is not None and path.startswith("/partners/"):
            seen.append(token.reveal())
            try: raise ValueError(f"Invalid header value b'Bearer {token.reveal()}'")
            except ValueError as inner: raise RuntimeError("request preparation failed") from inner   # a wrapping library
        return orig(self, method, path, restaurant, params, token, body)
    monkeypatch.setattr(ToastClient, "_send", send)
    monkeypatch.setenv("TOAST_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("TOAST_FERNET_KEY", key)
    with Sandbox(seed=3, restaurants=1, days=1, orders_per_day=5, now=NOW, rate_limits=0, client_secret=SECRET) as sb:
        cfg = {**sb.configuration(), "clientSecret": "", "key": ""}
        with pytest.raises(RuntimeError) as ei: update(cfg, {}, emit=Emit(), log=testing.ListLog())
    package = Path(__file__).resolve().parent.parent / "toast_connector"   # its frames (this test's own hold the secrets)
    report = build_debug_crash_report(ei.value, package, configuration=cfg, handler="update()", state={})
    assert "Locals:" in report and "toast_connector/sync.py" in report  # the connector's frames, with their locals, are in it
    assert seen and "Bearer ***" in report, report
    for s in (SECRET, key, *seen): assert s not in report, s[:6]


def test_the_crash_report_holds_no_mistyped_key_from_the_environment(monkeypatch):
    "A TOAST_FERNET_KEY two characters short is refused by name; the frame that read it keeps no copy for the crash report."
    from pathlib import Path
    from cryptography.fernet import Fernet
    from fivetran_connector_sdk_cli.crash_report import build_debug_crash_report
    monkeypatch.setenv("TOAST_FERNET_KEY", Fernet.generate_key().decode()[:-2])
    cfg = {**BASE, "key": ""}
    with pytest.raises(ConfigError) as ei: update(cfg, {}, emit=Emit(), log=testing.ListLog())
    assert "TOAST_FERNET_KEY" in str(ei.value)
    package = Path(__file__).resolve().parent.parent / "toast_connector"
    report = build_debug_crash_report(ei.value, package, configuration=cfg, handler="update()", state={})
    assert "validate_configuration" in report and "Locals:" in report, report
    import os
    assert os.environ["TOAST_FERNET_KEY"] not in report and SECRET not in report
