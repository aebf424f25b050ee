"""`make lab`: JupyterLab on the exploration notebooks (nbs/explore), against the Toast sandbox or your own Toast.

Sandbox (the default: no `TOAST_*` client variables set):
1. starts the project's Toast sandbox in this process, on a free loopback port, its clock pinned
   (`--now`, else `TOAST_SANDBOX_NOW`, else 2026-03-06T18:00:00Z: the same data every session);
2. syncs it once with `fivetran debug` into `.lab/files/warehouse.db` (its own folder: `files/` of `make demo`
   and of your own runs is not touched);
3. opens JupyterLab on nbs/explore/01_endpoints.ipynb and 02_warehouse.ipynb with `TOAST_*` pointing at that
   sandbox and `TOAST_WAREHOUSE` at that warehouse. Ctrl-C stops JupyterLab and the sandbox.

Your Toast: with `TOAST_CLIENT_ID`, `TOAST_CLIENT_SECRET` and `TOAST_DOMAIN` set (and `TOAST_RESTAURANT_ID` for a
management-group client), nothing is started or synced: 01_endpoints reads that Toast, and 02_warehouse reads the
warehouse `TOAST_WAREHOUSE` names (one a sync of your Toast wrote), else `files/warehouse.db`.

Either way `TOAST_TOKEN_CACHE` names where 01_endpoints keeps its access token (Fernet-encrypted, as the connector's
state holds it): `.lab/token.json` for your Toast, kept across sessions, `.lab/sandbox-token.json` for a sandbox
session, which starts with the session sync's token. Toast allows a client two token requests an hour, so rerunning
the notebook reuses the token.

`--dry-run` prints what it would do and starts nothing. Plain Python: `python tools/lab.py`.
"""
import argparse, json, os, shutil, signal, subprocess, sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))
from offline import offline_env  # noqa: E402

CLIENT_VARS = ("TOAST_CLIENT_ID", "TOAST_CLIENT_SECRET", "TOAST_DOMAIN")
DEFAULT_NOW = "2026-03-06T18:00:00.000Z"
LAB = dict(seed=7, restaurants=3, days=3, orders_per_day=40)
NOTEBOOKS = ("nbs/explore/01_endpoints.ipynb", "nbs/explore/02_warehouse.ipynb")


class LabError(Exception):
    "A problem with how `make lab` was asked to run: one line for the user."


@dataclass
class Plan:
    "What a lab session reads: the sandbox (started and synced here) or a real Toast."
    mode: str                           # "sandbox" | "toast"
    toast: str                          # what the notebooks say they read
    warehouse: str                      # what 02_warehouse reads
    now: datetime | None = None         # the sandbox's pinned clock
    lab_dir: Path = ROOT / ".lab"
    env: dict = field(default_factory=dict)


def parse_now(text: str) -> datetime:
    "An ISO-8601 timestamp with an offset (`Z` allowed) as an aware UTC datetime, or a LabError naming it."
    try: dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError: dt = None
    if dt is None or dt.tzinfo is None:
        raise LabError(f"sandbox clock {text!r}: expected an ISO-8601 timestamp with offset, e.g. {DEFAULT_NOW}")
    return dt.astimezone(timezone.utc)


def plan(env: dict, now: str | None = None, lab_dir: Path = ROOT / ".lab") -> Plan:
    "The session `env` asks for: your Toast if every `TOAST_*` client variable is set, the sandbox if none is."
    given = [v for v in CLIENT_VARS if env.get(v)]
    if given and len(given) < len(CLIENT_VARS):
        missing = [v for v in CLIENT_VARS if v not in given]
        raise LabError(f"{', '.join(given)} set but {', '.join(missing)} not: set all of {', '.join(CLIENT_VARS)} to "
                       "explore your Toast, or none of them for the sandbox")
    if given:
        files = ROOT / "files" / "warehouse.db"
        wh = (env["TOAST_WAREHOUSE"] if env.get("TOAST_WAREHOUSE") else
              f"{files} (what the last `fivetran debug` run in the project root wrote)" if files.is_file() else
              "none given (TOAST_WAREHOUSE) or in files/: 02_warehouse builds a small one from the sandbox, not from your Toast")
        return Plan("toast", f"your Toast at {env['TOAST_DOMAIN']}", wh, lab_dir=lab_dir, env=dict(env))
    pinned = parse_now(now or env.get("TOAST_SANDBOX_NOW") or DEFAULT_NOW)
    return Plan("sandbox", f"the project's sandbox (clock pinned at {pinned:%Y-%m-%dT%H:%M:%SZ})",
                str(lab_dir / "files" / "warehouse.db"), now=pinned, lab_dir=lab_dir, env=dict(env))


def sync_into(lab_dir: Path, configuration: dict) -> Path:
    "Run `fivetran debug` on a copy of connector.py in `lab_dir` (emptied first); return the warehouse it wrote."
    lab_dir.mkdir(parents=True, exist_ok=True)
    for old in lab_dir.iterdir():        # all but the token your Toast's sessions keep (`token.json`)
        if old.name != "token.json": shutil.rmtree(old) if old.is_dir() else old.unlink()
    for f in ("connector.py", "requirements.txt"): shutil.copy(ROOT / f, lab_dir / f)
    cfg = lab_dir / "configuration.json"
    cfg.write_text(json.dumps(configuration, indent=2))
    exe = shutil.which("fivetran", path=str(Path(sys.executable).parent)) or "fivetran"
    r = subprocess.run([exe, "debug", str(lab_dir), "--configuration", str(cfg)], cwd=lab_dir,
                       env={**offline_env(), "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    (lab_dir / "sync.log").write_text(r.stdout + r.stderr)
    if r.returncode: raise LabError(f"fivetran debug of the sandbox failed (exit {r.returncode}); see {lab_dir / 'sync.log'}")
    return lab_dir / "files" / "warehouse.db"


def prepare(p: Plan, **world):
    "Start what the session needs; return (environment for JupyterLab, sandbox or None). `world`: Sandbox sizes."
    env = dict(p.env)
    if p.mode == "toast":            # your Toast: the notebook keeps its token here, encrypted, from one session to the next
        p.lab_dir.mkdir(parents=True, exist_ok=True)
        return {**env, "TOAST_TOKEN_CACHE": str(p.lab_dir / "token.json")}, None
    from toast_connector.sandbox.server import Sandbox
    sb = Sandbox(**{**LAB, **world, "now": p.now})
    sb.start()
    try:
        cfg = sb.configuration()
        db = sync_into(p.lab_dir, cfg)
    except BaseException:
        sb.stop(); raise
    p.toast = f"the project's sandbox at {sb.url} (clock pinned at {p.now:%Y-%m-%dT%H:%M:%SZ})"
    env.update(TOAST_CLIENT_ID=cfg["clientId"], TOAST_CLIENT_SECRET=cfg["clientSecret"], TOAST_DOMAIN=sb.url,
               TOAST_SANDBOX_URL=sb.url, TOAST_WAREHOUSE=str(db), TOAST_WAREHOUSE_FROM=p.toast + ", synced by make lab",
               TOAST_TOKEN_CACHE=str(keep_token(p.lab_dir)))
    return env, sb


def write_private(path: Path, text: str):
    "Write `text` to `path` readable by its owner only (0600, an existing file's mode too): a token cache, encrypted or not."
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        if hasattr(os, "fchmod"): os.fchmod(fd, 0o600)       # not on Windows, where the mode bits mean little
        f.write(text)


def keep_token(lab_dir: Path) -> Path:
    "The session sync's token (encrypted, as its state holds it) where the notebooks read it: Toast allows two token requests an hour."
    cache = lab_dir / "sandbox-token.json"
    auth = json.loads((lab_dir / "files" / "state.json").read_text()).get("auth")
    if auth: write_private(cache, json.dumps({"auth": auth}))
    return cache


def command(no_browser: bool = False) -> list:
    "The JupyterLab command line: the project as its root, the exploration notebooks open."
    root_user = hasattr(os, "geteuid") and os.geteuid() == 0     # containers: JupyterLab refuses root without the flag
    return ([sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={ROOT}"] + (["--no-browser"] if no_browser else [])
            + (["--allow-root"] if root_user else []) + [str(ROOT / n) for n in NOTEBOOKS])


def describe(p: Plan) -> list:
    "What the session reads, in lines for the user (never a secret)."
    return [f"Toast: {p.toast}", f"warehouse: {p.warehouse}"]


def main(argv=None, env=None) -> int:
    a = argparse.ArgumentParser(prog="python tools/lab.py", description=__doc__.split("\n")[0])
    a.add_argument("--now", help=f"the sandbox's clock (default TOAST_SANDBOX_NOW or {DEFAULT_NOW})")
    a.add_argument("--no-browser", action="store_true", help="start JupyterLab without opening a browser")
    a.add_argument("--dry-run", action="store_true", help="print what would run; start nothing")
    args = a.parse_args(argv)
    env = dict(os.environ if env is None else env)
    try:
        p = plan(env, args.now)
        if args.dry_run:
            print("\n".join(describe(p) + [f"would {'start the sandbox, sync it into ' + str(p.lab_dir) + ' and ' if p.mode == 'sandbox' else ''}"
                                            f"run: {' '.join(command(args.no_browser))}"]))
            return 0
        if p.mode == "sandbox": print(f"starting the sandbox and syncing it into {p.lab_dir} ...", flush=True)
        lab_env, sb = prepare(p)
    except LabError as e:
        print(f"make lab: {e}", file=sys.stderr)
        return 2
    print("\n".join(describe(p)), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))   # stop the sandbox on TERM too
    lab = subprocess.Popen(command(args.no_browser), env=lab_env, cwd=ROOT)
    try: return lab.wait()
    except KeyboardInterrupt:                   # Ctrl-C: JupyterLab shuts its kernels down, then the sandbox stops
        lab.terminate()
        try: lab.wait(20)
        except subprocess.TimeoutExpired: lab.kill()
        return 0
    finally:
        if sb is not None: sb.stop()


if __name__ == "__main__":
    sys.exit(main())
