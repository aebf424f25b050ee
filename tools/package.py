"""`make package` / `make deploy`: stage exactly what Fivetran runs, zip it with `fivetran package`, deploy it.

    python tools/package.py            # stage into .package/toast-connector/, build the zip, list its contents
    python tools/package.py --deploy   # the same, then `fivetran deploy` (key, destination, connection from env)
    python tools/package.py --pypi     # let the SDK's requirements check ask PyPI for the latest versions

Safe to run as written: without `--deploy` nothing is deployed, and without `--pypi` nothing goes to the network:
the SDK's requirements check (`pipreqs`) reads the versions installed here instead of asking PyPI (asked offline,
it prints tracebacks and retries for about 12 s; a package of this venv's versions is what was tested anyway).
`--offline` is accepted and is the default.

What is staged (and nothing else): `connector.py`, `requirements.txt`, and the `.py` modules of the
`toast_connector` package **without** `toast_connector/sandbox/` (the local Toast server used by tests, the
demo and the notebooks: the connector never imports it, and this script fails if a staged module does) and
without nbdev's `_modidx.py` (a documentation index). No notebooks, tests, tools, caches, state, warehouse
files, configuration.json or other data. The SDK writes the zip to `<stage>/files/<stage name>.zip`.

Deploy reads from the environment: `FIVETRAN_API_KEY` (base64 API key; never printed: the SDK's own echo of
its first characters is masked), `FIVETRAN_DESTINATION` (or `FIVETRAN_DESTINATION_NAME`), `FIVETRAN_CONNECTION`
(or `FIVETRAN_CONNECTION_NAME`), optionally `FIVETRAN_PYTHON_VERSION`. The connection's configuration comes from
`--configuration PATH` (default: `configuration.local.json` if present, else `configuration.json`); an empty
`clientId`/`clientSecret`/`key` there is filled from `TOAST_CLIENT_ID`/`TOAST_CLIENT_SECRET`/`TOAST_FERNET_KEY`,
written to a private temporary file that is deleted when deploy ends.

Cross-platform: pathlib only; the one subprocess is the SDK's `fivetran` CLI next to this interpreter.
"""
from __future__ import annotations
import argparse, ast, json, os, shutil, subprocess, sys, sysconfig, tempfile, zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "toast_connector"
EXCLUDED_SUBPACKAGES = ("sandbox",)          # never needed on Fivetran
EXCLUDED_MODULES = ("_modidx.py", "testing.py")   # nbdev's documentation index; the test doubles (Recorder, ListLog)
TOP_FILES = ("connector.py", "requirements.txt")
PROVIDED = {"fivetran_connector_sdk", "requests"}   # Fivetran's runtime provides these; they must not be listed
# import name -> distribution name, where they differ
DIST_NAMES = {"cryptography": "cryptography", "dateutil": "python-dateutil", "yaml": "pyyaml"}
# data packages a stdlib module reads when the system lacks them: listing one is allowed when that module is imported
DATA_PACKAGES = {"tzdata": "zoneinfo"}


def staged_files(root: Path = ROOT) -> list[Path]:
    "The files (relative to `root`) that Fivetran must run."
    out = [Path(f) for f in TOP_FILES if (root / f).is_file()]
    missing = [f for f in TOP_FILES if not (root / f).is_file()]
    if missing: raise SystemExit(f"package: missing {', '.join(missing)} in {root}")
    pkg = root / PACKAGE
    for p in sorted(pkg.rglob("*.py")):
        rel = p.relative_to(root)
        parts = rel.parts[1:]
        if parts[0] in EXCLUDED_SUBPACKAGES or parts[-1] in EXCLUDED_MODULES: continue
        if "__pycache__" in parts or any(x.startswith(".") for x in parts): continue
        out.append(rel)
    return out


def stage(root: Path = ROOT, out: Path | None = None) -> Path:
    "Copy `staged_files` into a fresh `out/toast-connector/` and return that directory."
    out = Path(out) if out else root / ".package"
    dest = out / "toast-connector"
    if dest.exists(): shutil.rmtree(dest)
    for rel in staged_files(root):
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / rel, dest / rel)
    return dest


def imports_of(path: Path) -> set[str]:
    "Top-level module names imported by one Python file (absolute imports only)."
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import): names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module: names.add(node.module.split(".")[0])
    return names


def full_imports(path: Path) -> set[str]:
    "Dotted module names imported by one file (for checks like 'nothing imports the sandbox')."
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import): names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return names


def third_party_imports(stage_dir: Path) -> set[str]:
    "Top-level import names in the staged code that are neither stdlib nor the project itself."
    names = set().union(*(imports_of(p) for p in stage_dir.rglob("*.py")))
    return {n for n in names if n not in sys.stdlib_module_names and n not in (PACKAGE, "connector", "__future__")}


def requirement_names(path: Path) -> set[str]:
    "Normalised distribution names listed in a requirements file."
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"): continue
        for sep in "=<>!~[; ":
            line = line.split(sep)[0]
        names.add(line.strip().lower().replace("_", "-"))
    return names


def check_stage(stage_dir: Path) -> list[str]:
    "Problems with a staged project (empty list: fine)."
    problems = []
    for p in stage_dir.rglob("*.py"):
        bad = [m for m in full_imports(p) if m.startswith(f"{PACKAGE}.sandbox")]
        if bad: problems.append(f"{p.relative_to(stage_dir)} imports {bad[0]}, which is not shipped")
    needed = {DIST_NAMES.get(n, n).lower().replace("_", "-") for n in third_party_imports(stage_dir) - PROVIDED}
    listed = requirement_names(stage_dir / "requirements.txt")
    all_imports = set().union(*(imports_of(p) for p in stage_dir.rglob("*.py")))
    optional = {dist for dist, module in DATA_PACKAGES.items() if module in all_imports}
    for n in sorted(needed - listed): problems.append(f"requirements.txt does not list {n}, which the code imports")
    for n in sorted(listed & {p.replace("_", "-") for p in PROVIDED}):
        problems.append(f"requirements.txt lists {n}, which Fivetran provides: remove it")
    for n in sorted(listed - needed - optional - {p.replace("_", "-") for p in PROVIDED}):
        problems.append(f"requirements.txt lists {n}, which no shipped module imports")
    return problems


def fivetran_cli() -> list[str]:
    "The command that runs the SDK's `fivetran` CLI of this interpreter's environment."
    scripts = Path(sysconfig.get_path("scripts"))
    for name in ("fivetran.exe", "fivetran") if os.name == "nt" else ("fivetran",):
        if (scripts / name).is_file(): return [str(scripts / name)]
    return [sys.executable, "-c", "import sys; from fivetran_connector_sdk import main; sys.exit(main())"]


OFFLINE = True    # the default: the SDK's requirements check reads installed versions; --pypi asks PyPI instead

def cli_env(extra: dict | None = None) -> dict:
    "Environment for the CLI: telemetry off unless the user chose, this venv's scripts (pipreqs) first on PATH."
    env = {**os.environ, **(extra or {})}
    env.setdefault("DO_NOT_TRACK", "1")
    env["PATH"] = sysconfig.get_path("scripts") + os.pathsep + env.get("PATH", "")
    if OFFLINE:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from offline import offline_env   # a pipreqs shim adding --use-local (POSIX; unchanged on Windows)
        env = {**offline_env(env), "DO_NOT_TRACK": env["DO_NOT_TRACK"]}
    return env


def smoke_import(stage_dir: Path) -> None:
    "Import `connector` from the staged copy alone; fail if it pulls in the sandbox or misses a module."
    code = ("import sys; sys.path[:0] = [sys.argv[1]]; import connector, toast_connector; "
            "assert toast_connector.__file__.startswith(sys.argv[1]), toast_connector.__file__; "
            "bad = [m for m in sys.modules if m.startswith('toast_connector.sandbox')]; "
            "assert not bad, f'staged code imports {bad}'")
    r = subprocess.run([sys.executable, "-c", code, str(stage_dir.resolve())], cwd=stage_dir,
                       env=cli_env({"PYTHONPATH": ""}), capture_output=True, text=True)
    if r.returncode: raise SystemExit(f"package: the staged connector does not import on its own:\n{r.stderr[-2000:]}")


def build_zip(stage_dir: Path) -> Path:
    "Run `fivetran package` on the staged directory; return the zip it wrote."
    print("(requirements.txt lists every third-party import of the staged connector, checked before this step; a note the SDK prints below "
          "to remove `cryptography` or `tzdata` is its own guess: the connector needs both (Fernet; `zoneinfo`'s time zones "
          "where the system has none), keep them)", flush=True)
    r = subprocess.run(fivetran_cli() + ["package", str(stage_dir), "--non-interactive"], cwd=stage_dir, env=cli_env())
    zp = stage_dir / "files" / f"{stage_dir.name}.zip"
    if r.returncode or not zp.is_file(): raise SystemExit(f"package: `fivetran package` failed (exit {r.returncode})")
    return zp


def zip_listing(zp: Path) -> list[tuple[str, int]]:
    "(name, size) of every entry of the zip."
    with zipfile.ZipFile(zp) as z: return [(i.filename.replace("\\", "/"), i.file_size) for i in z.infolist()]


def package(root: Path = ROOT, out: Path | None = None) -> Path:
    "Stage, check, zip and list; return the zip's path."
    sd = stage(root, out)
    problems = check_stage(sd)
    if problems: raise SystemExit("package: " + "\n  ".join(["the staged project is not deployable:", *problems]))
    smoke_import(sd)
    zp = build_zip(sd)
    entries = zip_listing(zp)
    print(f"\n{zp} ({zp.stat().st_size:,} bytes), {len(entries)} files:")
    for name, size in entries: print(f"  {size:>9,}  {name}")
    return zp


def _env(*names) -> str | None:
    for n in names:
        if os.environ.get(n, "").strip(): return os.environ[n].strip()
    return None


def deploy_configuration(path: Path) -> dict:
    """The connection's configuration: the file's values, with empty secrets (or the example's `<...>` placeholders) filled
    from the environment. Checked first as the first sync would check it (a wrong value from a `TOAST_*` variable is named
    as that variable's), and refused if it points at a local address: Fivetran's servers cannot reach a sandbox."""
    cfg = json.loads(path.read_text(encoding="utf-8"))
    sys.path.insert(0, str(ROOT))
    from toast_connector.config import ConfigError, SECRET_ENV, validate_configuration, _is_loopback
    try: plain = decrypted(cfg)              # `fivetran configuration` saves password fields encrypted; deploy decrypts them
    except ValueError as e: raise SystemExit(f"deploy: {path}: {e}; nothing was uploaded") from None
    env = {k: var for k, var in SECRET_ENV.items() if os.environ.get(var, "").strip()}   # the variables the sync reads too
    checked = {k: ("" if k in env and str(v).startswith("<") else v) for k, v in plain.items()}   # what the variable replaces
    try: settings = validate_configuration(checked)    # what the first sync would refuse is refused here, before any upload
    except ConfigError as e: raise SystemExit(f"deploy: {path}: {e}; nothing was uploaded") from None
    from urllib.parse import urlsplit
    host = urlsplit(settings.base_url).hostname or ""
    if _is_loopback(host):
        raise SystemExit(f"deploy: {path}: 'domain' {settings.base_url} is a local address (a sandbox's?): Fivetran's "
                         "servers cannot reach it; put Toast's API host there (e.g. ws-api.toasttab.com); nothing was uploaded")
    for key, var in SECRET_ENV.items():
        if not str(cfg.get(key, "")).strip() or str(cfg.get(key, "")).startswith("<"):
            if key in env: cfg[key] = os.environ[var].strip()
            elif key == "key": cfg.pop(key, None)
    return cfg


def decrypted(cfg: dict) -> dict:
    "The configuration as the connector will see it: values `fivetran configuration` encrypted, decrypted with the SDK's own key."
    try: from fivetran_connector_sdk_cli.configuration_decryption import decrypt_configuration_values
    except ImportError: return cfg           # an SDK without encrypted configurations
    return decrypt_configuration_values(cfg)


def _masked_run(cmd: list[str], env: dict, secret: str) -> int:
    "Run `cmd`, passing its output through with any prefix of `secret` the SDK echoes masked; stdin stays interactive."
    needles = [secret, secret[:8]] if len(secret) >= 8 else [secret]
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    fd, out = p.stdout.fileno(), sys.stdout.buffer
    while chunk := os.read(fd, 65536):
        text = chunk.decode("utf-8", "replace")
        for n in needles: text = text.replace(n, "********")
        out.write(text.encode("utf-8")); out.flush()
    return p.wait()


def deploy(zp: Path, stage_dir: Path, configuration: Path, yes: bool = False) -> int:
    "Call `fivetran deploy` for the staged project with key, destination and connection from the environment."
    key = _env("FIVETRAN_API_KEY")
    dest = _env("FIVETRAN_DESTINATION", "FIVETRAN_DESTINATION_NAME")
    conn = _env("FIVETRAN_CONNECTION", "FIVETRAN_CONNECTION_NAME")
    missing = [n for n, v in (("FIVETRAN_API_KEY", key), ("FIVETRAN_DESTINATION", dest), ("FIVETRAN_CONNECTION", conn)) if not v]
    if missing: raise SystemExit(f"deploy: set {', '.join(missing)} (see README 'Deploy to Fivetran')")
    cfg = deploy_configuration(configuration)
    with tempfile.TemporaryDirectory(prefix="toast-deploy-") as td:
        cp = Path(td) / "configuration.json"
        fd = os.open(cp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f: json.dump(cfg, f)
        cmd = fivetran_cli() + ["deploy", str(stage_dir), "--destination", dest, "--connection", conn,
                                "--configuration", str(cp)]
        if _env("FIVETRAN_PYTHON_VERSION"): cmd += ["--python-version", _env("FIVETRAN_PYTHON_VERSION")]
        if yes: cmd.append("--yes")
        # the key travels in the environment (FIVETRAN_API_KEY), never on the command line
        return _masked_run(cmd, cli_env({"FIVETRAN_API_KEY": key}), key)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--deploy", action="store_true", help="after packaging, run `fivetran deploy`")
    ap.add_argument("--root", type=Path, default=ROOT, help="project root (default: this repository)")
    ap.add_argument("--out", type=Path, default=None, help="staging directory (default: <root>/.package)")
    ap.add_argument("--configuration", type=Path, default=None, help="configuration for deploy")
    ap.add_argument("--yes", action="store_true", help="answer yes to the SDK's prompts (updating an existing connection)")
    net = ap.add_mutually_exclusive_group()
    net.add_argument("--offline", action="store_true", help="the default: the SDK's requirements check asks nobody (no PyPI lookups)")
    net.add_argument("--pypi", action="store_true", help="let the SDK's requirements check ask PyPI (needs the network)")
    a = ap.parse_args(argv)
    global OFFLINE
    OFFLINE = not a.pypi
    zp = package(a.root.resolve(), a.out)
    if not a.deploy: return 0
    cfg = a.configuration or next((p for p in (a.root / "configuration.local.json", a.root / "configuration.json") if p.is_file()), None)
    if cfg is None: raise SystemExit("deploy: no configuration file; pass --configuration PATH")
    return deploy(zp, zp.parent.parent, Path(cfg).resolve(), a.yes)


if __name__ == "__main__":
    sys.exit(main())
