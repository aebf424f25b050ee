"""What a review of the connector's security found, each pinned by a test: configuration values that used to pass and
fail later (an initialSyncStart before Toast's first day, numbers Python reads but no form shows, a JSON list of guids)."""
import pytest

from toast_connector.config import ConfigError, validate_configuration

SECRET = "S3CR3T-zebra-7731"
BASE = {"clientId": "cid", "clientSecret": SECRET, "domain": "ws-api.toasttab.com", "initialSyncStart": "2024-01-01T00:00:00.000Z"}


def config_error(**kw) -> str:
    "The ConfigError message of BASE changed by `kw`."
    with pytest.raises(ConfigError) as ei: validate_configuration({**BASE, **kw})
    assert SECRET not in str(ei.value)
    return str(ei.value)


# ---- configuration ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("start", ["0001-01-01T00:00:00Z", "2015-11-30", "2015-12-01T00:00:00.000Z"])
def test_initial_sync_start_before_toasts_first_day_is_refused(start):
    msg = config_error(initialSyncStart=start)
    assert msg.startswith(f"configuration 'initialSyncStart': is {start}, on or before 2015-12-01T00:00:00.000Z"), msg
    assert validate_configuration({**BASE, "initialSyncStart": "2015-12-01T00:00:00.001Z"}).initial_sync_start.year == 2015
    assert "is in the future" in config_error(initialSyncStart="2999-01-01")


@pytest.mark.parametrize("key,value", [("windowDays", "1_0"), ("windowDays", "\u0663"), ("maxWorkers", "\uff14"),
                                       ("restaurantShard", "\u0661/\u0662"), ("timeoutSeconds", "1_0"), ("rateLimitScale", "\u0660.5")])
def test_numbers_are_ascii_digits(key, value):
    msg = config_error(**{key: value})
    assert msg.startswith(f"configuration '{key}': ") and ("must be" in msg or "must look like" in msg), msg


def test_restaurant_ids_are_comma_separated_guids_not_json_and_counted_once():
    g1, g2 = "3f46d8be-f72e-4743-9727-93e8a6f70a61", "3f46d8be-f72e-4743-9727-93e8a6f70a62"
    msg = config_error(restaurantIds=f'["{g1}", "{g2}"]')
    assert msg.startswith("configuration 'restaurantIds': is comma-separated guids, not JSON"), msg
    s = validate_configuration({**BASE, "restaurantIds": f"{g2},{g1}, {g2.upper()}", "excludeRestaurantIds": f"{g1} {g1}"})
    assert s.restaurant_ids == (g2, g1) and s.exclude_restaurant_ids == (g1,)
