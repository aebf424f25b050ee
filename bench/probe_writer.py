"""What the SDK's local writer alone needs, in time and memory, to write a first sync's rows in 1, 2, 3... checkpoints.

The rows are collected untimed from an unthrottled sandbox (`python -m toast_connector.sandbox`, clock pinned as in
`bench_sync.py`) and converted as `SdkEmitter` hands them to the SDK; then, for each count of checkpoints, a fresh
process-local `Connector.debug` writes exactly those rows into a fresh warehouse, checkpointing after every equal share.
For each checkpoint it prints the RSS just before it and its peak, both also as the growth above the RSS at the start
of `update()` (that start includes the collected rows, which the process holds throughout): the growth is what the
writer itself needs, whatever connector feeds it. Then the wall of each count, and its ratio to the first count. Each
count runs in its own process, as `fivetran debug` would.

Usage: python bench/probe_writer.py [--profile 2x30] [--checkpoints 1,2,3]
"""
from __future__ import annotations
import argparse, pickle, shutil, subprocess, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import bench_sync as b                                    # noqa: E402  (its sandbox process, config and project layout)


def collect(restaurants: int, days: int) -> list:
    "A first sync's operations, as the connector hands them to the SDK."
    from toast_connector.sdk import SdkEmitter
    from toast_connector.sync import tables, update
    sb = b.SandboxProc(seed=b.SEED, restaurants=restaurants, days=days, orders_per_day=b.ORDERS_PER_DAY, rate_limits=0)
    try:
        col = b.Collect()
        update(b.config(sb, days), {}, emit=col, log=b.Quiet())
        cfg = b.config(sb, days)
    finally: sb.stop()
    conv = SdkEmitter(tables())
    return cfg, [(k, t, conv.row(t, d)) for k, t, d in col.ops]


def write(ops: list, cfg: dict, n: int) -> float:
    "Write `ops` with `n` checkpoints through the SDK's local writer; print each checkpoint's memory; return the wall."
    from fivetran_connector_sdk import Connector, Logging, Operations as op
    from toast_connector.report import PeakRss, rss_bytes, trim_memory
    from toast_connector.sync import schema
    work = Path(tempfile.mkdtemp(prefix="probe-writer-"))
    b.prepare(work)
    per, mib = -(-len(ops) // n), 2 ** 20

    def update(configuration, state):
        start = rss_bytes()
        for i, (kind, table, data) in enumerate(ops, 1):
            if kind == "u": op.upsert(table=table, data=data)
            else: op.delete(table=table, keys=data)
            if i % per == 0 or i == len(ops):
                before, t = rss_bytes(), time.perf_counter()
                with PeakRss(rss_bytes) as pk: op.checkpoint(state={"n": i})
                trim_memory()
                print(f"  checkpoint after {i:,} rows: RSS before {before / mib:.0f} MiB (+{(before - start) / mib:.0f}), "
                      f"peak {pk.peak / mib:.0f} MiB (+{(pk.peak - start) / mib:.0f}), {time.perf_counter() - t:.2f} s", flush=True)

    t = time.perf_counter()
    try: Connector(update=update, schema=schema).debug(project_path=str(work), configuration=cfg, state={},
                                                       log_level=Logging.Level.WARNING)
    finally: shutil.rmtree(work, ignore_errors=True)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="2x30")
    ap.add_argument("--checkpoints", default="1,2,3")
    ap.add_argument("--write", nargs=2, metavar=("ROWS", "N"), help=argparse.SUPPRESS)   # the child: write ROWS in N checkpoints
    a = ap.parse_args()
    if a.write:
        cfg, ops = pickle.loads(Path(a.write[0]).read_bytes())
        print(f"WALL {write(ops, cfg, int(a.write[1]))}", flush=True)
        return
    restaurants, days = (int(x) for x in a.profile.split("x"))
    cfg, ops = collect(restaurants, days)
    print(f"{a.profile}: {len(ops):,} rows", flush=True)
    rows = Path(tempfile.mkdtemp(prefix="probe-rows-")) / "rows.pickle"
    rows.write_bytes(pickle.dumps((cfg, ops)))
    del ops
    walls, first = {}, None
    try:
        for n in (int(x) for x in a.checkpoints.split(",")):
            print(f"{n} checkpoint(s):", flush=True)
            r = subprocess.run([sys.executable, __file__, "--write", str(rows), str(n)], capture_output=True, text=True)
            lines = r.stdout.splitlines()
            wall = [l for l in lines if l.startswith("WALL ")]
            if r.returncode or not wall:
                raise RuntimeError(f"writing in {n} checkpoint(s) failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
            print("\n".join(l for l in lines if l.startswith("  checkpoint")), flush=True)
            walls[n] = float(wall[-1].split()[1]); first = first or n
            print(f"  wall {walls[n]:.1f} s" + (f" = {walls[n] / walls[first]:.3f}x {first} checkpoint(s)" if n != first else ""),
                  flush=True)
    finally: shutil.rmtree(rows.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
