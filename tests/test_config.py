"""Settings come from defaults, then the environment, then overrides; bad numbers name the variable."""

from __future__ import annotations

import pytest

from callback.facts.settings import ConfigError, load_settings


def test_environment_settings_are_read_and_typed():
    env = {
        "GREENLIGHT_WEBHOOK_TOLERANCE": "120",
        "GREENLIGHT_MAX_CONTENT_LENGTH": "2048",
        "GREENLIGHT_PROXY_HOPS": "1",
        "GREENLIGHT_DELETION_RATE_LIMIT": "9",
        "GREENLIGHT_PURGE_INTERVAL_HOURS": "6",
        "GREENLIGHT_HTTP_TIMEOUT": "2.5",
    }
    s = load_settings(environ=env)
    assert (s["WEBHOOK_TOLERANCE"], s["MAX_CONTENT_LENGTH"], s["PROXY_HOPS"], s["DELETION_RATE_LIMIT"]) == (
        120,
        2048,
        1,
        9,
    )
    assert s["PURGE_INTERVAL_HOURS"] == "6" and s["HTTP_TIMEOUT"] == 2.5


def test_overrides_win_over_the_environment():
    s = load_settings({"PROXY_HOPS": 2}, environ={"GREENLIGHT_PROXY_HOPS": "1"})
    assert s["PROXY_HOPS"] == 2


def test_a_bad_number_names_the_variable():
    with pytest.raises(ConfigError, match="GREENLIGHT_WEBHOOK_TOLERANCE must be a number"):
        load_settings(environ={"GREENLIGHT_WEBHOOK_TOLERANCE": "five minutes"})


@pytest.mark.parametrize("value", ["0", "-3", "1001"])
def test_a_deletion_rate_limit_out_of_range_names_the_variable(value):
    with pytest.raises(ConfigError, match="GREENLIGHT_DELETION_RATE_LIMIT must be from 1 to 1000"):
        load_settings(environ={"GREENLIGHT_DELETION_RATE_LIMIT": value})


def test_proxy_hops_from_the_environment_reach_the_service(tmp_path, app_config, monkeypatch):
    from callback import create_app

    monkeypatch.setenv("GREENLIGHT_PROXY_HOPS", "1")
    app = create_app({k: v for k, v in app_config.items() if k != "PROXY_HOPS"})
    r = app.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in r.headers  # the proxy's word that the request was https is trusted
