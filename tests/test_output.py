"""What a person reads, through `fivetran debug` as a user runs it: configuration errors, warnings, progress, checkpoints.

- an unknown configuration key is ignored with one warning naming the closest known key;
- the example configuration's placeholders are refused before any request, in one line, without a traceback, and
  the setup form (`fivetran configuration --test`) reports the same line;
- credentials Toast rejects end the sync in one line too;
- progress is one overall line (tasks done/total, rows, API calls, elapsed, ETA per family), at most every 15 s;
- (the state the SDK writes into the log at every checkpoint stays small on the demo profile: checked on `make demo`'s
  own runs, tests/test_demo.py).
"""
import json, re
from datetime import datetime, timezone
from pathlib import Path

from toast_connector.sandbox.server import Sandbox
from test_e2e import ROOT, debug, make_project
from test_form import configuration_test, results

NOW = datetime(2026, 6, 10, 10, 0, tzinfo=timezone.utc)     # every sandbox clock here is pinned
# one restaurant, one day: every family, few rows. The SDK's local writer costs seconds of CPU a checkpoint, so the
# progress test lasts through waiting (one worker, LATENCY_MS a call), not through rows
SMALL = dict(seed=7, restaurants=1, days=1, orders_per_day=20)
LATENCY_MS = 500
PROGRESS_RE = re.compile(r"progress: (\d+)/(\d+) tasks done, [\d,]+ rows, [\d,]+ API calls, \S+ elapsed, ETA (\S+) \((.+)\)$")


def stamp(line: str) -> float:
    "Seconds of the day of an SDK log line (`HH:MM:SS.mmm LEVEL ...`)."
    h, m, s = line.split()[0].split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def shipped(sb) -> dict:
    "The repository's example configuration.json, aimed at the sandbox (were it accepted, the sandbox would count the calls)."
    return {**json.loads((ROOT / "configuration.json").read_text()), "domain": sb.url}


def test_placeholder_is_refused_before_any_request_in_one_line(tmp_path, monkeypatch):
    for v in ("TOAST_CLIENT_ID", "TOAST_CLIENT_SECRET", "TOAST_FERNET_KEY"): monkeypatch.delenv(v, raising=False)
    with Sandbox(seed=11, restaurants=1, days=1, orders_per_day=2, rate_limits=0, now=NOW) as sb:
        cfg = shipped(sb)
        assert cfg["clientId"] == "<YOUR_CLIENT_ID>"
        sb.reset_stats()
        proj = make_project(tmp_path)
        rc, out = debug(proj, cfg)
        stats = sb.stats()
    assert rc != 0
    want = ("configuration 'clientId': is still the placeholder '<YOUR_CLIENT_ID>' from the example configuration.json: "
            "put the real value there, or leave it empty and set the TOAST_CLIENT_ID environment variable")
    hits = [l for l in out.splitlines() if "configuration 'clientId'" in l]
    assert len(hits) == 1 and hits[0].endswith(want), out[-3000:]
    assert "Traceback" not in out and not (proj / "crash-reports").exists(), out[-3000:]
    assert stats["requests"] == {} and stats["logins"] == 0, stats           # refused before any request

    (tmp_path / "form").mkdir()
    rc, out = configuration_test(tmp_path / "form", cfg)                      # the setup form says the same line
    assert rc != 0 and results(out)["configuration_values"] == want, out
    assert "Traceback" not in out


def test_rejected_credentials_end_the_sync_in_one_line(tmp_path):
    with Sandbox(seed=11, restaurants=1, days=1, orders_per_day=2, rate_limits=0, now=NOW) as sb:
        rc, out = debug(make_project(tmp_path), sb.configuration(clientSecret="not-the-secret-123"))
        logins = sb.stats()["logins"]
    assert rc != 0
    hits = [l for l in out.splitlines() if "rejected the client id or secret" in l]
    assert len(hits) == 1 and "Error: Connector Sdk Task." in hits[0], out[-3000:]
    assert "Traceback" not in out and "not-the-secret-123" not in out and logins <= 1


def test_an_unknown_key_warns_and_progress_is_one_line_at_most_every_15_s(tmp_path):
    # one worker and LATENCY_MS a call: the sync lasts over 15 s on any machine (checked), so a progress line is due
    with Sandbox(**SMALL, now=NOW, latency_ms=LATENCY_MS) as sb:
        proj = make_project(tmp_path)
        rc, out = debug(proj, sb.configuration(lookback="7", maxWorkers="1"))
        calls = sum(sb.stats()["status"].values())          # responses of every status
    assert rc == 0, out[-3000:]
    assert calls * LATENCY_MS / 1000 > 20, calls                               # over 20 s of waiting alone
    lines = out.splitlines()

    warn = [l for l in lines if "'lookback'" in l]
    assert len(warn) == 1 and " WARNING " in warn[0], warn
    assert warn[0].endswith("configuration 'lookback': unknown key, ignored; did you mean 'lookbackMinutes'?")

    (begin,) = [l for l in lines if re.search(r"connector sync \S+: \d+ restaurants .* (\d+) streams to run", l)]
    total = int(re.search(r"(\d+) streams to run", begin)[1])
    prog = [l for l in lines if "connector progress: " in l]
    assert prog, "a sync of more than 15 s logs progress"
    for l in prog:
        m = PROGRESS_RE.search(l)
        assert m, l
        assert int(m[1]) <= int(m[2]) == total
        assert re.fullmatch(r"\d+[smh].*|unknown", m[3]), l
        assert {f.split()[0] for f in m[4].split(", ")} >= {"orders", "config", "menus", "labor", "cash"}, l
    times = [stamp(begin)] + [stamp(l) for l in prog]
    gaps = [(b - a) % 86400 for a, b in zip(times, times[1:])]
    assert all(g >= 15.0 for g in gaps), gaps                                # at most one line every 15 s
    assert not [l for l in lines if re.search(r"connector restaurant .*, \d+%$", l)]   # no per-task percentages


def ends_in_one_line(tmp_path, says: str, **sandbox):
    "`fivetran debug` of a small sandbox fails with exactly one line saying `says`, no traceback and no crash report."
    with Sandbox(seed=11, days=1, orders_per_day=2, rate_limits=0, now=NOW, **{"restaurants": 1, **sandbox}) as sb:
        proj = make_project(tmp_path)
        rc, out = debug(proj, sb.configuration())
    assert rc != 0
    assert len([l for l in out.splitlines() if says in l]) == 1, out[-3000:]
    assert "Traceback" not in out and not (proj / "crash-reports").exists(), out[-3000:]


def test_management_client_without_an_anchor_is_one_line(tmp_path):
    """A management-group client whose configuration names no restaurant of the group cannot list any: `fivetran debug`
    ends with one line naming `groupRestaurantIds`, no traceback and no crash report (helper-71: a 20-line traceback)."""
    ends_in_one_line(tmp_path, "set groupRestaurantIds to any restaurant of the group", access="management")


def test_a_partner_client_without_restaurants_read_is_one_line_naming_the_scope(tmp_path):
    """partners-v1 asks no scope of the restaurant list, so a partner client without `restaurants:read` lists its
    restaurants and only their details answer 403. That was taken for "newly connected": every restaurant skipped,
    the sync succeeded with no data, every sync (helper-77; the sandbox refused the list, which hid it). Now the sync
    ends in one line naming the scope, no traceback, no crash report."""
    scopes = ("orders:read", "config:read", "labor:read", "cashmgmt:read", "menus:read")
    ends_in_one_line(tmp_path, "lack restaurants:read: no restaurant's time zone and closeout hour can be read", restaurants=2, scopes=scopes)
