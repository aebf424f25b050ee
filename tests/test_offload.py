"""The flattening helper process (`toast_connector.offload`) never outlives its sync: killed with SIGKILL, the sync
leaves no helper behind (the helper reads EOF on its stdin and exits). It ignores SIGINT, which Ctrl-C on `fivetran
debug` sends to the whole process group: the sync decides how to stop. (A sync that ends closes it: the notebook.)"""
import os, signal, subprocess, sys, textwrap, time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SYNC_LIKE = textwrap.dedent("""
    import sys, time
    from toast_connector.offload import Offload
    from toast_connector.orders import ORDERS
    from toast_connector.restaurants import Restaurant
    o = Offload(); o.MIN_BYTES = 1
    body = b'[{"guid": "o1", "modifiedDate": "2026-01-01T00:00:00.000+0000", "checks": []}]'
    page = o.parser(ORDERS, Restaurant("r1"), {})(type("R", (), {"content": body})())
    assert type(page[0]).__name__ == "Flat", page
    print(o.proc.pid, flush=True)
    time.sleep(600)
""")


def alive(pid: int) -> bool:
    "Is `pid` a live process (not gone, not a zombie)?"
    try: st = Path(f"/proc/{pid}/status").read_text()
    except OSError: return False
    return "zombie" not in st


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_a_killed_sync_leaves_no_helper_behind():
    p = subprocess.Popen([sys.executable, "-c", SYNC_LIKE], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        helper = int(p.stdout.readline())
        assert alive(helper) and helper != p.pid
        os.kill(helper, signal.SIGINT)                  # Ctrl-C reaches the whole group: the helper leaves it to the sync
        time.sleep(0.5)
        assert alive(helper), "the helper died of a SIGINT meant for its sync"
        os.kill(p.pid, signal.SIGKILL)                  # the sync only: nothing tells the helper but its closed stdin
        p.wait(30)
        deadline = time.monotonic() + 10
        while alive(helper) and time.monotonic() < deadline: time.sleep(0.05)
        assert not alive(helper), f"helper {helper} outlived its killed sync"
    finally:
        if p.poll() is None: p.kill()
