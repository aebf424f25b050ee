"""A 200 is not proof (issue 11, point 9). Against the sandbox over HTTP, each malformed success (an empty body,
the body `null`, a `Toast-Next-Page-Token` that repeats, an empty list on a full pull, a body of the wrong shape)
aimed at one endpoint (ordersBulk, timeEntries, config menuItems during a full refresh, /menus/v2/menus after a
publish, employees, jobs):
- the sync fails that stream with a message that says what was wrong, and never reports success for it;
- nothing is deleted, and the stream's cursor does not move (so nothing is skipped);
- the next clean sync leaves the warehouse exactly as a clean twin's (a second sandbox, same seed, same pinned
  clock, never faulted), and the faulted table equals the sandbox's own truth.
And logins survive aborted syncs: three in a row log in once (the sandbox counts logins).

Every sandbox clock is pinned (`now=NOW`); both twins advance by the same hours, so their worlds stay identical."""
import json, threading, time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from toast_connector import sync, testing
from toast_connector.client import ToastClient, RateLimiter, ToastMalformed
from toast_connector.config import validate_configuration
from test_families import CONFIG_TABLES   # README's, written out
from toast_connector.families import by_name
from toast_connector.windows import parse_ts
from toast_connector.sandbox.server import Reply, Sandbox

NOW = datetime(2026, 3, 10, 17, 0, tzinfo=timezone.utc)         # pinned
PROFILE = dict(seed=5, restaurants=2, days=2, orders_per_day=12, now=NOW, rate_limits=0)
START = (NOW - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
LAG = timedelta(seconds=120)                                    # settings.safety_lag_seconds (default)
BUSY = {"menu_publish": 12, "employee_edit": 16, "employee_delete": 6, "employee_hire": 6, "time_entry_edit": 16,
        "config_edit": 16, "config_remove": 12, "config_add": 8}   # events per restaurant per day between the syncs
ADVANCE = 6                                                      # hours between sync 1 and sync 2


def sandbox():
    "A sandbox of the shared profile: config pages of 10 (menuItems spans pages), the scenario's change rates."
    sb = Sandbox(**PROFILE)
    sb.config_page_size = 10
    sb.world.rates.update(BUSY)
    return sb


def sync_once(sb, rec):
    "One sync into `rec` from its committed state, through a client with tiny backoffs: (log, error or None)."
    cfg = sb.configuration(initialSyncStart=START, configFullRefreshHours="0")   # every sync is a config full refresh
    log = testing.ListLog()
    client = ToastClient(validate_configuration(cfg), sb.__dict__.setdefault("_tests_token_cache", {}), log=log,
                         limiter=RateLimiter(scale=100), backoff=0.002, max_backoff=0.01)   # one login per sandbox: Toast allows 2 an hour
    try: sync.update(cfg, rec.state, emit=rec, log=log, client=client)
    except Exception as e: return log, e
    finally: client.close()
    return log, None


def without_log(rec):
    "A Recorder's warehouse, typed, without sync_log (a faulted series has one more sync)."
    return {k: v for k, v in testing.normalised(rec).items() if k[0] != "sync_log"}


@pytest.fixture(scope="module")
def twin():
    "The clean twin: sync, advance, sync, sync (which confirms the removals the second saw); what every faulted series must end with."
    with sandbox() as sb:
        rec = testing.Recorder()
        assert sync_once(sb, rec)[1] is None
        sb.advance(ADVANCE)
        assert sync_once(sb, rec)[1] is None
        assert sync_once(sb, rec)[1] is None
        return rec, truth_ids(sb)


# ---- the sandbox's own truth (its objects, not the connector's code) ----------------------------------------------
def ts(s): return parse_ts(s) if s else None

def truth_ids(sb) -> dict:
    "Ids per table of what Toast serves now, for the tables the faults aim at."
    ent = lambda fam, kind: [e["object"] for e in sb.truth(fam)["entities"][kind]]
    cutoff = sb.now - LAG
    out = {"orders": {o["guid"] for o in ent("orders", "orders")
                      if not o.get("deleted") and ts(START) <= ts(o["modifiedDate"]) < cutoff},
           "time_entry": {o["guid"] for o in ent("labor", "timeEntries")
                          if not o["deleted"] and ts(START) <= ts(o["modifiedDate"]) < cutoff},
           "employee": {(e["object"]["guid"], e["restaurant"]) for e in sb.truth("labor")["entities"]["employees"] if not e["object"]["deleted"]},
           "job": {(e["object"]["guid"], e["restaurant"]) for e in sb.truth("labor")["entities"]["jobs"] if not e["object"]["deleted"]},
           "menu_item": {(o["guid"], e["restaurant"]) for e in sb.truth("config")["entities"]["menuItems"] for o in [e["object"]]},
           "published_menu": {(m["guid"], e["restaurant"]) for e in sb.truth("menus")["entities"]["menus"]
                              for m in e["object"]["menus"]},
           "tip_withholding": {(e["object"]["guid"], e["restaurant"]) for e in sb.truth("config")["entities"]["tipWithholding"]}}
    return out

def warehouse_ids(rec, table):
    if table in ("menu_item", "published_menu", "tip_withholding", "employee", "job"): return {(r["id"], r["restaurant_id"]) for r in rec.rows(table)}
    return {r["id"] for r in rec.rows(table)}


# ---- malformed successes, one endpoint at a time ------------------------------------------------------------------
CASES = [  # (fault spec, stream, table, what the message must say)
    ("empty@/orders/v2/ordersBulk:1", "orders", "orders", "Toast answered 200 with an empty body"),
    ("null@/orders/v2/ordersBulk:1", "orders", "orders", "Toast answered 200 with JSON null"),
    ("empty@timeEntries:1", "labor.timeEntries", "time_entry", "Toast answered 200 with an empty body"),
    ("null@timeEntries:1", "labor.timeEntries", "time_entry", "Toast answered 200 with JSON null"),
    ("empty@menuItems:1", "config.menuItems", "menu_item", "Toast answered 200 with an empty body"),
    ("null@menuItems:1", "config.menuItems", "menu_item", "Toast answered 200 with JSON null"),
    ("repeat_token@menuItems:1", "config.menuItems", "menu_item", "answered a Toast-Next-Page-Token this walk already followed"),
    ("empty@/menus/v2/menus:1", "menus.published", "published_menu", "Toast answered 200 with an empty body"),
    ("null@/menus/v2/menus:1", "menus.published", "published_menu", "Toast answered 200 with JSON null"),
    ("empty@employees:1", "labor.employees", "employee", "Toast answered 200 with an empty body"),
    ("null@employees:1", "labor.employees", "employee", "Toast answered 200 with JSON null"),
    # a body of the wrong shape (a proxy unwrapping a list into its first record, or wrapping an object in a list)
    ("wrong_shape@employees:1", "labor.employees", "employee", "Toast answered 200 with JSON object where a JSON list was expected"),
    ("wrong_shape@jobs:1", "labor.jobs", "job", "Toast answered 200 with JSON object where a JSON list was expected"),
    ("wrong_shape@timeEntries:1", "labor.timeEntries", "time_entry", "Toast answered 200 with JSON object where a JSON list was expected"),
    ("wrong_shape@/menus/v2/menus:1", "menus.published", "published_menu", "Toast answered 200 with JSON list where a JSON object"),
    # `{}` where Toast documents an object with fields (before: a menus document without menus, a tip withholding row
    # keyed by the restaurant with every value null)
    ("empty_object@/menus/v2/menus:1", "menus.published", "published_menu", "Toast answered 200 with an empty JSON object"),
    ("empty_object@tipWithholding:1", "config.tipWithholding", "tip_withholding", "Toast answered 200 with an empty JSON object"),
]


@pytest.mark.parametrize("spec,stream,table,says", CASES, ids=[c[0] for c in CASES])
def test_a_malformed_success_fails_its_stream_deletes_nothing_and_the_next_sync_catches_up(twin, spec, stream, table, says):
    clean, clean_truth = twin
    tables = set(by_name()[stream].table_keys())
    with sandbox() as sb:
        rec = testing.Recorder()
        assert sync_once(sb, rec)[1] is None                                     # 1: clean
        before = {g: dict(c) for g, c in rec.state["restaurants"].items()}
        rows_before = {t: sorted(map(repr, rec.rows(t))) for t in tables}
        sb.advance(ADVANCE)
        sb.faults.set(spec)                                                       # 2: the endpoint answers malformed 200s
        n = len(rec.ops)
        log, err = sync_once(sb, rec)
        served = sb.stats()["faults"]
        assert served.get(spec.split("@")[0]), (spec, served)                     # the fault was really served
        # the stream failed, loudly, saying what was wrong (not "Toast answered 200: gave up ...")
        assert isinstance(err, sync.SyncFailed), err
        msg = str(err)
        assert f"First: {stream} for restaurant" in msg and says in msg and "Toast answered 200:" not in msg, msg
        (slog,) = [r for r in rec.rows("sync_log") if r["status"] == "failed"]
        assert {e["stream"] for e in slog["errors"]} == {stream}, slog["errors"]
        assert all(says in e["message"] for e in slog["errors"]), slog["errors"]
        assert any(says in m and "its cursor keeps what was read before" in m for lvl, m in log.lines if lvl == "warning")
        # nothing of the stream was deleted, or written at all; its cursor did not move; the other streams synced
        assert not [op for op in rec.ops[n:] if op[0] == "delete" and op[1] in tables]
        assert {t: sorted(map(repr, rec.rows(t))) for t in tables} == rows_before
        for g, cur in rec.state["restaurants"].items():
            assert cur.get(stream) == before[g].get(stream), (g, stream)
            assert cur["labor.shifts"] != before[g]["labor.shifts"]                  # the other streams went on
        sb.faults.set(None)                                                       # 3: clean again, same sandbox clock
        log, err = sync_once(sb, rec)
        assert err is None, err
        log, err = sync_once(sb, rec)                                             # 4: confirms what the stream's pull 3 lacked
        assert err is None, err
        assert max(rec.rows("sync_log"), key=lambda r: r["sync_id"])["status"] == "succeeded"
        got, want = without_log(rec), without_log(clean)
        diffs = [k for k in set(got) | set(want) if got.get(k) != want.get(k)]
        assert not diffs, f"{len(diffs)} rows differ from the clean twin, e.g. {sorted(diffs, key=repr)[:5]}"
        truth = truth_ids(sb)
        assert truth == clean_truth                                               # the twins' worlds are the same
        assert truth[table] and warehouse_ids(rec, table) == truth[table], table


def test_an_empty_list_on_a_full_refresh_deletes_nothing_until_a_second_one_confirms_it():
    "`[]` is a legitimate answer, but not enough on its own to delete a whole catalogue: the next full pull must agree."
    tables = set(by_name()["config.menuItems"].table_keys())
    with sandbox() as sb:
        sb.world.rates.update({k: 0 for k in BUSY})          # a still catalogue: only the fault changes what is served
        rec = testing.Recorder()
        assert sync_once(sb, rec)[1] is None
        items = warehouse_ids(rec, "menu_item")
        assert items == truth_ids(sb)["menu_item"] and len(items) > 20
        sb.faults.set("empty_list@menuItems:1")
        sb.advance(1)                                        # the client's clock runs on from the sandbox's: keep syncs apart
        n = len(rec.ops)
        log, err = sync_once(sb, rec)                                             # one empty full pull: nothing deleted
        assert err is None and sb.stats()["faults"].get("empty_list")
        assert not [op for op in rec.ops[n:] if op[0] == "delete" and op[1] in tables]
        assert warehouse_ids(rec, "menu_item") == items
        assert sum("config.menuItems: the full pull came back empty where the last one had" in m
                   for lvl, m in log.lines if lvl == "warning") == 2                # one per restaurant
        assert all(c["config.menuItems"].get("empty_pull") for c in rec.state["restaurants"].values())
        n = len(rec.ops)
        sb.advance(1)
        log, err = sync_once(sb, rec)                                             # a second one in a row: confirmed
        assert err is None
        assert {(d["id"], d["restaurant_id"]) for k, t, d in rec.ops[n:] if k == "delete" and t == "menu_item"} == items
        assert not rec.rows("menu_item")
        sb.faults.set(None)                                                       # and a clean pull brings them back
        sb.advance(1)
        assert sync_once(sb, rec)[1] is None
        assert warehouse_ids(rec, "menu_item") == truth_ids(sb)["menu_item"] == items
        assert not any(c["config.menuItems"].get("empty_pull") for c in rec.state["restaurants"].values())


def test_empty_and_null_bodies_at_random_are_retried_and_change_nothing(twin):
    "About 6% of all answers empty or `null` (any endpoint): every one is retried, the warehouse is the clean twin's."
    clean, _ = twin
    with sandbox() as sb:
        sb.faults.set("empty:0.03,null:0.03")
        rec = testing.Recorder()
        log1, err1 = sync_once(sb, rec)
        sb.advance(ADVANCE)
        log2, err2 = sync_once(sb, rec)
        log3, err3 = sync_once(sb, rec)                      # confirms the removals the second saw, as the twin's third
        served = sb.stats()["faults"]
    assert err1 is None and err2 is None and err3 is None, (err1, err2, err3)
    assert served.get("empty", 0) > 2 and served.get("null", 0) > 2, served
    retried = [m for _, m in log1.lines + log2.lines + log3.lines if "retry" in m and "200 with" in m]
    assert len(retried) == served["empty"] + served["null"], (len(retried), served)
    got, want = without_log(rec), without_log(clean)
    assert got == want, [k for k in set(got) | set(want) if got.get(k) != want.get(k)][:5]


# ---- logins survive aborted syncs ---------------------------------------------------------------------------------
def test_three_aborted_syncs_log_in_once():
    "Discovery answers empty 200s: each sync aborts after logging in; the login is checkpointed, so the next reuses it."
    with Sandbox(**PROFILE) as sb:
        sb.faults.set("empty@/partners/v1/restaurants:1")
        cfg = sb.configuration(initialSyncStart=START, maxAttempts="2")
        rec = testing.Recorder()
        for i in range(3):
            with pytest.raises(ToastMalformed, match="GET /partners/v1/restaurants after 2 attempts; last: Toast answered 200 "
                                                     "with an empty body"):
                sync.update(cfg, rec.state, emit=rec, log=testing.ListLog())
            assert sb.stats()["logins"] == 1, (i, sb.stats()["logins"])
            auth = rec.state.get("auth") or {}
            assert len(auth.get("logins", [])) == 1 and auth.get("token"), (i, auth.keys())
        assert not rec.rows("restaurant") and not rec.state.get("restaurants")   # nothing else was committed
        sb.faults.set(None)
        log = testing.ListLog()
        sync.update(cfg, rec.state, emit=rec, log=log)                          # the fourth, clean, still no new login
        assert sb.stats()["logins"] == 1 and rec.rows("sync_log")[0]["status"] == "succeeded"
        assert not any("logging in" in m for _, m in log.lines)


def test_an_aborted_sync_that_never_logged_in_checkpoints_nothing():
    "keep_logins only acts when there is a login to keep: a sync that fails before logging in commits no state."
    with Sandbox(**PROFILE) as sb:
        cfg = sb.configuration(initialSyncStart=START, maxAttempts="2")
        rec = testing.Recorder()
        sync.update(cfg, {}, emit=rec, log=testing.ListLog())                      # logs in; the token is in the state
        assert sb.stats()["logins"] == 1
        sb.faults.set("empty@/partners/v1/restaurants:1")
        checkpoints = len(rec.states)
        with pytest.raises(ToastMalformed):
            sync.update(cfg, rec.state, emit=rec, log=testing.ListLog())            # the cached token is reused: no login
        assert sb.stats()["logins"] == 1 and len(rec.states) == checkpoints


# ---- answers a fault rate cannot aim: a wrapper around the sandbox's `respond` serves them ------------------------
def serve(sb, when, body: bytes, once: bool = True):
    "Make `sb` answer 200 `body` (no page-token or Link header) where `when(path, query)` holds: once per distinct request, or always."
    orig, done = sb.respond, set()
    def respond(method, target, headers=(), body_=b"", client="local"):
        rep = orig(method, target, headers, body_, client)
        u = urlsplit(target)
        hit = (u.path, u.query, dict(headers).get("Toast-Restaurant-External-ID"))
        if rep.status == 200 and not (once and hit in done) and when(u.path, parse_qs(u.query)):
            done.add(hit)
            return Reply(200, {k: v for k, v in rep.headers.items() if k.lower() not in ("toast-next-page-token", "link")}, body)
        return rep
    sb.respond = respond
    return lambda: setattr(sb, "respond", orig)


def test_an_empty_page_after_a_page_token_is_asked_again_and_never_ends_a_full_pull_short():
    "The page a `Toast-Next-Page-Token` promised comes back `[]` once: asked again, the whole catalogue lands, nothing is deleted."
    tables = set(by_name()["config.menuItems"].table_keys())
    with sandbox() as sb:
        sb.world.rates.update({k: 0 for k in BUSY})          # a still catalogue: only the empty pages change what is served
        rec = testing.Recorder()
        assert sync_once(sb, rec)[1] is None
        items = warehouse_ids(rec, "menu_item")
        assert items == truth_ids(sb)["menu_item"] and len(items) > 20        # more than one page of 10 per restaurant
        sb.advance(1)
        undo = serve(sb, lambda path, q: path.endswith("/menuItems") and "pageToken" in q, b"[]")
        n = len(rec.ops)
        log, err = sync_once(sb, rec)
        undo()
        assert err is None, err
        assert [m for lvl, m in log.lines if "an empty page where the last page's next-page token promised" in m]
        assert not [op for op in rec.ops[n:] if op[0] == "delete" and op[1] in tables]
        assert warehouse_ids(rec, "menu_item") == items == truth_ids(sb)["menu_item"]
        undo = serve(sb, lambda path, q: path.endswith("/menuItems") and "pageToken" in q, b"[]", once=False)
        sb.advance(1)
        n = len(rec.ops)
        log, err = sync_once(sb, rec)                        # empty on every attempt: the stream fails, still no delete
        undo()
        assert isinstance(err, sync.SyncFailed) and "config.menuItems" in str(err), err
        assert not [op for op in rec.ops[n:] if op[0] == "delete" and op[1] in tables]
        assert warehouse_ids(rec, "menu_item") == items


DOC = '{"restaurantGuid": "%s", "lastUpdated": "2026-03-10T18:00:00.000+0000", "menus": %s}'

@pytest.mark.parametrize("body,says", [(b"{}", "an empty JSON object where Toast documents one with fields"),
                                       (b'{"restaurantGuid": "x", "menus": []}', "an object without `lastUpdated`"),
                                       ((DOC % ("x", "{}")).encode(), "an object whose `menus` is a JSON dict, not a list")])
def test_a_menus_document_without_its_menus_fails_the_stream_and_deletes_nothing(body, says):
    "After a publish, /menus/v2/menus answers 200 with no `menus` list: retried, then the stream fails; no menu is deleted."
    with sandbox() as sb:
        rec = testing.Recorder()
        assert sync_once(sb, rec)[1] is None
        menus = warehouse_ids(rec, "published_menu")
        assert menus and menus == truth_ids(sb)["published_menu"]
        before = {g: c.get("menus.published") for g, c in rec.state["restaurants"].items()}
        sb.world.rates.update({"menu_publish": 48})
        sb.advance(2)
        undo = serve(sb, lambda path, q: path == "/menus/v2/menus", body, once=False)
        n = len(rec.ops)
        log, err = sync_once(sb, rec)
        undo()
        assert isinstance(err, sync.SyncFailed) and says in str(err) and "menus.published" in str(err), err
        assert not [op for op in rec.ops[n:] if op[0] == "delete" and op[1].startswith("published_")]
        assert warehouse_ids(rec, "published_menu") == menus
        assert {g: c.get("menus.published") for g, c in rec.state["restaurants"].items()} == before
        sb.world.rates.update({"menu_publish": 0})
        sb.advance(1)
        assert sync_once(sb, rec)[1] is None                                      # clean: the new publish lands
        assert warehouse_ids(rec, "published_menu") == truth_ids(sb)["published_menu"]


def test_a_menus_document_with_no_menus_deletes_them_only_when_the_next_fetch_agrees():
    "A well-formed publish whose `menus` is `[]`: nothing is deleted and the same publish is fetched again next sync."
    with sandbox() as sb:
        rec = testing.Recorder()
        assert sync_once(sb, rec)[1] is None
        menus = warehouse_ids(rec, "published_menu")
        sb.world.rates.update({"menu_publish": 48})
        sb.advance(2)
        sb.world.rates.update({"menu_publish": 0})
        guids = sorted({g for _, g in menus})
        orig = sb.respond
        def empty_doc(method, target, headers=(), body_=b"", client="local"):
            rep = orig(method, target, headers, body_, client)
            if urlsplit(target).path == "/menus/v2/menus" and rep.status == 200:
                doc = json.loads(rep.body)
                return Reply(200, rep.headers, json.dumps({**doc, "menus": []}).encode())
            return rep
        sb.respond = empty_doc
        n = len(rec.ops)
        log, err = sync_once(sb, rec)
        assert err is None, err
        assert not [op for op in rec.ops[n:] if op[0] == "delete" and op[1].startswith("published_")]
        assert warehouse_ids(rec, "published_menu") == menus
        assert sum("menus.published: the full pull has no rows of published_menu" in m for lvl, m in log.lines if lvl == "warning") == len(guids)
        assert all(c["menus.published"].get("empty_pull") for c in rec.state["restaurants"].values())
        sb.respond = orig                                                          # the next fetch has the menus: nothing lost
        sb.advance(1)
        assert sync_once(sb, rec)[1] is None
        assert warehouse_ids(rec, "published_menu") == truth_ids(sb)["published_menu"]
        assert not any(c["menus.published"].get("empty_pull") for c in rec.state["restaurants"].values())


def menus_edited(sb, edit):
    "Serve `/menus/v2/menus` through `edit(document)`; returns the undo."
    orig = sb.respond
    def respond(method, target, headers=(), body_=b"", client="local"):
        rep = orig(method, target, headers, body_, client)
        if urlsplit(target).path == "/menus/v2/menus" and rep.status == 200:
            return Reply(200, rep.headers, json.dumps(edit(json.loads(rep.body))).encode())
        return rep
    sb.respond = respond
    return lambda: setattr(sb, "respond", orig)


def quiet_sandbox():
    "One restaurant of the shared profile whose world changes only by the publishes a test makes."
    sb = Sandbox(**{**PROFILE, "restaurants": 1})
    sb.world.rates = {k: 0.0 for k in sb.world.rates}
    return sb


def publish(sb, hours: int):
    "Advance `hours` with menus published meanwhile: new prices, the same items where they were (what a test removes is all)."
    sb.world.rates["menu_publish"], sb.world.menu_reshape = 48, False
    sb.advance(hours)
    sb.world.rates["menu_publish"], sb.world.menu_reshape = 0, True


def test_a_table_emptied_first_in_the_confirming_fetch_waits_for_its_own_confirmation():
    """Menus: a fetch whose `menus` is `[]`, then one whose menus are back but whose `modifierOptionReferences` is
    `{}`: the second confirms only the tables the first emptied, so the modifier options wait for a fetch that agrees
    (before, every option was deleted at once and stayed deleted until the restaurant published again)."""
    with quiet_sandbox() as sb:
        rec = testing.Recorder()
        assert sync_once(sb, rec)[1] is None
        g = sb.world.restaurant_guids()[0]
        options = {r["reference_id"] for r in rec.rows("published_modifier_option")}
        assert options
        publish(sb, 2)
        undo = menus_edited(sb, lambda d: {**d, "menus": []})
        assert sync_once(sb, rec)[1] is None
        undo()
        assert rec.state["restaurants"][g]["menus.published"]["empty_pull"]      # the same publish is fetched again
        sb.advance(1)
        undo = menus_edited(sb, lambda d: {**d, "modifierOptionReferences": {}})
        n = len(rec.ops)
        log, err = sync_once(sb, rec)
        assert err is None, err
        assert not [op for op in rec.ops[n:] if op[0] == "delete" and op[1] == "published_modifier_option"]
        assert {r["reference_id"] for r in rec.rows("published_modifier_option")} == options
        assert sum("has no rows of published_modifier_option" in m for lvl, m in log.lines if lvl == "warning") == 1
        assert rec.state["restaurants"][g]["menus.published"]["empty_pull"] == ["published_modifier_option"]
        sb.advance(1)
        assert sync_once(sb, rec)[1] is None                                  # a second fetch agrees: deleted
        undo()
        assert not rec.rows("published_modifier_option")
        assert {r["reference_id"] for r in rec.deleted("published_modifier_option")} == options
        assert "empty_pull" not in rec.state["restaurants"][g]["menus.published"]


def test_a_row_only_a_waiting_fetch_carried_is_deleted_once_a_later_fetch_lacks_it():
    """A fetch that waits for confirmation (`menus: []`) but brings a new modifier option X: the next complete fetch
    has no X, and the one after it confirms: X is deleted (before, the waiting fetch's keys were dropped and X stayed live
    for good). A document vouches for none of its rows (helper-79), so X lacked once waits for a second fetch too."""
    x = "00000000-0000-4000-8000-000000000999"
    def with_x(d):
        refs = dict(d["modifierOptionReferences"])
        k, v = next(iter(refs.items()))
        refs["999999"] = {**v, "referenceId": 999999, "guid": x, "name": "X (short-lived)"}
        return {**d, "menus": [], "modifierOptionReferences": refs}
    with quiet_sandbox() as sb:
        rec = testing.Recorder()
        assert sync_once(sb, rec)[1] is None
        publish(sb, 2)
        undo = menus_edited(sb, with_x)
        assert sync_once(sb, rec)[1] is None
        undo()
        assert [r for r in rec.rows("published_modifier_option") if r["reference_id"] == 999999]
        sb.advance(1)
        assert sync_once(sb, rec)[1] is None
        assert [r for r in rec.rows("published_modifier_option") if r["reference_id"] == 999999]    # lacked once: waits
        sb.advance(1)
        assert sync_once(sb, rec)[1] is None
        assert not [r for r in rec.rows("published_modifier_option") if r["reference_id"] == 999999]
        assert [r for r in rec.deleted("published_modifier_option") if r["reference_id"] == 999999]
        assert warehouse_ids(rec, "published_menu") == truth_ids(sb)["published_menu"]


def test_an_ordersbulk_window_that_answers_empty_once_is_asked_again_and_lands_whole():
    """The first page of each ordersBulk window of a backfill answers `[]` once: every window older than the next
    late-arrival re-read's reach is asked again, and every order lands in the first sync."""
    with Sandbox(**{**PROFILE, "days": 8}) as sb:
        start = (NOW - timedelta(days=8)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        undo = serve(sb, lambda path, q: path == "/orders/v2/ordersBulk" and q.get("page") == ["1"], b"[]")
        rec = testing.Recorder()
        cfg = sb.configuration(initialSyncStart=start, lateArrivalDays="4")   # the oldest windows lie beyond the re-read's reach
        log = testing.ListLog()
        client = ToastClient(validate_configuration(cfg), {}, log=log, limiter=RateLimiter(scale=100), backoff=0.002, max_backoff=0.01)
        try: sync.update(cfg, rec.state, emit=rec, log=log, client=client)
        finally: client.close(); undo()
        cutoff = sb.now - LAG
        truth = {e["object"]["guid"] for e in sb.truth("orders")["entities"]["orders"]
                 if not e["object"].get("deleted") and ts(start) <= ts(e["object"]["modifiedDate"]) < cutoff}
        assert truth and {r["id"] for r in rec.rows("orders")} == truth
        warned = [m for lvl, m in log.lines if lvl == "warning" and "Toast answered no records for the window" in m]
        assert len(warned) >= 2, warned                      # at least one window per restaurant was asked again


DETAIL = "/restaurants/v1/restaurants/{guid}"


@pytest.mark.parametrize("kind,says", [("empty_object", "an empty JSON object"), ("null", "JSON null"),
                                       ("wrong_shape", "JSON list where a JSON object was expected")])
def test_an_impossible_restaurant_detail_skips_the_restaurant_keeps_its_row_and_fails_the_sync(twin, kind, says):
    "Before: `{}` or `null` read as a restaurant with no time zone (synced in UTC) and every detail column nulled."
    clean, _ = twin
    with sandbox() as sb:
        rec = testing.Recorder()
        assert sync_once(sb, rec)[1] is None                                     # 1: clean
        before_rows = sorted(map(repr, rec.rows("restaurant")))
        before = json.loads(json.dumps(rec.state["restaurants"]))
        assert all(r["time_zone"] for r in rec.rows("restaurant"))
        sb.advance(ADVANCE)
        sb.faults.set(f"{kind}@{DETAIL}:1")                                       # 2: every detail answer is impossible
        rec.state["details"] = {}                                                  # due for its daily detail call
        n = len(rec.ops)
        log, err = sync_once(sb, rec)
        assert sb.stats()["faults"].get(kind), sb.stats()["faults"]
        assert isinstance(err, sync.SyncFailed), err
        assert "First: restaurant for restaurant" in str(err) and says in str(err), str(err)
        (slog,) = [r for r in rec.rows("sync_log") if r["status"] == "failed"]
        assert all(says in e["message"] for e in slog["errors"]) and len(slog["errors"]) == 2, slog["errors"]
        # the restaurants' rows keep every detail column (an update of sync_status), no stream ran, no cursor moved
        rows = {r["id"]: r for r in rec.rows("restaurant")}
        assert {r["sync_status"] for r in rows.values()} == {"malformed"}
        assert all(r["time_zone"] and r["closeout_hour"] is not None for r in rows.values()), rows
        assert {op[1] for op in rec.ops[n:] if op[0] in ("upsert", "update", "delete")} == {"restaurant", "sync_log"}
        assert rec.state["restaurants"] == before
        assert any(says in m and "skipped, retried next sync" in m for lvl, m in log.lines if lvl == "warning")
        assert not [m for lvl, m in log.lines if lvl == "info" and ": resuming " in m], log.lines   # nothing said to resume
        sb.faults.set(None)                                                       # 3: clean again
        assert sync_once(sb, rec)[1] is None
        assert sync_once(sb, rec)[1] is None                                      # 4: confirms the removals 3 saw
        got, want = without_log(rec), without_log(clean)
        diffs = [k for k in set(got) | set(want) if got.get(k) != want.get(k)]
        assert not diffs, f"{len(diffs)} rows differ from the clean twin, e.g. {sorted(diffs, key=repr)[:5]}"
    assert before_rows


def test_another_restaurants_detail_is_refused_and_overwrites_nothing():
    "helper-92: restaurant B's detail served for A landed as A's: B's city, zone and closeout hour (A's dates moved)."
    with sandbox() as sb:
        rec = testing.Recorder()
        assert sync_once(sb, rec)[1] is None                                     # 1: clean
        a, b = sorted(sb.world.restaurant_guids())[:2]
        before = {r["id"]: (r["time_zone"], r["closeout_hour"], r["location_city"]) for r in rec.rows("restaurant")}
        assert before[a] != before[b], before                                    # the two differ, so a swap would show
        undo = serve(sb, lambda path, q: path == DETAIL.format(guid=a), json.dumps(sb.world.restaurant(b), default=str).encode(), once=False)
        rec.state["details"] = {}                                                  # due for its daily detail call
        log, err = sync_once(sb, rec)
        undo()
        assert isinstance(err, sync.SyncFailed) and f"not of {a}" in str(err) and repr(b) in str(err), err
        rows = {r["id"]: r for r in rec.rows("restaurant")}
        assert {g: (r["time_zone"], r["closeout_hour"], r["location_city"]) for g, r in rows.items()} == before
        assert rows[a]["sync_status"] == "malformed" and rows[b]["sync_status"] == "ok"
        assert sync_once(sb, rec)[1] is None                                      # Toast right again: A syncs


def test_a_menus_metadata_without_its_timestamp_fails_the_stream_and_fetches_nothing():
    "helper-92: a metadata answer of `{}` was taken with a warning, and the menus document (1 call a second) fetched every sync."
    with sandbox() as sb:
        rec = testing.Recorder()
        assert sync_once(sb, rec)[1] is None                                     # 1: clean
        menus = lambda: sb.stats()["requests"].get("GET /menus/v2/menus", {})
        before, n = sum(menus().values()), len(rec.ops)
        assert before                                                            # the first sync fetched the document
        undo = serve(sb, lambda path, q: path == "/menus/v2/metadata", b"{}", once=False)
        log, err = sync_once(sb, rec)
        undo()
        assert isinstance(err, sync.SyncFailed) and "a metadata answer whose `lastUpdated` is None, not a timestamp" in str(err), err
        assert sum(menus().values()) == before                                   # no document fetched on it
        assert not [op for op in rec.ops[n:] if op[0] in ("upsert", "update", "delete") and op[1].startswith("published_")]
        assert sync_once(sb, rec)[1] is None                                     # Toast right again


def test_a_menus_document_short_of_a_menu_deletes_it_only_when_the_next_fetch_agrees():
    """helper-41: a new publish's document that lacks one of the restaurant's menus (a short document) deleted the menu,
    its groups and items at once. Now a lacking menu waits for the next fetch of that publish: the document whole
    again deletes nothing; a menu two fetches lack is deleted with its groups and items."""
    with quiet_sandbox() as sb:
        rec = testing.Recorder()
        assert sync_once(sb, rec)[1] is None
        publish(sb, 2)
        drop = lambda d: {**d, "menus": d["menus"][1:]}
        undo = menus_edited(sb, drop)
        n = len(rec.ops)
        assert sync_once(sb, rec)[1] is None                                      # short of its first menu
        undo()
        assert not [op for op in rec.ops[n:] if op[0] == "delete" and op[1].startswith("published_")], "a short document deleted rows"
        sb.advance(1)
        assert sync_once(sb, rec)[1] is None                                      # the same publish, whole: fetched again
        assert not [op for op in rec.ops[n:] if op[0] == "delete" and op[1].startswith("published_")]
        assert warehouse_ids(rec, "published_menu") == truth_ids(sb)["published_menu"]
        (g,) = sb.world.restaurant_guids()
        assert "missing" not in rec.state["restaurants"][g]["menus.published"]
        publish(sb, 2)                                                            # a publish whose document lacks a menu twice
        undo = menus_edited(sb, drop)
        n = len(rec.ops)
        assert sync_once(sb, rec)[1] is None
        assert not [op for op in rec.ops[n:] if op[0] == "delete" and op[1] == "published_menu"]
        sb.advance(1)
        assert sync_once(sb, rec)[1] is None
        undo()
        gone = {op[2]["id"] for op in rec.ops[n:] if op[0] == "delete" and op[1] == "published_menu"}
        assert len(gone) == 1 and {op[1] for op in rec.ops[n:] if op[0] == "delete"} >= {"published_menu", "published_menu_group"}
        assert warehouse_ids(rec, "published_menu") == {x for x in truth_ids(sb)["published_menu"] if x[0] not in gone}


def menu_truth(sb) -> dict:
    "Keys of the published menu tables in what Toast serves now (one restaurant), read from the documents themselves."
    out = {"published_menu_group": set(), "published_menu_item": set(), "published_modifier_option": set()}
    def walk(groups, menu):
        for g in groups or []:
            out["published_menu_group"].add((g["guid"], menu))
            out["published_menu_item"].update((i["guid"], g["guid"], menu) for i in g.get("menuItems") or [])
            walk(g.get("menuGroups"), menu)
    for e in sb.truth("menus")["entities"]["menus"]:
        for m in e["object"]["menus"]: walk(m.get("menuGroups"), m["guid"])
        out["published_modifier_option"].update(int(k) for k in e["object"]["modifierOptionReferences"])
    return out

def menu_rows(rec) -> dict:
    "The same keys of the live rows in the warehouse."
    return {"published_menu_group": {(r["id"], r["published_menu_id"]) for r in rec.rows("published_menu_group")},
            "published_menu_item": {(r["id"], r["published_menu_group_id"], r["published_menu_id"]) for r in rec.rows("published_menu_item")},
            "published_modifier_option": {int(r["reference_id"]) for r in rec.rows("published_modifier_option")}}


def _drop_group(d):
    d = json.loads(json.dumps(d))
    m = next(m for m in d["menus"] if m.get("menuGroups"))
    m["menuGroups"] = m["menuGroups"][1:]
    return d


def _drop_option(d):
    d = json.loads(json.dumps(d))
    del d["modifierOptionReferences"][min(d["modifierOptionReferences"], key=int)]
    return d


@pytest.mark.parametrize("drop,table", [(_drop_group, "published_menu_group"), (_drop_option, "published_modifier_option")],
                         ids=["group", "option_reference"])
def test_a_menus_document_short_of_a_group_or_a_reference_deletes_it_only_when_the_next_fetch_agrees(drop, table):
    """helper-79: a document whose menus all came back, but short of one group (or one modifier option reference),
    deleted the group and its items at once, and moved the cursor to that publish, so no later sync fetched it again:
    the rows stayed deleted until the next publish. Now it waits for a second fetch of the publish, as a menu does."""
    with quiet_sandbox() as sb:
        rec = testing.Recorder()
        assert sync_once(sb, rec)[1] is None
        publish(sb, 2)
        undo = menus_edited(sb, drop)
        n = len(rec.ops)
        log, err = sync_once(sb, rec)                                             # short of one group / reference
        undo()
        assert err is None
        assert not [op for op in rec.ops[n:] if op[0] == "delete" and op[1].startswith("published_")], "a short document deleted rows"
        sb.advance(1)
        assert sync_once(sb, rec)[1] is None                                      # the same publish, whole: fetched again
        assert not [op for op in rec.ops[n:] if op[0] == "delete" and op[1].startswith("published_")]
        assert menu_rows(rec) == menu_truth(sb)
        (g,) = sb.world.restaurant_guids()
        assert "missing" not in rec.state["restaurants"][g]["menus.published"]
        publish(sb, 2)                                                            # lacked by two fetches: deleted
        undo = menus_edited(sb, drop)
        n = len(rec.ops)
        assert sync_once(sb, rec)[1] is None
        assert not [op for op in rec.ops[n:] if op[0] == "delete" and op[1] == table]
        sb.advance(1)
        assert sync_once(sb, rec)[1] is None
        undo()
        gone = [op for op in rec.ops[n:] if op[0] == "delete" and op[1] == table]
        assert len(gone) == 1, gone


def test_a_publish_older_than_the_one_synced_writes_and_deletes_nothing():
    """helper-79: a stale copy answering the previous publish (metadata and document) was taken as news: the rows of
    the current publish were deleted, the old prices written back and the cursor moved back. Now an older publish is
    said in a warning and nothing is written, deleted or moved; the next sync reads the current one as if nothing happened."""
    with quiet_sandbox() as sb:
        rec = testing.Recorder()
        old, orig = {}, sb.respond
        def grab(method, target, headers=(), body_=b"", client="local"):
            rep = orig(method, target, headers, body_, client)
            p = urlsplit(target).path
            if p in ("/menus/v2/metadata", "/menus/v2/menus") and rep.status == 200: old.setdefault(p, rep)
            return rep
        sb.respond = grab
        assert sync_once(sb, rec)[1] is None
        sb.respond = orig
        sb.world.menu_reshape = True; sb.world.rates["menu_publish"] = 48; sb.advance(3); sb.world.rates["menu_publish"] = 0
        assert sync_once(sb, rec)[1] is None
        sb.advance(1)
        assert sync_once(sb, rec)[1] is None                  # the same publish again: what it left out is deleted
        (g,) = sb.world.restaurant_guids()
        assert set(rec.state["restaurants"][g]["menus.published"]) == {"published"}
        synced, before = rec.state["restaurants"][g]["menus.published"], menu_rows(rec)
        prices = {r["id"]: r["price"] for r in rec.rows("published_menu_item")}
        assert before == menu_truth(sb)
        for stale in (("/menus/v2/metadata", "/menus/v2/menus"), ("/menus/v2/menus",)):   # both stale; only the document
            def respond(method, target, headers=(), body_=b"", client="local"):
                p = urlsplit(target).path
                if p == "/menus/v2/metadata" and p not in stale:              # a newer publish announced than the document
                    rep = orig(method, target, headers, body_, client)
                    return Reply(200, rep.headers, json.dumps({**json.loads(rep.body), "lastUpdated": "2099-01-01T00:00:00.000+0000"}).encode())
                return old[p] if p in stale else orig(method, target, headers, body_, client)
            sb.respond = respond
            n = len(rec.ops)
            sb.advance(1)
            log, err = sync_once(sb, rec)
            sb.respond = orig
            assert err is None
            assert not [op for op in rec.ops[n:] if op[0] in ("upsert", "delete") and op[1].startswith("published_")], "a stale publish wrote or deleted rows"
            said = [m for k, m in log.lines if k == "warning" and "older than the publish of" in m]
            assert len(said) == 1 and "already synced: nothing is" in said[0], said
            assert rec.state["restaurants"][g]["menus.published"] == synced
        sb.advance(1)
        n = len(rec.ops)
        assert sync_once(sb, rec)[1] is None
        assert menu_rows(rec) == before == menu_truth(sb)
        assert {r["id"]: r["price"] for r in rec.rows("published_menu_item")} == prices


def test_a_shift_toast_refuses_by_id_fails_nothing_and_is_deleted_once_toast_answers():
    """helper-79: a by-id request (`shiftIds`) Toast refuses (a 404 for a shift it no longer knows) failed the shifts task
    every sync, for good: the id was asked again each time, the cancelled shift never deleted, and no later
    cancellation seen. Now the refusal is a warning, nothing is deleted on it, the id is asked again next sync, and
    once Toast answers (nothing: the shift is gone) it is deleted when the next sync agrees."""
    with quiet_sandbox() as sb:
        rec = testing.Recorder()
        assert sync_once(sb, rec)[1] is None
        s = max(rec.rows("shift"), key=lambda r: r["in_date"])["id"]      # the latest scheduled: inside the re-read span
        orig, refuse = sb.respond, [True]
        def respond(method, target, headers=(), body_=b"", client="local"):
            u = urlsplit(target)
            if u.path != "/labor/v1/shifts": return orig(method, target, headers, body_, client)
            if refuse[0] and s in parse_qs(u.query).get("shiftIds", []):
                return Reply(404, {"Content-Type": "application/json"}, json.dumps({"status": 404, "message": "Shift not found"}).encode())
            rep = orig(method, target, headers, body_, client)
            if rep.status != 200: return rep
            return Reply(200, rep.headers, json.dumps([x for x in json.loads(rep.body) if x["guid"] != s]).encode())
        sb.respond = respond                                              # cancelled: no longer served
        for _ in range(2):
            sb.advance(1)
            log, err = sync_once(sb, rec)
            assert err is None, err
            said = [m for k, m in log.lines if k == "warning" and "by shiftIds failed" in m]
            assert len(said) == 1 and "nothing is deleted on it" in said[0], said
            assert s in {r["id"] for r in rec.rows("shift")} and s not in {r["id"] for r in rec.deleted("shift")}
        refuse[0] = False                                                 # Toast answers by id again: nothing for it
        sb.advance(1)
        assert sync_once(sb, rec)[1] is None
        assert s not in {r["id"] for r in rec.deleted("shift")}           # one empty answer: it waits
        sb.advance(1)
        assert sync_once(sb, rec)[1] is None
        sb.respond = orig
        assert s in {r["id"] for r in rec.deleted("shift")}


def test_a_401_that_never_clears_ends_on_toasts_401_not_on_the_login_budget():
    """helper-76: Toast hands back the same token while it is valid. When it refuses that token (401) every time, the
    first worker's renewal logged in and got it back; each other worker's 401 logged in again, spending the hour's
    second login, and the sync ended on "Toast allows 2 logins per hour", never saying Toast refused the token. Now a
    login that hands back the refused token is not repeated: the sync ends on Toast's 401, one login spent on it."""
    with quiet_sandbox() as sb:
        rec = testing.Recorder()
        assert sync_once(sb, rec)[1] is None
        orig, n = sb.respond, [0]
        def respond(method, target, headers=(), body_=b"", client="local"):
            p = urlsplit(target).path
            if p.startswith("/authentication/") or p.startswith("/_sandbox"): return orig(method, target, headers, body_, client)
            n[0] += 1
            if n[0] > 3: return Reply(401, {"Content-Type": "application/json"},
                                      json.dumps({"status": 401, "message": "Access token rejected"}).encode())
            return orig(method, target, headers, body_, client)
        sb.respond = respond
        sb.advance(1)
        log, err = sync_once(sb, rec)
        sb.respond = orig
        assert err is not None
        assert "even after a fresh login: Access token rejected" in str(err), str(err)
        assert "logins per hour" not in str(err), str(err)


def test_a_stale_copy_while_a_menus_removal_waits_writes_nothing():
    """helper-80: while a removal waits for its confirming fetch, the cursor's `published` is still the publish before,
    so a stale copy of that one passed the "older than synced" guard: its old prices were written back and the wait
    began again. The publish written meanwhile (`fetched`) is now what a copy is held against."""
    with quiet_sandbox() as sb:
        rec = testing.Recorder()
        old, orig = {}, sb.respond
        def grab(method, target, headers=(), body_=b"", client="local"):
            rep = orig(method, target, headers, body_, client)
            if urlsplit(target).path == "/menus/v2/menus" and rep.status == 200: old.setdefault("doc", rep)
            return rep
        sb.respond = grab
        assert sync_once(sb, rec)[1] is None                                     # P1 synced, its document kept
        sb.respond = orig
        (g,) = sb.world.restaurant_guids()
        p1_prices = {r["id"]: r["price"] for r in rec.rows("published_menu_item")}
        publish(sb, 2)                                                           # P2: new prices, and a group left out
        undo = menus_edited(sb, _drop_group)
        assert sync_once(sb, rec)[1] is None
        undo()
        waiting = dict(rec.state["restaurants"][g]["menus.published"])
        assert waiting.get("missing") and waiting.get("fetched"), waiting
        p2_prices = {r["id"]: r["price"] for r in rec.rows("published_menu_item")}
        assert {k for k in p2_prices if p1_prices.get(k) != p2_prices[k]}, "P2 moved no price: the test proves nothing"
        def stale(method, target, headers=(), body_=b"", client="local"):
            if urlsplit(target).path == "/menus/v2/menus": return old["doc"]
            return orig(method, target, headers, body_, client)
        sb.respond = stale                                                       # the metadata says P2, the document is P1
        sb.advance(1)
        n = len(rec.ops)
        log, err = sync_once(sb, rec)
        sb.respond = orig
        assert err is None
        assert not [op for op in rec.ops[n:] if op[0] in ("upsert", "delete") and op[1].startswith("published_")]
        assert rec.state["restaurants"][g]["menus.published"] == waiting
        assert {r["id"]: r["price"] for r in rec.rows("published_menu_item")} == p2_prices
        sb.advance(1)
        assert sync_once(sb, rec)[1] is None                                     # P2 again: its removal confirmed
        assert set(rec.state["restaurants"][g]["menus.published"]) == {"published"}
        assert menu_rows(rec) == menu_truth(sb)


def test_a_nan_in_a_restaurant_detail_skips_that_restaurant_named():
    """helper-80: Python's json reads `NaN` (no JSON); a restaurant detail holding one was written with `to_json`, which
    refuses it, and the whole sync ended on "Out of range float values are not JSON compliant", naming nothing. Now the
    body is at fault: that restaurant is skipped as malformed, named, and the sync ends failed saying so."""
    with quiet_sandbox() as sb:
        orig = sb.respond
        def respond(method, target, headers=(), body_=b"", client="local"):
            rep = orig(method, target, headers, body_, client)
            if urlsplit(target).path.startswith("/restaurants/v1/restaurants/") and rep.status == 200:
                return Reply(200, rep.headers, rep.body.replace(b'"minimum": 15.00', b'"minimum": NaN').replace(b'"minimum":15.00', b'"minimum":NaN'))
            return rep
        sb.respond = respond
        rec = testing.Recorder()
        log, err = sync_once(sb, rec)
        sb.respond = orig
        assert err is not None
        (g,) = sb.world.restaurant_guids()
        assert g in str(err) and "NaN is not a JSON number" in str(err), str(err)
        assert [r["sync_status"] for r in rec.rows("restaurant")] == ["malformed"]


def _guests(o): o["numberOfGuests"] = 3_000_000_000
def _closed(o): o["closedDate"] = ""
def _amount(o): o["checks"][0]["amount"] = 1e20
def _closed_number(o): o["closedDate"] = 1733300000000        # helper-92: failed inside the SDK on `.strip()`, unnamed
def _amount_text(o): o["checks"][0]["amount"] = "12.50 USD"   # helper-92: the writer failed at the checkpoint, naming no row


@pytest.mark.parametrize("edit,table,column", [(_guests, "orders", "number_of_guests"), (_closed, "orders", "closed_date"),
                                               (_amount, "orders_check", "amount"), (_closed_number, "orders", "closed_date"),
                                               (_amount_text, "orders_check", "amount")])
def test_a_value_the_writer_refuses_ends_the_sync_in_one_line_naming_it(edit, table, column):
    """helper-87: a value Toast's spec does not allow (a guest count past a 32-bit INT, an empty timestamp) reached the
    SDK's writer, whose refusal ended the sync with its own words (`Value out of range: 3000000000`), naming no table,
    order or column. A check's amount past DECIMAL(18,4)'s 14 whole digits was written as NULL, the sync a success. Now
    one line names them; what the earlier checkpoints wrote stays."""
    from test_orders import Warehouse
    with Sandbox(**PROFILE) as sb:
        orig, hit = sb.respond, []
        def respond(method, target, headers=(), body_=b"", client="local"):
            rep = orig(method, target, headers, body_, client)
            if urlsplit(target).path == "/orders/v2/ordersBulk" and rep.status == 200 and not hit:
                page = json.loads(rep.body)
                if page and page[0]["checks"]:
                    edit(page[0]); hit.append(page[0]["guid"] if table == "orders" else page[0]["checks"][0]["guid"])
                    return Reply(200, rep.headers, json.dumps(page).encode())
            return rep
        sb.respond = respond
        wh, log, failed = Warehouse(), testing.ListLog(), []
        wh.fail = failed.append
        with pytest.raises(sync.RowRefused) as ei:
            sync.update(sb.configuration(initialSyncStart=START), {}, emit=wh, log=log)
    said = str(ei.value)
    assert hit and any(f"a row of {table} (id {h}," in said for h in hit) and f", column '{column}' (" in said, said   # its key, all of it
    assert failed == [said]
    # the workers end with the sync: before, those inside a retry loop went on asking the (closed) sandbox for ~14 s
    deadline = time.monotonic() + 5
    while any(t.name.startswith("toast_") for t in threading.enumerate()) and time.monotonic() < deadline: time.sleep(0.05)
    assert not [t.name for t in threading.enumerate() if t.name.startswith("toast_")]
