"""State v1 -> v2: a state written before the key sets moved out of the cursors still loads, and removal detection
keeps working from it.

State v1 kept, in each cursor of a stream that detects removals, `"keys": pack_keys(<key strings>)`. State v2 keeps
every key set in one blob, `state["keys"]` (`state.pack_store`). Here a first sync runs, its state is rewritten in
the v1 layout (`pack_keys` is the v1 encoder, unchanged), configuration objects and employees are removed in the
sandbox, and the next sync starts from the v1 state: every removed object is deleted, every live one kept, and the
state it checkpoints is v2."""
import json

import pytest

from toast_connector import sync, state as keystore
from test_families import check_all, config_truth, deletes, recorder, rows, run, small
from test_families import CONFIG_TABLES   # README's, written out


def as_v1(state: dict) -> dict:
    "A v2 state in the v1 layout: each key set packed into its cursor, no top-level blob."
    st = json.loads(json.dumps(state))
    store = keystore.unpack_store(st.pop("keys", ""))
    st["v"] = 1
    for (rid, stream), keys in store.items(): st["restaurants"][rid][stream]["keys"] = keystore.pack_keys(keys)
    return st


def test_v1_state_loads_and_removals_still_work():
    with small(orders_per_day=2) as sb:
        rec = recorder()
        run(sb, rec, configFullRefreshHours=0, configRefreshHours=0)
        v1 = as_v1(rec.state)
        packed = [c for cur in v1["restaurants"].values() for c in cur.values() if "keys" in c]
        assert len(packed) > 20 and "keys" not in v1                        # the v1 layout: a blob per cursor
        assert {k: v for k, v in keystore.load_keys(json.loads(json.dumps(v1))).items()} == keystore.unpack_store(rec.state["keys"])

        sb.world.rates = {k: 0 for k in sb.world.rates} | {"config_remove": 60, "employee_delete": 12}
        sb.advance(4)
        removed = sb.truth("config")["removed"]
        gone = {(CONFIG_TABLES[ep], x["guid"], x["restaurant"]) for ep, xs in removed.items() for x in xs}
        assert gone
        rec.states.append(v1)                                               # the next sync starts from the v1 state
        n = len(rec.ops)
        run(sb, rec, configFullRefreshHours=0, configRefreshHours=0)
        run(sb, rec, configFullRefreshHours=0, configRefreshHours=0)        # a second full pull agrees: removals deleted
        check_all(sb, rec)                                                  # every table equals the truth again
        for table in {t for t, _, _ in gone}:
            got = {(d["id"], d["restaurant_id"]) for d in deletes(rec, n, table)}
            assert {(g, r) for t, g, r in gone if t == table} <= got, table    # each removed object was deleted
        live = config_truth(sb)
        for t, want in live.items():
            assert set(want) <= {(r["id"], r["restaurant_id"]) for r in rows(rec, t)}, t
        st = rec.state
        assert st["v"] == 4 and st["keys"]
        assert not any("keys" in c for cur in st["restaurants"].values() for c in cur.values())


# the text of a state v1 cursor's `keys` as the v1 encoder (`pack_keys`, 0a1ee6e) wrote it: a literal, so that a
# change of the encoder and the decoder together, which `as_v1` above would follow, cannot pass
V1_KEYS = "c-l+JEKbfZ%_}M9j8-y8GD}V}Ofk|mFfcIGH35>k79hd^0SuL5xpGtUO3_psVOMRW6bk^f6&BP"


def test_a_v1_blob_as_written_in_2026_still_loads():
    v1 = {"v": 1, "restaurants": {"r1": {"config.discounts": {"since": "2026-12-01T00:00:00.000Z", "keys": V1_KEYS}}}}
    assert keystore.load_keys(v1) == {("r1", "config.discounts"): {'discounts\t["0b6cb1d2-0001-4000-8000-000000000001"]',
                                                                   'menu\t["0b6cb1d2-0002-4000-8000-000000000002"]'}}
    assert v1["restaurants"]["r1"]["config.discounts"] == {"since": "2026-12-01T00:00:00.000Z"}   # moved out of the cursor


def test_a_state_without_a_removal_key_set_names_the_tables():
    """helper-72: a state from before the shifts' (2026-12-03) or tip withholding's (2026-12-04) key set could not tell a
    record removed before the upgrade from one never read, and said nothing: it now names the tables to re-sync, once."""
    with small(orders_per_day=2) as sb:
        rec = recorder()
        run(sb, rec)
        st = json.loads(json.dumps(rec.state))
        store = keystore.unpack_store(st["keys"])
        dropped = {k for k in store if k[1] in ("labor.shifts", "config.tipWithholding")}
        assert {s for _, s in dropped} == {"labor.shifts", "config.tipWithholding"}
        st["keys"], st["v"] = keystore.pack_store({k: v for k, v in store.items() if k not in dropped}), 3
        rec.states.append(st)
        said = [m for k, m in run(sb, rec).lines if k == "warning" and "kept no key set" in m]
        assert len(said) == 1 and "kept no key set for shift, tip_withholding" in said[0], said
        shifts = {k for k in dropped if k[1] == "labor.shifts"}          # pulled every sync: kept again at once (tip withholding
        assert rec.state["v"] == 4 and shifts <= set(keystore.unpack_store(rec.state["keys"]))   # at its next pull, every 6 h)
        assert not [m for k, m in run(sb, rec).lines if "kept no key set" in m]      # said once: the state is v4 now


@pytest.mark.parametrize("edit,says", [
    (lambda st: st["restaurants"].__setitem__(next(iter(st["restaurants"])), "x"), "state 'restaurants.{rid}' is a string"),
    (lambda st: st["restaurants"][next(iter(st["restaurants"]))].__setitem__("orders", "2026-01-01"),
     "state 'restaurants.{rid}.orders' is a string '2026-01-01', expected an object (a cursor)"),
    # helper-74: a cursor's field of the wrong type failed only its stream, every sync, without naming where it sits
    (lambda st: st["restaurants"][next(iter(st["restaurants"]))]["orders"].__setitem__("to", "garbage"),
     "state 'restaurants.{rid}.orders.to' is a string 'garbage', expected a timestamp"),
    (lambda st: st["restaurants"][next(iter(st["restaurants"]))]["cash.entries"].__setitem__("retry", ["20260101"]),
     "state 'restaurants.{rid}.cash.entries.retry' is a list, expected an object"),
    (lambda st: st.__setitem__("keys", "garbage!!"), "state 'keys' is not a key store this connector wrote"),
    (lambda st: st.__setitem__("v", "3"), "state 'v' is a string '3', expected a whole number"),
    (lambda st: st.__setitem__("v", None), "state 'v' is null, expected a whole number"),        # helper-74: a TypeError
    (lambda st: st.__setitem__("start", "garbage"), "state 'start' is a string 'garbage', expected a timestamp")])
def test_a_hand_edited_state_is_named_in_one_line(edit, says):
    """helper-72: a value of the wrong type failed every sync deep inside ('str' object has no attribute 'get', a zlib
    error) without naming the key; now the sync ends in one line naming the path, and writes nothing."""
    with small(orders_per_day=2) as sb:
        rec = recorder()
        run(sb, rec)
        st = json.loads(json.dumps(rec.state))
        rid = next(iter(st["restaurants"]))
        edit(st)
        rec.states.append(st)
        failed = []
        rec.fail = failed.append                         # the SDK emitter's one-line end (`op.error`)
        n = len(rec.ops)
        with pytest.raises(Exception) as e: run(sb, rec)
        assert says.format(rid=rid) in str(e.value) and failed == [str(e.value)], (str(e.value), failed)
        assert len(rec.ops) == n                         # nothing written, nothing deleted


def test_a_cache_of_the_wrong_type_is_dropped_with_a_warning():
    with small(orders_per_day=2) as sb:
        rec = recorder()
        run(sb, rec)
        st = json.loads(json.dumps(rec.state))
        st["details"], st["auth"] = [], "x"
        st.setdefault("reconciliation", {})["dates"] = {"r1": "x"}       # helper-74: failed every sync at its end
        rec.states.append(st)
        said = [m for k, m in run(sb, rec).lines if k == "warning" and "dropped, this sync rebuilds it" in m]
        assert said == ["state 'details' is a list, expected an object: 'details' dropped, this sync rebuilds it",
                        "state 'auth' is a string 'x', expected an object: 'auth' dropped, this sync rebuilds it",
                        "state 'reconciliation.dates.r1' is a string 'x', expected an object: 'reconciliation' dropped, "
                        "this sync rebuilds it"], said
        assert rec.rows("sync_log")[-1]["status"] == "succeeded"
