"""`make lab` (tools/lab.py) without a browser: which Toast a session reads from the `TOAST_*` variables, the sandbox's
pinned clock, `--dry-run` starting nothing, and a prepared sandbox session whose exploration notebooks, run with the
environment JupyterLab would get, say which Toast and which warehouse they read."""
import json, os, stat, subprocess, sys
from datetime import datetime, timezone
from pathlib import Path

import duckdb, pytest
from execnb.nbio import read_nb
from execnb.shell import CaptureShell

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import lab  # noqa: E402

REAL = {"TOAST_CLIENT_ID": "my-client", "TOAST_CLIENT_SECRET": "s3cret-never-shown", "TOAST_DOMAIN": "ws-api.toasttab.com"}
CLEAN = {k: v for k, v in os.environ.items() if not k.startswith("TOAST_")}


def run_lab(*args, env=None):
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "lab.py"), *args], env={**CLEAN, **(env or {})},
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout, r.stderr


def test_sandbox_by_default_with_a_pinned_clock():
    p = lab.plan({})
    assert (p.mode, p.now) == ("sandbox", datetime(2026, 3, 6, 18, tzinfo=timezone.utc))
    assert lab.plan({"TOAST_SANDBOX_NOW": "2026-11-01T06:30:00Z"}).now == datetime(2026, 11, 1, 6, 30, tzinfo=timezone.utc)
    assert lab.plan({"TOAST_SANDBOX_NOW": "2026-11-01T06:30:00Z"}, now="2026-11-01T08:00:00+02:00").now == \
        datetime(2026, 11, 1, 6, tzinfo=timezone.utc)                         # --now wins, any offset, kept in UTC
    for bad in ("tomorrow", "2026-11-01T06:30:00"):                            # no offset: which clock would it be?
        with pytest.raises(lab.LabError, match=f"sandbox clock '{bad}': expected an ISO-8601 timestamp with offset"):
            lab.plan({"TOAST_SANDBOX_NOW": bad})


def test_your_toast_when_every_client_variable_is_set(tmp_path):
    env, sb = lab.prepare(lab.plan(REAL, lab_dir=tmp_path / "lab"))
    assert sb is None and env["TOAST_TOKEN_CACHE"] == str(tmp_path / "lab" / "token.json") and (tmp_path / "lab").is_dir()
    p = lab.plan(REAL)
    assert p.mode == "toast" and p.now is None and p.toast == "your Toast at ws-api.toasttab.com"
    assert lab.plan({**REAL, "TOAST_WAREHOUSE": "/data/toast.db"}).warehouse == "/data/toast.db"
    assert REAL["TOAST_CLIENT_SECRET"] not in "\n".join(lab.describe(p))
    with pytest.raises(lab.LabError, match="TOAST_CLIENT_ID set but TOAST_CLIENT_SECRET, TOAST_DOMAIN not"):
        lab.plan({"TOAST_CLIENT_ID": "x"})


def test_command_opens_the_exploration_notebooks():
    cmd = lab.command(no_browser=True)
    assert cmd[:3] == [sys.executable, "-m", "jupyterlab"] and "--no-browser" in cmd
    assert cmd[-2:] == [str(ROOT / "nbs/explore/01_endpoints.ipynb"), str(ROOT / "nbs/explore/02_warehouse.ipynb")]
    assert all(Path(n).is_file() for n in cmd[-2:])


def test_dry_run_says_what_it_would_read_and_starts_nothing():
    rc, out, err = run_lab("--dry-run", env={"TOAST_SANDBOX_NOW": "2026-11-01T06:30:00Z"})
    assert rc == 0, err
    assert "Toast: the project's sandbox (clock pinned at 2026-11-01T06:30:00Z)" in out
    assert "would start the sandbox, sync it into" in out and "-m jupyterlab" in out and "02_warehouse.ipynb" in out
    rc, out, err = run_lab("--dry-run", env=REAL)
    assert rc == 0 and "Toast: your Toast at ws-api.toasttab.com" in out and "would run:" in out, err
    assert REAL["TOAST_CLIENT_SECRET"] not in out + err
    rc, out, err = run_lab("--dry-run", env={"TOAST_DOMAIN": "ws-api.toasttab.com"})
    assert rc == 2 and out == "" and err.count("\n") == 1 and "TOAST_CLIENT_ID, TOAST_CLIENT_SECRET not" in err


def first_print(path: Path) -> str:
    "Run a notebook in this process (as nbdev_test does) and return what its first printing cell printed."
    nb = read_nb(path)
    CaptureShell().run_all(nb, exc_stop=True)
    return next("".join(o["text"]) for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "stream")


def test_a_sandbox_session_and_its_notebooks(tmp_path, monkeypatch):
    now = datetime(2026, 3, 9, 12, tzinfo=timezone.utc)
    p = lab.plan({}, now=now.isoformat(), lab_dir=tmp_path / "lab")
    (tmp_path / "lab").mkdir(); (tmp_path / "lab" / "token.json").write_text("your Toast's")   # an earlier session's
    env, sb = lab.prepare(p, restaurants=2, days=2, orders_per_day=10, rate_limits=0)
    assert (tmp_path / "lab" / "token.json").read_text() == "your Toast's"                     # kept: not this session's
    try:
        assert sb.now == now and env["TOAST_DOMAIN"] == env["TOAST_SANDBOX_URL"] == sb.url
        db = Path(env["TOAST_WAREHOUSE"])
        assert db == tmp_path / "lab" / "files" / "warehouse.db"
        con = duckdb.connect(str(db), read_only=True)
        try: assert con.execute("select count(*) from tester.restaurant").fetchone()[0] == 2 \
                and con.execute("select count(*) from tester.orders").fetchone()[0] > 0
        finally: con.close()
        assert sb.stats()["logins"] == 1          # the session's sync; the notebook below is the second of the hour Toast allows
        for k, v in env.items():
            if k.startswith("TOAST_"): monkeypatch.setenv(k, v)
        monkeypatch.chdir(ROOT / "nbs" / "explore")
        cache = Path(env["TOAST_TOKEN_CACHE"])
        assert cache == tmp_path / "lab" / "sandbox-token.json" and set(json.loads(cache.read_text())["auth"]) >= {"token", "logins"}
        assert env["TOAST_CLIENT_SECRET"] not in cache.read_text()
        assert stat.S_IMODE(cache.stat().st_mode) == 0o600                  # the token cache: its owner's only
        cache.chmod(0o644)                                                    # as an earlier version left it
        for _ in range(3):                        # more runs than Toast's two token requests an hour: the token is reused
            said = first_print(ROOT / "nbs/explore/01_endpoints.ipynb")
            assert said == f"reading the project's sandbox at {sb.url} (started by make lab)\n", said
        assert stat.S_IMODE(cache.stat().st_mode) == 0o600                  # the notebook writes it back 0600
        assert sb.stats()["logins"] == 1
        said = first_print(ROOT / "nbs/explore/02_warehouse.ipynb")
        assert said.startswith(f"warehouse: {db}\n  source: the project's sandbox at {sb.url} (clock pinned at 2026-03-09T12:00:00Z)"), said
    finally:
        sb.stop()
