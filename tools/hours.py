"""`make clock`: the clock-sensitive tests (`pytest -m clock`) at several fixed instants of the day (`make test`: those
the whole suite did not just run at).

No test may depend on the hour it runs at. Every sandbox in the tests is pinned (tests/clock.py); the tests marked
`clock` are those whose outcome could still depend on which instant it is pinned to (how much of a business day
has been served, how much of the first business day precedes initialSyncStart, whether a business day just
closed). This runs them once per instant below through `TOAST_SANDBOX_NOW`, all instants at once (each run spends part
of its time waiting on a sandbox's rate limits), prints each instant before its pytest output and a summary, and fails
if any run fails.

    python tools/hours.py                          # every instant
    python tools/hours.py 22:00 "just after DST"   # those whose label starts so
    python tools/hours.py --jobs 1                 # one at a time
    python tools/hours.py --except-suite-clock     # `make test`: not the instant the whole suite just ran at
"""
import os, re, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# label -> TOAST_SANDBOX_NOW. The sandbox's restaurants 0-2 (every test uses some of them): Boston (America/New_York,
# closeoutHour 4), Los Angeles (closeoutHour 0), London (closeoutHour 3). "n precede": orders of test_sync's profile
# (2 restaurants, 4 days) modified before initialSyncStart = now - days, which the truth must leave out (issue 10).
HOURS = {
    "00:30 UTC": "2026-12-01T00:30:00Z",             # 19:30 in Boston on 11-30: the UTC date runs a day ahead (helper-56)
    "06:00 UTC": "2026-12-01T06:00:00Z",             # 01:00 in Boston, its business day 11-30 still open; 34 precede
    "10:00 UTC": "2026-12-01T10:00:00Z",             # none precede: the hour at which the old tests happened to pass
    "17:00 UTC": "2026-12-01T17:00:00Z",             # issue 10's hour (the suite's default clock); 3 precede
    "12:00 UTC": "2026-12-01T12:00:00Z",             # 07:00 in Boston, business day 12-01 open, 11-30 closed (helper-56)
    "22:00 UTC": "2026-12-01T22:00:00Z",             # dinner in Boston, 14:00 in Los Angeles; 18 precede
    "just after DST": "2026-11-01T09:30:00Z",        # US clocks fell back at 06:00Z (Boston) and 09:00Z (Los Angeles):
                                                     # the histories hold the 25-hour business days 10-31 and 11-01
    "just before closeout": "2026-12-01T08:59:30Z",  # Boston closes business day 11-30 at 04:00 EST = 09:00Z; 20 precede
    "just after closeout": "2026-12-01T09:01:00Z",   # 11-30 closed a minute ago, inside the connector's safety lag (2 min):
                                                     # its "today" is still 11-30 (helper-86: two tests assumed otherwise)
    "just after EU DST": "2026-03-29T01:30:00Z",     # London's clocks went forward at 01:00Z: its 23-hour business day 03-28
                                                     # (helper-56: a shift test failed here)
}


CLOCK_MARK = re.compile(r"\bmark\.clock\b")      # `@pytest.mark.clock`, `pytestmark = pytest.mark.clock`, `marks=pytest.mark.clock`

def clock_files() -> list[str]:
    """The test modules that name the `clock` mark (collecting only these spares each run the others' imports); the
    suite's own collection checks that no `clock` test lives elsewhere (tests/conftest.py)."""
    return [f"tests/{p.name}" for p in sorted((ROOT / "tests").glob("test_*.py")) if CLOCK_MARK.search(p.read_text())]


def run(label: str, now: str) -> tuple[str, str, int, float, str]:
    "One pytest run of the clock-marked tests at `now`: (label, now, exit code, seconds, output)."
    env = {**os.environ, "TOAST_SANDBOX_NOW": now, "DO_NOT_TRACK": "1"}
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-m", "clock", "-p", "no:cacheprovider", *clock_files()],
                       cwd=ROOT, env=env, capture_output=True, text=True)
    return label, now, p.returncode, time.perf_counter() - t, p.stdout + p.stderr


def suite_clock() -> str:
    "TOAST_SANDBOX_NOW of a plain `pytest tests` run here (tests/clock.py): the variable if set, else the default."
    sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
    from clock import NOW
    return NOW.strftime("%Y-%m-%dT%H:%M:%SZ")


def main(argv: list[str]) -> int:
    jobs, skip = len(HOURS), None
    if "--jobs" in argv:
        i = argv.index("--jobs"); jobs = int(argv[i + 1]); del argv[i:i + 2]
    if "--except-suite-clock" in argv:
        argv.remove("--except-suite-clock"); skip = suite_clock()
    todo = {k: v for k, v in HOURS.items() if not argv or any(k.startswith(a) for a in argv)}
    if not todo: sys.exit(f"no instant matches {argv}; known: {', '.join(HOURS)}")
    for k in [k for k, v in todo.items() if v == skip]:
        print(f"{k} (TOAST_SANDBOX_NOW={skip}) is the suite's own clock: the whole suite ran at it just before", flush=True)
        del todo[k]
    if not todo: return 0
    t0, results = time.perf_counter(), []
    print(f"clock-sensitive tests (pytest -m clock) at {len(todo)} instants, {jobs} at a time: {', '.join(todo)}", flush=True)
    with ThreadPoolExecutor(max(1, jobs)) as ex:
        for label, now, rc, secs, out in ex.map(lambda kv: run(*kv), todo.items()):   # printed in order, as each ends
            print(f"\n=== clock-sensitive tests at {label}: TOAST_SANDBOX_NOW={now} ===", flush=True)
            print(out.rstrip(), flush=True)
            results.append((label, now, rc, secs))
    print(f"\n=== clock-sensitive tests at {len(results)} instants, {time.perf_counter() - t0:.0f} s ===")
    for label, now, rc, secs in results:
        print(f"{'passed' if rc == 0 else 'FAILED':<7} {label:<21} TOAST_SANDBOX_NOW={now}  ({secs:.0f} s)")
    return 0 if all(r[2] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
