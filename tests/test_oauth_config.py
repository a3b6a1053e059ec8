"""Redirect URI rules, startup checks, settings and the refusal to start without secrets."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from callback import create_app
from callback.facts.settings import ConfigError, load_settings
from callback.platform.redirects import redirect_mismatch, redirect_uri_problems

WEB = "https://callback.clipwise.example/callback/tiktok"
FACTS = str(Path(__file__).resolve().parent.parent / "mkdocs.yml")


@pytest.mark.parametrize("uri", [WEB, "https://x.example/a/b/", "https://x.example:8443/cb"])
def test_good_web_redirect_uris(uri):
    assert redirect_uri_problems(uri, "web") == []


@pytest.mark.parametrize(
    "uri, problem",
    [
        ("http://x.example/cb", "must start with https://"),
        ("http://127.0.0.1:5000/cb", "app_type: desktop"),
        ("https://x.example/cb?next=1", "query string"),
        ("https://x.example/cb#top", "fragment"),
        ("https://x.example/" + "a" * 500, "fewer than 512"),
        ("/callback/tiktok", "not an absolute URL"),
        ("", "empty"),
    ],
)
def test_bad_web_redirect_uris(uri, problem):
    assert any(problem in p for p in redirect_uri_problems(uri, "web")), redirect_uri_problems(uri, "web")


@pytest.mark.parametrize(
    "uri", ["http://127.0.0.1:5000/callback/tiktok", "http://localhost:8080/cb/", "https://x.example/cb"]
)
def test_good_desktop_redirect_uris(uri):
    assert redirect_uri_problems(uri, "desktop") == []


@pytest.mark.parametrize(
    "uri, problem",
    [
        ("http://x.example:5000/cb", "http://localhost:PORT"),
        ("http://127.0.0.1/cb", "explicit port"),
        ("http://localhost:5000/cb?x", "query string"),
    ],
)
def test_bad_desktop_redirect_uris(uri, problem):
    assert any(problem in p for p in redirect_uri_problems(uri, "desktop"))


@pytest.mark.parametrize(
    "configured, served, words",
    [
        (WEB, WEB, None),
        ("https://CALLBACK.clipwise.example:443/callback/tiktok", WEB, None),
        ("http://callback.clipwise.example/callback/tiktok", WEB, "http://"),
        ("https://www.clipwise.example/callback/tiktok", WEB, "host is www.clipwise.example"),
        ("https://callback.clipwise.example:8443/callback/tiktok", WEB, "port is 8443"),
        (WEB + "/", WEB, "trailing slash"),
        ("https://callback.clipwise.example/auth/tiktok", WEB, "path is /auth/tiktok"),
        (WEB + "?a=1", WEB, "query string"),
    ],
)
def test_redirect_mismatch(configured, served, words):
    result = redirect_mismatch(configured, served)
    assert (result is None) if words is None else (words in result)


def test_startup_warns_when_the_redirect_uri_is_not_what_the_service_serves(app_config, caplog):
    with caplog.at_level(logging.WARNING, logger="greenlight.oauth"):
        app = create_app({**app_config, "REDIRECT_URI": WEB + "/"})
    assert "trailing slash" in caplog.text and "greenlight redirect-uri" in caplog.text
    assert app.config["REDIRECT_URI"] == WEB + "/"


def test_startup_is_quiet_when_everything_matches(app_config, caplog):
    with caplog.at_level(logging.WARNING, logger="greenlight.oauth"):
        app = create_app(app_config)
    assert caplog.text == "" and app.config["REDIRECT_URI"] == WEB


def test_a_bad_pkce_encoding_stops_the_service(app_config):
    with pytest.raises(ConfigError, match="GREENLIGHT_PKCE_ENCODING"):
        create_app({**app_config, "PKCE_ENCODING": "plain"})


# -- settings and secrets --

PRODUCTION = {"GREENLIGHT_SECRET_KEY": "s" * 32, "TIKTOK_CLIENT_KEY": "awkey12345", "TIKTOK_CLIENT_SECRET": "sec" * 8}


@pytest.mark.parametrize("missing", ["GREENLIGHT_SECRET_KEY", "TIKTOK_CLIENT_KEY", "TIKTOK_CLIENT_SECRET"])
def test_the_service_refuses_to_start_without_a_secret_and_names_it(monkeypatch, tmp_path, missing):
    for var, value in PRODUCTION.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv(missing)
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("GREENLIGHT_DATA_DIR", str(tmp_path / "i"))
    with pytest.raises(ConfigError, match=missing):
        create_app({"FACTS_FILE": FACTS})


def test_the_service_starts_with_secrets_from_the_environment(monkeypatch, tmp_path):
    for var, value in PRODUCTION.items():
        monkeypatch.setenv(var, value)
    monkeypatch.chdir(tmp_path)
    app = create_app({"FACTS_FILE": FACTS, "DATA_DIR": str(tmp_path / "i")})
    assert app.config["TIKTOK_CLIENT_KEY"] == "awkey12345" and app.config["SECRET_KEY"] == "s" * 32


def test_secrets_come_from_a_dot_env_file_and_the_environment_wins(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "# local secrets\nTIKTOK_CLIENT_KEY=from-file\n"
        "export TIKTOK_CLIENT_SECRET='quoted'\nGREENLIGHT_HTTP_RETRIES=5\n"
    )
    settings = load_settings(environ={"TIKTOK_CLIENT_KEY": "from-env"})
    assert settings["TIKTOK_CLIENT_KEY"] == "from-env" and settings["TIKTOK_CLIENT_SECRET"] == "quoted"
    assert settings["HTTP_RETRIES"] == 5


def test_numbers_from_the_environment_are_checked():
    assert load_settings(environ={"GREENLIGHT_HTTP_TIMEOUT": "2.5"})["HTTP_TIMEOUT"] == 2.5
    with pytest.raises(ConfigError, match="GREENLIGHT_HTTP_RETRIES must be a number"):
        load_settings(environ={"GREENLIGHT_HTTP_RETRIES": "many"})


def test_demo_mode_starts_without_secrets(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    app = create_app({"FACTS_FILE": FACTS, "DEMO": True, "DATA_DIR": str(tmp_path / "i")})
    assert len(app.config["SECRET_KEY"]) >= 32
