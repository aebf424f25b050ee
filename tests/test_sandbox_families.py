"""The sandbox is organized by family (issue 12): every endpoint, advance event and truth is declared on a family and
found by name through an explicit table. These tests check the tables are whole and that a family declared from
outside is served like the sandbox's own, then leaves no trace."""
import json
from datetime import datetime, timezone
from pathlib import Path

from toast_connector.sandbox.data import (DEFAULT_RATES, EVENTS, FAMILIES, World, family_truth, on_event,
                                          truth_families)
from toast_connector.sandbox.server import RATE_RULES, ROUTES, Sandbox, drop_family, match_route, route

NOW = datetime(2026, 11, 28, 9, 40, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parent.parent


def test_every_event_kind_has_its_function_in_its_family():
    assert set(DEFAULT_RATES) <= set(EVENTS)
    for name, f in FAMILIES.items():
        for kind, fn in f.events.items(): assert EVENTS[kind] is fn, (name, kind)
    assert {k for f in FAMILIES.values() if f.volume for k in f.events} == \
        {"order_edit", "order_void", "order_delete", "selection_remove", "check_combine", "order_refund"}


def test_every_route_belongs_to_a_declared_family_and_is_listed_there():
    assert truth_families() == ("restaurants", "orders", "config", "menus", "labor", "cash")
    own = [r for r in ROUTES if r.family is None]
    assert [(r.method, r.template, r.public) for r in own] == [("POST", "/authentication/v1/authentication/login", True)]
    for r in ROUTES:
        if r.family is not None: assert r in FAMILIES[r.family].routes, r.template
    assert sorted(r.template for f in FAMILIES.values() for r in f.routes) == sorted(r.template for r in ROUTES if r.family)
    assert len(ROUTES) == len({(r.method, r.template) for r in ROUTES}) == 21


def test_no_handler_is_found_by_name():
    for p in sorted((ROOT / "toast_connector" / "sandbox").glob("*.py")):
        assert "globals()" not in p.read_text(), p.name
    assert all(callable(r.handler) for r in ROUTES)


def test_a_family_declared_outside_is_served_then_forgotten():
    before = (list(ROUTES), list(FAMILIES), dict(EVENTS), dict(RATE_RULES))
    assert match_route("GET", "/test/v1/notes") == (None, {})

    @on_event("_test_notes", "_note_added")
    def _added(w, r, at, kind, sub, rng):
        w.__dict__.setdefault("_notes", []).append({"restaurant": r.guid, "guid": f"n{sub % 1000}", "at": at})
        return True

    @family_truth("_test_notes")
    def _truth(w, rs, s, cut):
        return {"notes": [{"restaurant": n["restaurant"], "object": {"guid": n["guid"]}} for n in w.__dict__.get("_notes", [])]}, {}

    @route("GET", "/test/v1/notes", "config:read", family="_test_notes", limits=((1, 2),))
    def _notes(sb, c):
        return [{"guid": n["guid"]} for n in sb.world.__dict__.get("_notes", []) if n["restaurant"] == c.restaurant]

    try:
        sb = Sandbox(seed=2, restaurants=1, days=2, orders_per_day=5, now=NOW, rate_limits=1.0)
        sb.limiter.clock = lambda: 1000.25                    # one fixed rate-limit slice for the whole test
        sb.world.rates = {k: 0.0 for k in sb.world.rates} | {"_note_added": 40.0}
        assert sb.advance(3)["_note_added"] > 0
        login = {"clientId": sb.client_id, "clientSecret": sb.client_secret, "userAccessType": "TOAST_MACHINE_CLIENT"}
        tok = sb.respond("POST", "/authentication/v1/authentication/login", {"Content-Type": "application/json"}, json.dumps(login).encode()).json()["token"]["accessToken"]
        g = sb.world.restaurant_guids()[0]
        h = {"Authorization": f"Bearer {tok}", "Toast-Restaurant-External-ID": g}
        rep = sb.respond("GET", "/test/v1/notes", h)
        assert rep.status == 200 and rep.headers["X-Toast-RateLimit-By"] == "ENDPOINT"        # its own limit: 2 a second
        assert rep.json() == [e["object"] for e in sb.truth("_test_notes")["entities"]["notes"]]
        assert [sb.respond("GET", "/test/v1/notes", h).status for _ in range(2)] == [200, 429]
        assert sb.respond("GET", "/_sandbox/truth/_test_notes").status == 200
    finally:
        drop_family("_test_notes")
    assert (list(ROUTES), list(FAMILIES), dict(EVENTS), dict(RATE_RULES)) == before
    assert match_route("GET", "/test/v1/notes") == (None, {})
    assert Sandbox(seed=2, restaurants=1, days=2, orders_per_day=5, now=NOW).respond("GET", "/_sandbox/truth/_test_notes").status == 404


def test_default_rates_draw_in_declared_order():
    # the order of DEFAULT_RATES is the order advance draws in: a World's rates keep it
    w = World(seed=0, restaurants=1, days=1, now=NOW)
    assert list(w.rates) == list(DEFAULT_RATES) and w.rates is not DEFAULT_RATES
