"""A backfill of more than three months of shifts against the strict sandbox, over HTTP, on the real engine.

Toast's `/labor/v1/shifts` returns a shift only when its `inDate` is at or after `startDate` AND its `outDate` is
before `endDate` (labor-v1 spec), so a shift crossing a window's edge is in no back-to-back window. The backfill's
window edges are placed at 21:00 UTC (17:00 in New York), in the middle of the day's shifts: every edge the
connector uses is crossed by shifts in the truth, the sandbox does not return them in the window they cross, and
still every one lands (the windows overlap by 48 hours). Then one more sync after a day of shift edits.
One restaurant, labor scopes only (the other families answer 403 and are skipped), no rate limits, a pinned clock.
"""
from datetime import datetime, timedelta, timezone

from toast_connector import sync, windows as W, testing
from toast_connector.config import validate_configuration
from toast_connector.sandbox.server import Sandbox, toast_ts
from test_families import RecordingClient   # records (path, restaurant, params) of every request

UTC = timezone.utc
NOW = datetime(2026, 6, 24, 18, 0, tzinfo=UTC)
START = datetime(2026, 3, 14, 21, 0, tzinfo=UTC)       # 17:00 in New York (EDT all through the backfill)
SCOPES = ["labor:read", "labor.employees:read", "restaurants:read"]
SHIFTS_PATH = "/labor/v1/shifts"




def ts(s): return None if s is None else datetime.fromisoformat(s.replace("Z", "+00:00").replace("+0000", "+00:00"))


def configuration(sb):
    return sb.configuration(initialSyncStart=START.strftime("%Y-%m-%dT%H:%M:%S.000Z"))


def sync_once(sb, rec):
    "One sync into `rec` with a recording client; returns the client and the log."
    cfg = configuration(sb)
    client, log = RecordingClient(validate_configuration(cfg), {}), testing.ListLog()
    sync.update(cfg, rec.state, emit=rec, log=log, client=client)
    return client, log


def truth_shifts(sb):
    "Every shift the World serves now that starts at or after initialSyncStart (deleted ones flagged)."
    return {e["object"]["guid"]: e["object"] for e in sb.truth("labor")["entities"]["shifts"] if ts(e["object"]["inDate"]) >= START}


def shift_rows(rec):
    return {r["id"]: (ts(r["in_date"]), ts(r["out_date"])) for r in rec.rows("shift")}


def live(shifts, before):
    "The shifts the warehouse must hold: not deleted, ending before `before` (the far end the sync read)."
    return {g: (ts(o["inDate"]), ts(o["outDate"])) for g, o in shifts.items() if not o["deleted"] and ts(o["outDate"]) < before}


def test_backfill_of_three_months_loses_no_shift_across_a_window_edge():
    with Sandbox(seed=2, restaurants=1, days=104, orders_per_day=2, now=NOW, rate_limits=0, scopes=SCOPES) as sb:
        (rg,) = sb.world.restaurant_guids()
        assert sb.world.restaurant(rg)["general"]["timeZone"] == "America/New_York"
        rec = testing.Recorder()
        client, _ = sync_once(sb, rec)
        reqs = [(ts(p["startDate"]), ts(p["endDate"])) for path, _, p in client.calls if path == SHIFTS_PATH and "startDate" in p]
        assert reqs[0][0] == START and len(reqs) >= 4 and reqs[-1][1] - START > timedelta(days=92)   # over 3 months
        assert all(b - a <= timedelta(days=28) for a, b in reqs)
        far = reqs[-1][1]
        assert far >= NOW - timedelta(seconds=120) + timedelta(days=14), far    # README: 14 days ahead of the sync's end
        truth = truth_shifts(sb)
        # every inner edge of the plan is crossed by shifts in the truth, which the request ending (or starting)
        # there does not return
        scheduled = max(ts(o["outDate"]) for o in truth.values())                  # the sandbox schedules a week ahead
        edges = sorted(t for t in {t for a, b in reqs for t in (a, b)} - {START, far} if t < scheduled)
        assert len(edges) >= 6
        for edge in edges:
            crossing = [g for g, o in truth.items() if ts(o["inDate"]) < edge <= ts(o["outDate"]) and not o["deleted"]]
            assert len(crossing) >= 2, edge
            for a, b in reqs:
                if edge in (a, b):
                    got = {o["guid"] for o in client.get(SHIFTS_PATH, restaurant=rg,
                                                          params={"startDate": toast_ts(a), "endDate": toast_ts(b)}).data}
                    assert not got & set(crossing), edge
        # and every one of them landed: warehouse == truth for shifts
        want = live(truth, far)
        assert shift_rows(rec) == want and len(want) > 900
        assert sum(i > NOW for i, _ in want.values()) >= 10                     # among them shifts scheduled ahead
        assert any(o["deleted"] for o in truth.values())                      # deleted shifts exist and are not rows
        # back-to-back windows (the old plan) over the same span would have lost the crossing shifts for good
        old = plan_windows(START, far, 28)
        seen = set()
        for a, b in old:
            seen |= {o["guid"] for o in client.get(SHIFTS_PATH, restaurant=rg,
                                                   params={"startDate": toast_ts(a), "endDate": toast_ts(b)}).data}
        lost = set(want) - seen
        assert lost == {g for g in want for a, b in old[:-1] if want[g][0] < b <= want[g][1]} and len(lost) >= 2 * (len(old) - 1)
        # time entries survive the stricter sandbox too (read by modified range: archived ones included)
        tes = [e["object"] for e in sb.truth("labor")["entities"]["timeEntries"]]
        cut = sb.now - timedelta(seconds=120)
        want_te = {o["guid"] for o in tes if START <= ts(o["modifiedDate"]) < cut and not o["deleted"]}
        assert {r["id"] for r in rec.rows("time_entry")} == want_te and len(want_te) > 900
        assert any(o["deleted"] and START <= ts(o["modifiedDate"]) < cut for o in tes)

        # a day later, after shift edits (out times move): one incremental sync, still warehouse == truth
        sb.world.rates.update(shift_edit=24.0)
        counts = sb.advance(30)
        assert counts["shift_edit"] >= 10
        client, _ = sync_once(sb, rec)
        reqs2 = [(ts(p["startDate"]), ts(p["endDate"])) for path, _, p in client.calls if path == SHIFTS_PATH and "startDate" in p]
        assert reqs2[0][0] < NOW - timedelta(days=13)                          # the 14-day shift lookback
        assert reqs2[-1][1] >= sb.now - timedelta(seconds=120) + timedelta(days=14), reqs2[-1]
        assert shift_rows(rec) == live(truth_shifts(sb), reqs2[-1][1])


def plan_windows(start, end, max_days):
    "Back-to-back windows of at most `max_days` days over `[start, end)`: the old plan, which loses shifts crossing an edge."
    out, step = [], timedelta(days=max_days)
    while start < end:
        out.append((start, min(start + step, end))); start = out[-1][1]
    return out
