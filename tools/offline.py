"""Run the Fivetran CLI without reaching PyPI.

`fivetran debug` validates `requirements.txt` by shelling out to `pipreqs`, which asks PyPI for the
latest version of every import. Offline (CI, a train, this project's test machines) each lookup fails,
is retried with sleeps, and costs about half a minute per run before the sync starts. `offline_env()`
returns an environment whose PATH starts with a `pipreqs` shim that adds `--use-local` (read the
versions of the packages installed here, ask nobody). On Windows, where a shim would have to be an
.exe, the environment is returned unchanged and the CLI simply waits for its lookups to fail.

Used by `make demo` (tools/demo.py, which runs `fivetran debug` on the repository root) and `make package`.
README's by-hand run needs no shim: its folder holds only `connector.py`, whose imports are all installed, so
`pipreqs` asks PyPI nothing there.
"""
import os, sys, tempfile
from pathlib import Path

SHIM = f"""#!{sys.executable}
import sys
from pipreqs.pipreqs import main
sys.argv.insert(1, "--use-local")
sys.exit(main())
"""

def offline_env(base: dict | None = None) -> dict:
    "An environment for the `fivetran` CLI: no telemetry, the venv's bin on PATH, pipreqs local-only."
    env = dict(os.environ if base is None else base)
    env["DO_NOT_TRACK"] = "1"
    path = [str(Path(sys.executable).parent)]
    if os.name != "nt":
        shim_dir = Path(tempfile.gettempdir()) / f"toast-connector-shims-{os.getuid()}"
        shim_dir.mkdir(exist_ok=True)
        shim = shim_dir / "pipreqs"
        if not shim.exists() or shim.read_text() != SHIM:
            shim.write_text(SHIM)
            shim.chmod(0o755)
        path.insert(0, str(shim_dir))
    env["PATH"] = os.pathsep.join(path + [env.get("PATH", "")])
    return env
