"""Client rate benchmark: the sandbox with Toast's real rate limits and no faults; worker threads hammer one
restaurant through one ToastClient for a sustained run. Prints

    rate: achieved X req/s / allowed Y req/s = Z% (429s: N)

measured in steady state (after the first second's burst allowance), for a general endpoint (20/s per restaurant)
and for ordersBulk (5/s). Target: >= 90% of the allowed rate with zero 429s. Exit status 1 if missed.

First, what reading a body whole (`new_session`'s `WholeBodyAdapter`) saves a CPU-bound main thread (the sync's
emitting thread) while two threads fetch 1.3 MB bodies (an ordersBulk page) from a server in another process, against
`requests`' own adapter (10 KB reads), in alternated rounds (with a round of no fetching, the baseline, between):

    whole bodies: the main thread is held off A ms per page fetched (chunked reads: B ms) = A/B ...

Target: whole bodies cost the main thread less per page than chunked reads."""
import os, subprocess, sys, threading, time
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


SERVER = """
import http.server, socketserver, sys
body = b"[" + b",".join(b'{"guid":"%08d-0000-4000-8000-000000000000","amount":12.50,"n":%d}' % (i, i) for i in range(20000)) + b"]"
body = body[:1300000].rsplit(b",", 1)[0] + b"]"
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
class S(socketserver.ThreadingMixIn, http.server.HTTPServer): daemon_threads = True
s = S(("127.0.0.1", 0), H); print(s.server_address[1], flush=True); s.serve_forever()
"""

def main_thread_cost(make_session, seconds: float, url: str, threads: int = 2) -> tuple:
    """While `threads` threads fetch pages from `url` (none if `make_session` is None), a CPU-bound main thread runs for
    `seconds`: (seconds it was held off the CPU, i.e. its wall minus its CPU time, pages fetched, seconds fetching)."""
    stop, pages, took = threading.Event(), [0], [0.0]
    def fetch():
        s = make_session()
        while not stop.is_set():
            t = time.perf_counter(); n = len(s.get(url, timeout=30).content); took[0] += time.perf_counter() - t
            assert n > 1_000_000; pages[0] += 1
            time.sleep(0.05)                                   # about ordersBulk's pace for one worker
    ts = [threading.Thread(target=fetch) for _ in range(threads if make_session else 0)]
    for t in ts: t.start()
    d, t0, c0 = {}, time.perf_counter(), time.thread_time()
    while time.perf_counter() - t0 < seconds:
        for i in range(1000): d[i % 97] = str(i)
    held = (time.perf_counter() - t0) - (time.thread_time() - c0)
    stop.set()
    for t in ts: t.join()
    return held, pages[0], took[0]

def whole_bodies(rounds: int = 6, seconds: float = 1.5) -> bool:
    """Print what whole-body reads save the main thread, per page, against requests' 10 KB reads; True if they cost it less.
    The main thread's loss is its wall minus its CPU time (the time a fetching thread held the GIL, or the CPU, from it),
    which this machine's speed swings move far less than a rate would; the modes alternate, `rounds` times each."""
    import requests
    from requests.adapters import HTTPAdapter
    from toast_connector.client import new_session
    def chunked():
        s = requests.Session(); s.mount("http://", HTTPAdapter()); return s
    srv = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{srv.stdout.readline().strip()}/"
        tot = {k: [0.0, 0, 0.0] for k in ("none", "chunked", "whole")}
        for r in range(rounds):
            order = [("none", None), ("chunked", chunked), ("whole", new_session)]
            for k, f in order[r % 3:] + order[:r % 3]:
                for i, v in enumerate(main_thread_cost(f, seconds, url)): tot[k][i] += v
    finally: srv.kill()
    per = {k: 1000 * (tot[k][0] - tot["none"][0]) / max(tot[k][1], 1) for k in ("chunked", "whole")}
    fetch = {k: 1000 * tot[k][2] / max(tot[k][1], 1) for k in ("chunked", "whole")}
    print(f"whole bodies: the main thread is held off {per['whole']:.1f} ms per page fetched (chunked reads: {per['chunked']:.1f} ms) "
          f"= {per['whole'] / per['chunked']:.2f}x; a page takes {fetch['whole']:.0f} ms to fetch (chunked: {fetch['chunked']:.0f} ms) "
          f"= {fetch['whole'] / fetch['chunked']:.2f}x; pages fetched {tot['whole'][1]} (chunked: {tot['chunked'][1]}); "
          f"{rounds} alternated rounds of {seconds:.1f} s each, held off {1000 * tot['none'][0] / rounds:.0f} ms a round with no fetching", flush=True)
    good = per["whole"] < per["chunked"]
    print(f"  target: whole bodies cost the main thread less per page than chunked reads: {'meets' if good else 'MISSES'} target", flush=True)
    return good

def main():
    ok = whole_bodies()
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
