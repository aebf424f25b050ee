"""`make package` / `make deploy` (tools/package.py): the deployment zip holds exactly what Fivetran runs,
requirements.txt lists what that code imports (and not what Fivetran provides), and deploy never shows the key."""
import importlib.util, json, os, subprocess, sys, zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("package_tool", ROOT / "tools" / "package.py")
pkg = importlib.util.module_from_spec(spec); spec.loader.exec_module(pkg)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    "Run `python tools/package.py` as the README writes it (no flags) into a temporary staging directory."
    out = tmp_path_factory.mktemp("package")
    env = {**os.environ, "DO_NOT_TRACK": "1"}
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "package.py"), "--out", str(out)],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    zp = out / "toast-connector" / "files" / "toast-connector.zip"
    assert zp.is_file()
    with zipfile.ZipFile(zp) as z: names = sorted(n.replace("\\", "/") for n in z.namelist())
    return dict(out=out, stage=out / "toast-connector", zip=zp, names=names, stdout=r.stdout, stderr=r.stderr)


def expected_modules():
    "The package's modules that must ship: every .py of toast_connector except the sandbox, nbdev's index and the test doubles."
    return sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "toast_connector").rglob("*.py")
                  if "sandbox" not in p.relative_to(ROOT).parts and p.name not in ("_modidx.py", "testing.py")
                  and "__pycache__" not in p.parts)


def test_zip_holds_exactly_what_fivetran_runs(built):
    names = built["names"]
    want = sorted(["connector.py", "requirements.txt", "configuration_form.pb", *expected_modules()])
    assert names == want, set(names) ^ set(want)
    assert "toast_connector/sync.py" in names and "toast_connector/client.py" in names
    assert "toast_connector/testing.py" not in names and (ROOT / "toast_connector" / "testing.py").is_file()   # test doubles stay home
    assert not [n for n in names if n.endswith((".ipynb", ".pyc", ".db", ".json")) or n.startswith(("tests/", "nbs/", "files/", "tools/", "toast_connector/sandbox"))]


def test_make_package_output_lists_the_zip(built):
    out = built["stdout"]
    assert "toast-connector.zip" in out
    for n in built["names"]: assert f"  {n}" in out, n


def test_configuration_form_is_packaged(built):
    with zipfile.ZipFile(built["zip"]) as z: pb = z.read("configuration_form.pb")
    for key in (b"clientId", b"clientSecret", b"userAccessType", b"restaurantShard"): assert key in pb
    assert b"toast_login" in pb  # setup tests travel with the form


def test_staged_code_is_the_repository_code(built):
    for rel in expected_modules() + ["connector.py", "requirements.txt"]:
        assert (built["stage"] / rel).read_bytes() == (ROOT / rel).read_bytes(), rel


def test_requirements_list_what_the_module_imports(built):
    stage = built["stage"]
    third = pkg.third_party_imports(stage)
    listed = pkg.requirement_names(stage / "requirements.txt")
    needed = {pkg.DIST_NAMES.get(n, n).lower().replace("_", "-") for n in third - pkg.PROVIDED}
    assert needed <= listed, f"requirements.txt misses {needed - listed}"
    assert not listed & {"requests", "fivetran-connector-sdk"}, "Fivetran provides requests and the SDK"
    optional = {d for d, m in pkg.DATA_PACKAGES.items() if any(m in pkg.imports_of(f) for f in stage.rglob("*.py"))}
    assert listed <= needed | optional, f"requirements.txt lists {listed - needed - optional}, which no shipped module imports"
    assert "cryptography" in needed  # the token cache (auth) is encrypted with Fernet


def test_check_stage_catches_each_mistake(tmp_path):
    (tmp_path / "toast_connector").mkdir()
    (tmp_path / "connector.py").write_text("import requests\nfrom fivetran_connector_sdk import Connector\nimport toast_connector\n")
    (tmp_path / "toast_connector" / "__init__.py").write_text("import json, cryptography\nfrom toast_connector.sandbox.server import Sandbox\n")
    (tmp_path / "requirements.txt").write_text("requests>=2\nduckdb==1.0\n")
    problems = "\n".join(pkg.check_stage(tmp_path))
    assert "imports toast_connector.sandbox.server" in problems
    assert "does not list cryptography" in problems
    assert "lists requests, which Fivetran provides" in problems
    assert "lists duckdb, which no shipped module imports" in problems
    (tmp_path / "toast_connector" / "__init__.py").write_text("import json, cryptography\n")
    (tmp_path / "requirements.txt").write_text("cryptography>=42\ntzdata\n")
    assert "lists tzdata, which no shipped module imports" in "\n".join(pkg.check_stage(tmp_path))
    (tmp_path / "toast_connector" / "__init__.py").write_text("import json, cryptography\nfrom zoneinfo import ZoneInfo\n")
    assert pkg.check_stage(tmp_path) == []   # tzdata backs zoneinfo where the system has no time zone database


def test_deploy_needs_key_destination_connection(tmp_path, monkeypatch, capsys):
    for v in ("FIVETRAN_API_KEY", "FIVETRAN_DESTINATION", "FIVETRAN_DESTINATION_NAME", "FIVETRAN_CONNECTION", "FIVETRAN_CONNECTION_NAME"):
        monkeypatch.delenv(v, raising=False)
    monkeypatch.setenv("FIVETRAN_API_KEY", "c2VjcmV0LWtleS12YWx1ZQ==")
    with pytest.raises(SystemExit) as e: pkg.deploy(tmp_path / "x.zip", tmp_path, tmp_path / "configuration.json")
    assert "FIVETRAN_DESTINATION, FIVETRAN_CONNECTION" in str(e.value) and "c2VjcmV0" not in str(e.value)


def test_deploy_never_shows_the_key(tmp_path, monkeypatch, capfd):
    "Deploy with a stand-in `fivetran` that echoes its argv and the key prefix, as the SDK's deploy does."
    key = "c2VjcmV0LWtleS12YWx1ZTpzZWNyZXQ="
    fake = tmp_path / "fake_fivetran.py"
    fake.write_text("import os, sys, json\nk = os.environ['FIVETRAN_API_KEY']\n"
                    "print('executing deploy:', ' '.join(sys.argv[1:]), '--api-key', k[:8] + '********')\n"
                    "print('config', json.load(open(sys.argv[sys.argv.index('--configuration') + 1])))\n")
    monkeypatch.setattr(pkg, "fivetran_cli", lambda: [sys.executable, str(fake)])
    for v, x in (("FIVETRAN_API_KEY", key), ("FIVETRAN_DESTINATION", "warehouse"), ("FIVETRAN_CONNECTION", "toast_sandbox"),
                 ("TOAST_CLIENT_SECRET", "env-secret-value"), ("TOAST_CLIENT_ID", "env-client")):
        monkeypatch.setenv(v, x)
    cfg = tmp_path / "configuration.json"
    cfg.write_text(json.dumps({"clientId": "<YOUR_CLIENT_ID>", "clientSecret": "", "userAccessType": "TOAST_MACHINE_CLIENT",
                               "domain": "ws-api.toasttab.com", "initialSyncStart": "2024-01-01T00:00:00.000Z", "key": ""}))
    assert pkg.deploy(tmp_path / "x.zip", tmp_path, cfg) == 0
    out = capfd.readouterr().out
    assert "--destination warehouse --connection toast_sandbox" in out
    assert key not in out and key[:8] not in out and "********" in out
    assert "'clientSecret': 'env-secret-value'" in out and "'clientId': 'env-client'" in out  # filled from the environment
    assert "'key'" not in out  # an empty key is left out: derived from the secret
    assert json.loads(cfg.read_text())["clientSecret"] == ""   # the user's file is untouched


def test_deploy_refuses_what_the_first_sync_would(tmp_path, monkeypatch, capfd):
    "A configuration the connector would refuse stops deploy before `fivetran deploy` runs, naming the key (helper-50)."
    monkeypatch.setattr(pkg, "fivetran_cli", lambda: pytest.fail("fivetran deploy ran"))
    for v, x in (("FIVETRAN_API_KEY", "k"), ("FIVETRAN_DESTINATION", "warehouse"), ("FIVETRAN_CONNECTION", "toast_sandbox")):
        monkeypatch.setenv(v, x)
    base = {"clientId": "id", "clientSecret": "s3cret", "domain": "ws-api.toasttab.com", "initialSyncStart": "2024-01-01T00:00:00.000Z"}
    for extra, says in (({"windowDays": "abc"}, "'windowDays': must be a whole number, got 'abc'"),
                        ({"windwoDays": "7"}, "'windwoDays': unknown key; did you mean 'windowDays'?"),
                        ({"clientSecret": "YOUR_CLIENT_SECRET"}, "'clientSecret': is still a placeholder")):
        cfg = tmp_path / "configuration.json"
        cfg.write_text(json.dumps({**base, **extra}))
        with pytest.raises(SystemExit) as e: pkg.deploy(tmp_path / "x.zip", tmp_path, cfg)
        assert says in str(e.value) and "nothing was uploaded" in str(e.value), str(e.value)


def test_as_written_it_asks_pypi_nothing(built):
    "Without flags the SDK's requirements check reads installed versions: no PyPI lookups, failures or retries."
    out = built["stdout"] + built["stderr"]
    for bad in ("PyPI server", "pipreqs check failed", "retrying after", "Traceback"): assert bad not in out, (bad, out[-2000:])


def test_only_deploy_deploys_and_only_pypi_goes_online(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(pkg, "OFFLINE", pkg.OFFLINE)             # restored after the test, whatever main() set
    monkeypatch.setattr(pkg, "package", lambda root, out: tmp_path / "stage" / "files" / "x.zip")
    monkeypatch.setattr(pkg, "deploy", lambda *a: calls.append(a) or 0)
    (tmp_path / "configuration.json").write_text("{}")
    assert pkg.main(["--root", str(tmp_path)]) == 0 and calls == [] and pkg.OFFLINE
    shim = Path(pkg.cli_env()["PATH"].split(os.pathsep)[0]) / "pipreqs"
    assert "--use-local" in shim.read_text()                  # the pipreqs the CLI finds first asks nobody
    assert pkg.main(["--root", str(tmp_path), "--pypi"]) == 0 and calls == [] and not pkg.OFFLINE
    assert pkg.main(["--root", str(tmp_path), "--deploy"]) == 0 and len(calls) == 1


def test_deploy_reads_a_key_fivetran_configuration_encrypted(tmp_path, monkeypatch):
    """`fivetran configuration` saves password fields (`clientSecret`, `key`) encrypted; deploy validates them decrypted
    as the SDK will (helper-59: a valid encrypted Fernet key was refused as 'not url-safe base64')."""
    from cryptography.fernet import Fernet
    from fivetran_connector_sdk_cli.configuration_decryption import encrypt_value, get_or_create_key
    monkeypatch.setenv("HOME", str(tmp_path))                  # the SDK's key lives under ~/.fivetran
    for v in ("TOAST_CLIENT_ID", "TOAST_CLIENT_SECRET", "TOAST_FERNET_KEY"): monkeypatch.delenv(v, raising=False)
    k, fernet = get_or_create_key(), Fernet.generate_key().decode()
    cfg = {"clientId": "id", "clientSecret": encrypt_value("s3cret", "clientSecret", k), "domain": "ws-api.toasttab.com",
           "initialSyncStart": "2024-01-01T00:00:00.000Z", "key": encrypt_value(fernet, "key", k)}
    path = tmp_path / "configuration.json"
    path.write_text(json.dumps(cfg))
    assert pkg.deploy_configuration(path) == cfg               # handed to `fivetran deploy` as written: it decrypts them
    cfg["key"] = encrypt_value("not-a-fernet-key", "key", k)   # and a bad one is still refused, by name
    path.write_text(json.dumps(cfg))
    with pytest.raises(SystemExit, match="'key': is not a valid Fernet key"): pkg.deploy_configuration(path)


def test_deploy_names_the_variable_and_refuses_a_local_domain(tmp_path, monkeypatch):
    """A wrong value from a `TOAST_*` variable is named as the variable's, not blamed on configuration.json; a domain on
    this machine (a sandbox's configuration copied over) is refused: Fivetran's servers cannot reach it (helper-71)."""
    monkeypatch.setattr(pkg, "fivetran_cli", lambda: pytest.fail("fivetran deploy ran"))
    for v in ("TOAST_CLIENT_ID", "TOAST_CLIENT_SECRET", "TOAST_FERNET_KEY"): monkeypatch.delenv(v, raising=False)
    path = tmp_path / "configuration.json"
    base = {"clientId": "", "clientSecret": "", "domain": "ws-api.toasttab.com", "initialSyncStart": "2024-01-01T00:00:00.000Z", "key": ""}
    path.write_text(json.dumps(base))
    monkeypatch.setenv("TOAST_CLIENT_ID", "id"); monkeypatch.setenv("TOAST_CLIENT_SECRET", "s3cret")
    monkeypatch.setenv("TOAST_FERNET_KEY", "not-a-key")
    with pytest.raises(SystemExit) as e: pkg.deploy_configuration(path)
    assert "it comes from the TOAST_FERNET_KEY environment variable" in str(e.value), str(e.value)
    monkeypatch.delenv("TOAST_FERNET_KEY")
    assert pkg.deploy_configuration(path) == {**{k: v for k, v in base.items() if k != "key"}, "clientId": "id", "clientSecret": "s3cret"}
    path.write_text(json.dumps({**base, "clientId": "<YOUR_CLIENT_ID>"}))         # the example's placeholder, the variable set
    assert pkg.deploy_configuration(path)["clientId"] == "id"
    monkeypatch.setenv("TOAST_CLIENT_ID", "<YOUR_CLIENT_ID>")
    with pytest.raises(SystemExit, match="in the TOAST_CLIENT_ID environment variable"): pkg.deploy_configuration(path)
    monkeypatch.setenv("TOAST_CLIENT_ID", "id")
    for local in ("http://127.0.0.1:39551", "http://localhost:8088", "https://[::1]:8443"):
        path.write_text(json.dumps({**base, "domain": local}))
        with pytest.raises(SystemExit) as e: pkg.deploy_configuration(path)
        assert "is a local address" in str(e.value) and "nothing was uploaded" in str(e.value), str(e.value)
