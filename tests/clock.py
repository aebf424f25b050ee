"""The test suite's clock. No test depends on the hour it runs at: every test that starts a sandbox pins the
sandbox's clock, either to an instant of its own chosen for a reason it states (a daylight-saving change, a date
its assertions name) or to `NOW`, this shared clock: `TOAST_SANDBOX_NOW` when it is set, else `DEFAULT`.

Tests whose outcome could depend on the hour (what the sandbox has served by then, where the connector's history
starts, which business day is open) are marked `@pytest.mark.clock`; `make clock` (part of `make test`, see
tools/hours.py) reruns them at several instants of the day. To rerun the whole suite at another hour:
`TOAST_SANDBOX_NOW=2026-12-01T22:00:00Z python -m pytest tests`."""
from datetime import datetime, timezone

from toast_connector.sandbox.data import ENV_NOW, env_now

UTC = timezone.utc
DEFAULT = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)    # issue 10's hour: orders of each first business day precede now - days
NOW = env_now() or DEFAULT                            # a bad TOAST_SANDBOX_NOW stops the run here, naming the variable
ISO = NOW.strftime("%Y-%m-%dT%H:%M:%S.") + f"{NOW.microsecond // 1000:03d}Z"
