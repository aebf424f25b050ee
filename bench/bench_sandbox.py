"""Benchmark: the Toast sandbox's large profile (20 restaurants x 365 days) stays small and starts fast.

Starts `python -m toast_connector.sandbox --restaurants 20 --days 365` as a subprocess, measures the time
from launch to the first answered request (a login), then drives a spread of requests across restaurants
and dates (orders windows all over the year, config, menus, labor, cash) and reads the sandbox process's
peak RSS. Prints each figure as `figure / target = ratio` (a ratio <= 1 meets the target) and exits
non-zero if a target is missed. Runs in about a minute.
"""
import json, os, re, subprocess, sys, time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.request import Request, urlopen

ROOT = Path(__file__).resolve().parent.parent
RESTAURANTS, DAYS, SEED = 20, 365, 1
RSS_TARGET, START_TARGET = 1 << 30, 10.0
BUDGET_S = 40          # time spent driving requests

def call(url, path, token=None, restaurant=None, data=None):
    "One request with urllib (no third-party client); returns (status, headers, parsed JSON or None)."
    h = {"Content-Type": "application/json"}
    if token: h["Authorization"] = f"Bearer {token}"
    if restaurant: h["Toast-Restaurant-External-ID"] = restaurant
    req = Request(url + path, data=json.dumps(data).encode() if data is not None else None, headers=h)
    try:
        with urlopen(req, timeout=120) as r: return r.status, r.headers, json.loads(r.read() or b"null")
    except Exception as e:
        code = getattr(e, "code", None)
        if code is None: raise
        return code, e.headers, None

def ts(d): return d.strftime("%Y-%m-%dT%H:%M:%S.000%%2B0000")

def peak_rss(pid: int, url: str) -> int:
    "Peak RSS of the sandbox process: /proc VmHWM on Linux, else the sandbox's own report."
    try:
        m = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
        if m: return int(m[1]) * 1024
    except OSError: pass
    return call(url, "/_sandbox/stats")[2]["peak_rss_bytes"]

def main():
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), "DO_NOT_TRACK": "1"}
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "toast_connector.sandbox", "--port", "0", "--seed", str(SEED),
                          "--restaurants", str(RESTAURANTS), "--days", str(DAYS), "--rate-limits", "0"],
                         stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        line = p.stdout.readline()
        m = re.search(r"ready at (\S+)", line)
        if not m: sys.exit(f"sandbox did not start: {line!r}")
        url = m[1]
        st, _, body = call(url, "/authentication/v1/authentication/login",
                           data={"clientId": "sandbox-client-id", "clientSecret": "sandbox-client-secret", "userAccessType": "TOAST_MACHINE_CLIENT"})
        start_s = time.perf_counter() - t0
        assert st == 200, st
        tok = body["token"]["accessToken"]
        st, hdr, rests = call(url, "/partners/v1/restaurants", tok)
        guids = [r["restaurantGuid"] for r in rests]
        now = datetime.strptime(hdr["X-Sandbox-Now"][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
        print(f"sandbox: {len(guids)} restaurants x {DAYS} days; first answer {start_s:.2f} s after launch", flush=True)
        n = orders = 0
        t1, i = time.perf_counter(), 0
        while time.perf_counter() - t1 < BUDGET_S:
            g = guids[i % len(guids)]
            day = (i * 37) % (DAYS - 2) + 1                      # spread over the whole year
            end = now - timedelta(days=day)
            st, _, page = call(url, f"/orders/v2/ordersBulk?startDate={ts(end - timedelta(days=1))}&endDate={ts(end)}&pageSize=100", tok, g)
            assert st == 200, st
            orders += len(page); n += 1
            if i % 5 == 0:
                for path in ("/config/v2/menuItems", "/menus/v2/menus", "/labor/v1/employees",
                             f"/cashmgmt/v1/entries?businessDate={end:%Y%m%d}",
                             f"/labor/v1/timeEntries?businessDate={end:%Y%m%d}"):
                    st, _, _ = call(url, path, tok, g); n += 1
                    assert st in (200, 404), (path, st)
            i += 1
        rss = peak_rss(p.pid, url)
        print(f"drove {n} requests ({orders} orders served, {i} distinct restaurant-days) in {time.perf_counter() - t1:.1f} s", flush=True)
    finally:
        p.terminate()
        try: p.wait(15)
        except subprocess.TimeoutExpired: p.kill()
    ok = True
    for name, fig, target, unit in [("peak RSS of the sandbox process", rss / 2**20, RSS_TARGET / 2**20, "MiB"),
                                    ("start to first answered request", start_s, START_TARGET, "s")]:
        ratio = fig / target
        ok &= ratio <= 1
        print(f"{name}: {fig:.1f} {unit} / {target:.1f} {unit} = {ratio:.3f}  ({'meets' if ratio <= 1 else 'MISSES'} target)", flush=True)
    sys.exit(0 if ok else 1)

if __name__ == "__main__": main()
