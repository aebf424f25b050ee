"""Client rate benchmark: the sandbox with Toast's real rate limits and no faults; worker threads hammer one
restaurant through one ToastClient for a sustained run. Prints

    rate: achieved X req/s / allowed Y req/s = Z% (429s: N)

measured in steady state (after the first second's burst allowance), for a general endpoint (20/s per restaurant)
and for ordersBulk (5/s). Target: >= 90% of the allowed rate with zero 429s. Exit status 1 if missed."""
import os, sys, threading, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fivetran_connector_sdk import Logging as log
log.LOG_LEVEL = log.Level.WARNING

from toast_connector.config import validate_configuration
from toast_connector.client import ToastClient
from toast_connector.families import endpoint_limits
from toast_connector.sandbox.server import Sandbox


def run(client, sb, path, restaurant, seconds, params=None, threads=4, warmup=1.05):
    "Send requests from `threads` threads for `seconds`; return (steady-state req/s, 429s during the run)."
    sb.reset_stats()
    done, lock = [], threading.Lock()
    t0 = time.monotonic()
    stop = t0 + seconds
    def worker(_):
        while time.monotonic() < stop:
            client.get(path, restaurant=restaurant, params=params)
            with lock: done.append(time.monotonic())
    with ThreadPoolExecutor(threads) as ex: list(ex.map(worker, range(threads)))
    steady = [t for t in done if t0 + warmup <= t < stop]           # whole one-second periods after the first
    return len(steady) / (seconds - warmup), sb.stats()["status"].get("429", 0)


def main():
    ok = True
    with Sandbox(restaurants=1, days=2, orders_per_day=20, rate_limits=1.0) as sb:
        client = ToastClient(validate_configuration(sb.configuration()), {}, limits=endpoint_limits())
        r = sb.world.restaurant_guids()[0]
        client.get("/labor/v1/jobs", restaurant=r)                      # log in, warm the pool
        end = client.now().replace(microsecond=0)
        fmt = "%Y-%m-%dT%H:%M:%S.000+0000"
        bulk = {"startDate": (end.replace(hour=0, minute=0, second=0)).strftime(fmt), "endDate": end.strftime(fmt), "pageSize": 1}
        for label, path, params, seconds in (("", "/labor/v1/jobs", None, 11.55),
                                             (" (ordersBulk)", "/orders/v2/ordersBulk", bulk, 6.3)):
            time.sleep(1.1)                                              # a fresh one-second slice
            achieved, n429 = run(client, sb, path, r, seconds, params)
            allowed = client.limiter.allowed_rate(path, r)
            pct = 100 * achieved / allowed
            print(f"rate{label}: achieved {achieved:.2f} req/s / allowed {allowed:.0f} req/s = {pct:.1f}% (429s: {n429})", flush=True)
            ok &= pct >= 90 and n429 == 0
        print("client metrics: " + ", ".join(f"{ep} p50 {v['p50_ms']} ms p95 {v['p95_ms']} ms"
                                             for ep, v in client.metrics.summary().items()), flush=True)
        client.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
