"""The cost of reconciliation: a day of hourly syncs of 2 restaurants (7 days of history, 100 orders a day, the
sandbox's clock pinned), once without analytics credentials (no reconciliation) and once with them (Toast's totals
and the business-date re-reads of the 3-date span, checked every 24 h, differing dates every sync). Calls are counted
by the sandbox; the figure is the extra calls per day as a share of the incremental calls (goal: under 10%)."""
import sys, time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from toast_connector import analytics, sync, testing
from toast_connector.sandbox.server import Sandbox

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.utc)
analytics.POLLS = (0.05,)


def day(creds: bool) -> Counter:
    "Calls per kind over 24 hourly syncs after a first sync."
    sb = Sandbox(seed=5, restaurants=2, days=7, orders_per_day=100, now=NOW, rate_limits=0)
    sb.world.connect_every_hours = 0
    with sb:
        cfg = sb.configuration(**({"analyticsClientId": sb.analytics_client_id, "analyticsClientSecret": sb.analytics_client_secret} if creds else {}))
        rec, state = testing.Recorder(), {}
        sync.update(cfg, state, emit=rec, log=testing.ListLog()); state = rec.state
        sb.reset_stats()
        statuses = Counter()
        for _ in range(24):
            sb.advance(1)
            sync.update(cfg, state, emit=rec, log=testing.ListLog()); state = rec.state
        out = Counter()
        for t, per in sb.stats()["requests"].items():
            out["analytics" if "/era/" in t else "all"] += sum(per.values())
        statuses.update(r["status"] for r in rec.rows("reconciliation"))
        out.update({f"status {k}": v for k, v in statuses.items()})
        return out


t = time.perf_counter()
base, rec = day(False), day(True)
extra = rec["all"] + rec["analytics"] - base["all"]
print(f"hourly syncs for a day, 2 restaurants: {base['all']} calls without reconciliation, {rec['all'] + rec['analytics']} with it "
      f"({rec['analytics']} analytics API calls, {rec['all'] - base['all']} business-date re-reads of ordersBulk)")
print(f"reconciliation: {extra} extra calls per day = {100 * extra / base['all']:.1f}% of the incremental calls (goal < 10%); "
      f"reconciliation rows at the end: {dict((k[7:], v) for k, v in rec.items() if k.startswith('status'))} ({time.perf_counter() - t:.0f} s)")
