"""No token, secret or OAuth code in any log line or error page, through a full flow and its failures."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlsplit

import requests

from callback import create_app
from callback.platform.redaction import MASK, redact
from callback.sandbox.server import BackgroundServer
from callback.tokens import fresh_token


def test_redact_masks_tokens_bearers_codes_and_given_secrets():
    line = (
        "POST /x?code=abc123&state=s1 token=act.AAAAAAAAAAAA refresh rft.BBBBBBBBBBBB "
        "Authorization: Bearer zzz999 client_secret=hunter2222 my-app-secret-value"
    )
    out = redact(line, ["my-app-secret-value", "short"])
    for secret in ("abc123", "act.AAAA", "rft.BBBB", "zzz999", "hunter2222", "my-app-secret-value"):
        assert secret not in out, secret
    assert "state=s1" in out and out.count(MASK) == 6
    assert redact("nothing to hide here, short") == "nothing to hide here, short"
    # Each mark alone lets its pattern run, in any case (the quick look for marks must not skip a line).
    for alone in ("BEARER zzz999xyz", "Bearer zzz999xyz", "act.zzz999xyz", "rft.zzz999xyz", "?code=zzz999xyz"):
        assert "zzz999xyz" not in redact(alone), alone


def test_nothing_secret_reaches_the_logs_or_pages(sandbox_config, sandbox, facts_file, caplog, capfd):
    server = BackgroundServer()
    facts = facts_file(urls__service=server.url, platforms__tiktok__app_type="desktop")
    config = {**sandbox_config, "FACTS_FILE": str(facts), "PROPAGATE_EXCEPTIONS": False}
    server.app = app = create_app(config)
    seen_codes, pages = [], []
    with caplog.at_level(logging.DEBUG), server:  # DEBUG: werkzeug, urllib3, greenlight.* all speak
        s = requests.Session()
        # 1. a full connect, whose callback URL carries the code
        r = s.get(server.url + "/connect/tiktok", allow_redirects=False, timeout=5)
        back = sandbox.approve(r.headers["Location"])
        seen_codes.append(dict(parse_qsl(urlsplit(back).query))["code"])
        pages.append(s.get(back, timeout=10).text)
        # 2. a refresh through fresh_token, with one 5xx retried on the way
        store = app.extensions["greenlight"]["store"]
        (acc,) = store.list()
        store.update(acc["open_id"], expires_at=0)
        sandbox.fault("token", "server_error", count=1)
        fresh = fresh_token(settings=config)
        # 3. a reused code: TikTok refuses, the service explains
        r = s.get(server.url + "/connect/tiktok", allow_redirects=False, timeout=5)
        state = dict(parse_qsl(urlsplit(r.headers["Location"]).query))["state"]
        pages.append(s.get(f"{server.url}/callback/tiktok?code={seen_codes[0]}&state={state}", timeout=10).text)
        # 4. an unexpected failure whose exception text carries a token
        original = store.get

        def broken(open_id):
            raise RuntimeError(f"store exploded holding {fresh} and {acc['refresh_token']}")

        store.get = broken
        r = s.get(server.url + "/connect/tiktok/connected", timeout=10)
        store.get = original
        assert r.status_code == 500
        pages.append(r.text)
    out, err = capfd.readouterr()
    text = caplog.text + out + err
    assert "store exploded" in text and "code=" + MASK in text  # the logs were really captured
    secrets = [
        config["TIKTOK_CLIENT_SECRET"],
        config["SECRET_KEY"],
        acc["access_token"],
        acc["refresh_token"],
        fresh,
        store.get(acc["open_id"])["refresh_token"],
        *seen_codes,
    ]
    for secret in secrets:
        assert secret not in text, f"a secret reached the logs: {secret[:8]}..."
        for page in pages:
            assert secret not in page
    assert "Traceback" not in pages[-1] and "Something went wrong" in pages[-1]
