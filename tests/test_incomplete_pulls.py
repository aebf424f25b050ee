"""helper-49's reproductions, as proofs that they are fixed: a pull that is not complete and well-formed deletes
nothing, and what it could not read is named. Each case lost or wrongly deleted rows, with the sync `succeeded` and no
warning, before the fix: a string among a menus reference map's values (skipped, its row deleted until the next
publish), a null child list (its children deleted on one pull's word), a `null` record in a config list (skipped, the
cursor past it until the next full refresh), Toast's error body served with a 200 (landed as a `tip_withholding` row)."""
import json
import pytest
from datetime import timedelta
from urllib.parse import urlsplit

from toast_connector import sync, testing
from toast_connector.configuration import CONFIG_TABLES
from toast_connector.sandbox.server import Reply, Sandbox
from clock import NOW
from test_empty_answers import run
from test_malformed import quiet_sandbox, publish, menus_edited, sync_once

CFG = ["config:read", "restaurants:read"]


def config_sandbox():
    sb = Sandbox(seed=11, restaurants=1, days=3, orders_per_day=2, rate_limits=0, now=NOW, scopes=CFG, token_ttl=10**8)
    sb.world.rates = {k: 0.0 for k in sb.world.rates}
    return sb


def sync_cfg(sb, rec) -> list[str]:
    "One sync of the configuration family; its warnings (it must succeed)."
    log = testing.ListLog()
    sync.update(sb.configuration(initialSyncStart=(NOW - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S.000Z")), rec.state,
                emit=rec, log=log)
    assert rec.rows("sync_log")[-1]["status"] == "succeeded", rec.rows("sync_log")[-1]
    return [m for k, m in log.lines if k == "warning"]


def answered(sb, path: str, edit):
    "Serve 200 answers of `path` through `edit(body) -> body or None (as it is)`; returns the undo."
    orig = sb.respond
    def respond(method, target, headers=(), body_=b"", client="local"):
        rep = orig(method, target, headers, body_, client)
        if urlsplit(target).path == path and rep.status == 200 and (new := edit(json.loads(rep.body))) is not None:
            return Reply(200, rep.headers, json.dumps(new).encode())
        return rep
    sb.respond = respond
    return lambda: setattr(sb, "respond", orig)


def test_a_reference_map_value_that_is_no_object_fails_the_document_and_deletes_nothing():
    with quiet_sandbox() as sb:
        rec = testing.Recorder()
        assert sync_once(sb, rec)[1] is None
        options = {r["reference_id"] for r in rec.rows("published_modifier_option")}
        def mistype(d):
            refs = dict(d["modifierOptionReferences"])
            refs[sorted(refs, key=int)[0]] = "garbage"
            return {**d, "modifierOptionReferences": refs}
        publish(sb, 2)
        undo = menus_edited(sb, mistype)
        n = len(rec.ops)
        log, err = sync_once(sb, rec)
        undo()
        assert err is not None and "as reference" in str(err) and "`modifierOptionReferences`, not an object" in str(err), err
        assert not [op for op in rec.ops[n:] if op[0] == "delete" and op[1].startswith("published_")]
        sb.advance(1)
        assert sync_once(sb, rec)[1] is None             # the same publish, read whole: nothing was lost
        assert {r["reference_id"] for r in rec.rows("published_modifier_option")} >= options


def publish_with_a_null_group_list(sb, rec, field: str) -> tuple:
    "A new publish whose first group holding a non-empty `field` sends it null, synced: (log, error, ops before, that group)."
    hit = {}
    def null_first(d):
        d = json.loads(json.dumps(d))
        for m in d["menus"]:
            for grp in m["menuGroups"]:
                if grp.get(field) and not hit: hit["group"] = grp["guid"]; grp[field] = None
        return d
    publish(sb, 2)
    undo = menus_edited(sb, null_first)
    n = len(rec.ops)
    log, err = sync_once(sb, rec)
    undo()
    assert hit, f"the sandbox's menus have no group with {field} to null"
    return log, err, n, hit["group"]


def test_a_menu_group_whose_items_are_null_keeps_them():
    with quiet_sandbox() as sb:
        rec = testing.Recorder()
        assert sync_once(sb, rec)[1] is None
        log, err, n, group = publish_with_a_null_group_list(sb, rec, "menuItems")
        assert err is None
        assert not [op for op in rec.ops[n:] if op[0] == "delete" and op[1].startswith("published_")]
        warned = [m for k, m in log.lines if k == "warning" and "menus" in m]
        assert any(f"`menuItems` of published_menu_group {group}" in m for m in warned), warned
        assert [r for r in rec.rows("published_menu_item") if r["published_menu_group_id"] == group]
        g = sb.world.restaurant_guids()[0]
        assert "missing" not in rec.state["restaurants"][g]["menus.published"]
        before = sb.stats()["requests"].get("GET /menus/v2/menus", {})
        sb.advance(1)
        assert sync_once(sb, rec)[1] is None             # the publish is fetched again, whole this time (helper-51)
        assert sum(sb.stats()["requests"]["GET /menus/v2/menus"].values()) == sum(before.values()) + 1


def test_a_nested_menu_group_list_that_is_null_keeps_its_subgroups():
    "menus-v2: a group's `menuGroups` is empty when it has none; null is no answer, at any depth (helper-51)."
    with quiet_sandbox() as sb:
        rec = testing.Recorder()
        assert sync_once(sb, rec)[1] is None
        log, err, n, group = publish_with_a_null_group_list(sb, rec, "menuGroups")
        assert err is None
        assert not [op for op in rec.ops[n:] if op[0] == "delete" and op[1] in ("published_menu_group", "published_menu_item")]
        assert any(f"`menuGroups` of published_menu_group {group}" in m for k, m in log.lines if k == "warning"), log.lines


def test_an_employee_whose_lists_are_null_keeps_its_job_references():
    scopes = ["labor.employees:read", "restaurants:read"]
    with Sandbox(seed=5, restaurants=1, days=2, orders_per_day=2, rate_limits=0, now=NOW, scopes=scopes, token_ttl=10**8) as sb:
        sb.world.rates = {k: 0.0 for k in sb.world.rates}
        start, rec = NOW - timedelta(days=2), testing.Recorder()
        run(sb, rec, start)
        refs = rec.rows("employee_job_reference")
        victim = sorted({r["employee_id"] for r in refs})[0]
        real = sb.world.employees
        sb.world.employees = lambda rg, ids=None: [({**e, "jobReferences": None} if e["guid"] == victim else e)
                                                    for e in real(rg, ids)]
        sb.advance(7)                                     # the next full pull of employees is due
        n = len(rec.ops)
        warned = run(sb, rec, start)
        sb.world.employees = real
        flagged = {e["object"]["guid"] for e in sb.truth("labor")["entities"]["employees"] if e["object"]["deleted"]}
        assert victim not in flagged
        dels = [op[2] for op in rec.ops[n:] if op[0] == "delete" and op[1].startswith("employee")]
        assert all(d.get("employee_id", d["id"]) in flagged for d in dels), dels   # only Toast's own deletions
        assert any(f"`jobReferences` of employee {victim}" in w for w in warned), warned
        assert {r["id"] for r in rec.rows("employee_job_reference") if r["employee_id"] == victim}


def test_a_null_record_in_a_config_list_is_asked_again_not_skipped():
    with config_sandbox() as sb:
        rec, hit = testing.Recorder(), []
        sync_cfg(sb, rec)
        sb.world.rates["config_add"] = 8; sb.advance(7); sb.world.rates["config_add"] = 0
        orig = sb.respond
        def respond(method, target, headers=(), body_=b"", client="local"):
            rep = orig(method, target, headers, body_, client)
            u = urlsplit(target)
            if u.path.startswith("/config/v2/") and "lastModified" in u.query and rep.status == 200 and not hit:
                items = json.loads(rep.body)
                if isinstance(items, list) and items:        # one new object, answered as null once
                    hit.append((u.path, items[0]["guid"]))
                    return Reply(200, rep.headers, json.dumps([None] + items[1:]).encode())
            return rep
        sb.respond = respond
        sync_cfg(sb, rec)
        sb.respond = orig
        assert hit
        path, lost = hit[0]
        table = {f"/config/v2/{e}": t for e, t in CONFIG_TABLES.items()}[path]
        assert lost in {r["id"] for r in rec.rows(table)}          # the retry read it, in the same sync


def test_toasts_error_body_with_a_200_is_no_tip_withholding_row():
    err = {"status": 500, "code": 10025, "message": "Internal server error", "messageKey": None, "fieldName": None,
           "link": None, "requestId": "abc", "developerMessage": "upstream timeout", "errors": [], "canRetry": None}
    with config_sandbox() as sb:
        rec = testing.Recorder()
        sync_cfg(sb, rec)
        before = rec.rows("tip_withholding")
        undo = answered(sb, "/config/v2/tipWithholding", lambda body: err)
        sb.advance(7)
        with pytest.raises(sync.SyncFailed, match=r"config.tipWithholding .* Toast answered 200 with Toast's error body "
                                                  r"\(status 500: 'Internal server error'\)"):
            sync.update(sb.configuration(initialSyncStart=(NOW - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S.000Z")),
                        rec.state, emit=rec, log=testing.ListLog())
        undo()
        assert rec.rows("tip_withholding") == before                 # no second row, no `status`/`message` columns


def test_a_tip_withholding_answered_with_another_guid_leaves_one_live_row():
    """tipWithholding is one object per restaurant, keyed by Toast's guid: should Toast answer it with another guid (the
    setting made anew), the old row is deleted once a second pull agrees (helper-55: it stayed live beside the new one)."""
    new_guid = "11111111-2222-4333-8444-555555555555"
    with config_sandbox() as sb:
        rec = testing.Recorder()
        sync_cfg(sb, rec)
        (old,) = rec.rows("tip_withholding")
        answered(sb, "/config/v2/tipWithholding", lambda body: {**body, "guid": new_guid})
        sb.advance(7)                                                # configRefreshHours (6) apart: each sync pulls it
        sync_cfg(sb, rec)                                            # one pull's word: the old row waits, both live
        assert sorted(r["id"] for r in rec.rows("tip_withholding")) == sorted([old["id"], new_guid]) and not rec.deleted("tip_withholding")
        (rg,) = rec.state["restaurants"]
        assert any(old["id"] in k for k in rec.state["restaurants"][rg]["config.tipWithholding"].get("missing", ()))
        sb.advance(7)
        sync_cfg(sb, rec)                                            # the second agrees: deleted
        assert [r["id"] for r in rec.rows("tip_withholding")] == [new_guid]
        assert [r["id"] for r in rec.deleted("tip_withholding")] == [old["id"]]
