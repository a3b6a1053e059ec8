"""The secret guard catches secrets of every shape, and stays quiet on ordinary page text."""

from __future__ import annotations

import re
import secrets

import pytest

from callback.site.audit import find_secrets, secret_values
from callback.site.build import SiteError
from site_support import build, project

# What `openssl rand -base64 32` prints about once in 64 runs: a secret that starts with "/".
SLASH_SECRET = "/x9Kq3vR8+Lm2Zt7Wp4Yc1Bn6Hd5Fs0Ja9Ge3Qu8Tk="


def _plant(tmp_path, facts_file, leak: str):
    """Make a site project whose terms page carries `leak`; return its mkdocs.yml."""
    config = project(tmp_path, facts_file)
    terms = tmp_path / "docs" / "terms.md"
    terms.write_text(terms.read_text() + f"\nDebug: {leak}\n")
    return config


def test_an_environment_secret_starting_with_a_slash_stops_the_build(tmp_path, facts_file, monkeypatch):
    monkeypatch.setenv("TIKTOK_CLIENT_SECRET", SLASH_SECRET)
    with pytest.raises(SiteError) as err:
        build(config=_plant(tmp_path, facts_file, SLASH_SECRET))
    assert "terms/index.html: value of environment variable TIKTOK_CLIENT_SECRET" in str(err.value)
    assert SLASH_SECRET not in str(err.value)


def test_a_dotenv_secret_starting_with_a_slash_stops_the_build(tmp_path, facts_file):
    config = _plant(tmp_path, facts_file, SLASH_SECRET)
    (tmp_path / ".env").write_text(f"GREENLIGHT_SECRET_KEY={SLASH_SECRET}\n")
    with pytest.raises(SiteError, match=re.escape("terms/index.html: value of GREENLIGHT_SECRET_KEY from .env")):
        build(config=config)


@pytest.mark.parametrize("leak, kind", [("act.abc123", "TikTok access token"), ("rft.Zx81kq", "TikTok refresh token")])
def test_a_short_token_in_a_page_stops_the_build(tmp_path, facts_file, leak, kind):
    with pytest.raises(SiteError) as err:
        build(config=_plant(tmp_path, facts_file, leak))
    assert f"terms/index.html: {kind}" in str(err.value)


@pytest.mark.parametrize(
    "token",
    [
        "act.abc123",
        "rft.Zx81kq",
        "act.example12345Example12345Example",  # TikTok's documented example shape
        "act.1a2B3c4D5e6F7g8H9i0J!4312.va",
        "rft.Ab*Cd!Ef.e1xyz9",
        '"access_token":"act.q1w2e3r4"',
        "token=act.9f8e7d6c5b",
        "act.abcdefghijklmnopq",  # long enough to be a token without a digit
    ],
)
def test_token_shapes_are_found(tmp_path, token):
    (tmp_path / "page.html").write_text(f"<pre>{token}</pre>")
    assert find_secrets(tmp_path), token


def test_every_token_the_sandbox_issues_is_found(tmp_path):
    # callback/sandbox/state.py issues "act." / "rft." + secrets.token_urlsafe(40).
    tokens = [prefix + secrets.token_urlsafe(40) for _ in range(200) for prefix in ("act.", "rft.")]
    for i, token in enumerate(tokens):
        (tmp_path / f"{i}.txt").write_text(token)
    assert len(find_secrets(tmp_path)) == len(tokens)


@pytest.mark.parametrize(
    "ordinary",
    [
        "see contact.html or contact.example",
        "react.createElement(a)",
        "Extract.TEXT",
        "interact.min.js",
        "the Digital Services Act. Then",
        "we will act. 2026 was",
        "an act.",
        "act.js and act.html",
        "Act.abc123",
        "impact.2024 report",
        "fact.v2",
        "craft.io",
        "x.act.foo1",
        "window_act.a1b2c3",
        "rft.md",
        "act.v1.2",
    ],
)
def test_ordinary_text_is_not_a_token(tmp_path, ordinary):
    (tmp_path / "page.html").write_text(f"<p>{ordinary}</p>")
    assert find_secrets(tmp_path) == []


def test_path_valued_settings_are_not_secrets(tmp_path):
    env = {
        "SSL_KEY_FILE": "/etc/ssl/private/key.pem",
        "PRIVATE_KEY_PATH": "/run/secrets/signing",
        "CERT_KEY_DIR": "/srv/keys/current",
        "GOOGLE_APPLICATION_CREDENTIALS": "/home/app/creds.json",
        "KEY_STORE": str(tmp_path),
        "TOKEN_HOME": "~/tokens/store",
        "SECRET_DIR": "./instance/keys",
        "TIKTOK_CLIENT_SECRET": SLASH_SECRET,
        "META_APP_SECRET": "/AbCdEfGhIjKlMnOpQrStUvWxYz012345",
    }
    assert secret_values(env) == {
        "value of environment variable META_APP_SECRET": env["META_APP_SECRET"],
        "value of environment variable TIKTOK_CLIENT_SECRET": SLASH_SECRET,
    }
