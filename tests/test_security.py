"""What a review of the connector's security found, each pinned by a test: configuration values that used to pass and
fail later (an initialSyncStart before Toast's first day, numbers Python reads but no form shows, a JSON list of guids);
a login answer whose token is unusable (it reached `requests`, whose error quoted it, or looped logins)."""
import json, time
from datetime import datetime, timezone

import pytest

from toast_connector import testing
from toast_connector.auth import ToastAuthError, cache_fernet
from toast_connector.config import ConfigError, validate_configuration
from toast_connector.sandbox import server as S
from toast_connector.sandbox.server import Sandbox
from toast_connector.sync import update

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
