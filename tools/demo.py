"""`make demo`: sync the Toast sandbox into a local DuckDB warehouse with `fivetran debug`, then show what landed.

1. starts the project's Toast sandbox in this process on a free loopback port;
2. writes `.demo/configuration.json` pointing at it (the user's `configuration.json` is never touched);
3. runs `fivetran debug --configuration .demo/configuration.json` from the project root, which writes
   `files/warehouse.db` (DuckDB, schema `tester`) and `files/state.json`;
4. stops the sandbox and prints every table with its row count.

Run it again and the second sync is incremental: it resumes from `files/state.json` (its log shows the
cursors it resumed from). `make clean-demo` starts over. Plain Python: `python tools/demo.py`.
"""
import json, os, shutil, subprocess, sys, time
from pathlib import Path

root = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(root))
sys.path.insert(0, str(root / "tools"))
from toast_connector.sandbox.server import Sandbox  # noqa: E402
from offline import offline_env  # noqa: E402

DEMO = dict(seed=7, restaurants=3, days=7, orders_per_day=40)

def demo_configuration(sandbox, path: Path) -> dict:
    "The sandbox's configuration, keeping the first run's initialSyncStart so later runs resume."
    cfg = sandbox.configuration()
    if path.exists():
        old = json.loads(path.read_text())
        cfg["initialSyncStart"] = old.get("initialSyncStart", cfg["initialSyncStart"])
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(cfg, indent=2))
    return cfg

def fivetran_debug(project: Path, config_path: Path) -> int:
    "Run `fivetran debug` on `project`, streaming its output."
    exe = shutil.which("fivetran", path=str(Path(sys.executable).parent)) or "fivetran"
    env = {**offline_env(), "PYTHONPATH": str(root)}
    return subprocess.run([exe, "debug", str(project), "--configuration", str(config_path)], cwd=project, env=env).returncode

def show_warehouse(db: Path):
    "Print every table of schema `tester` with its row count."
    import duckdb
    con = duckdb.connect(str(db), read_only=True)
    tables = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                        "where table_schema='tester' order by table_name").fetchall()]
    print(f"\n{'table':<52} rows")
    for t in tables:
        n = con.execute(f'select count(*) from tester."{t}"').fetchone()[0]
        print(f"{t:<52} {n}")
    con.close()

def main(project: Path = root):
    "Sync the sandbox into `project`/files/warehouse.db and show it (`--project DIR`: another connector folder)."
    state = project / "files" / "state.json"
    print(("resuming from " if state.exists() else "first sync, no ") + "files/state.json", flush=True)
    with Sandbox(**DEMO) as sb:
        print(f"Toast sandbox at {sb.url} ({DEMO['restaurants']} restaurants, {DEMO['days']} days)", flush=True)
        cfg_path = project / ".demo" / "configuration.json"
        demo_configuration(sb, cfg_path)
        t = time.perf_counter()
        rc = fivetran_debug(project, cfg_path)
        print(f"fivetran debug finished in {time.perf_counter() - t:.1f} s with exit code {rc}", flush=True)
    if rc: sys.exit(rc)
    show_warehouse(project / "files" / "warehouse.db")

if __name__ == "__main__":
    args = sys.argv[1:]
    main(Path(args[args.index("--project") + 1]).resolve() if "--project" in args else root)
