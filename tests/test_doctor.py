"""`greenlight doctor`: a real connected account (service + token store), the sandbox as TikTok."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from callback.cli import cli
from callback.cli.doctor import diagnose, explain_creator_info


def doctor_settings(live) -> dict:
    """The operator's local settings: the service's data directory, facts and credentials."""
    c = live.app.config
    return {
        k: c[k]
        for k in (
            "DATA_DIR",
            "FACTS_FILE",
            "TIKTOK_CLIENT_KEY",
            "TIKTOK_CLIENT_SECRET",
            "TIKTOK_AUTH_BASE",
            "TIKTOK_API_BASE",
            "HTTP_TIMEOUT",
            "HTTP_BACKOFF",
        )
    }


def connect_granting(live, scopes: str) -> None:
    """Connect the first sandbox user, who leaves only `scopes` ticked on the consent page."""
    s = requests.Session()
    r = s.get(live.url + "/connect/tiktok", allow_redirects=False, timeout=5)
    params = dict(parse_qsl(urlsplit(r.headers["Location"]).query))
    params.update(scope=scopes, decision="authorize", open_id=live.sandbox.users()[0].open_id)
    back = requests.post(live.sandbox.url + "/v2/auth/authorize/", data=params, allow_redirects=False, timeout=5)
    assert s.get(back.headers["Location"], timeout=10).status_code == 200


def report(d) -> str:
    return "\n".join(d.lines)


def test_unaudited_account_is_explained(live_service):
    assert live_service.connect().status_code == 200
    d = diagnose(None, doctor_settings(live_service))
    text = report(d)
    assert d.problems == 0, text
    assert "Account: Sandbox Creator" in text
    assert "Posting as Sandbox Creator (@sandbox.creator)" in text
    assert "Only SELF_ONLY (private) is offered: the app is not audited yet" in text
    assert "inbox upload (video.upload)" in text and "five" in text
    assert "Stitches are turned off in this creator's TikTok settings: show that toggle greyed out" in text
    assert "Comments are allowed" in text
    assert "Longest video allowed: 600 s (10 min)" in text


def test_audited_app_lists_the_privacy_options(live_service):
    live_service.sandbox.client.audited = True
    live_service.connect()
    text = report(diagnose("Sandbox Creator", doctor_settings(live_service)))
    assert "Privacy options offered: PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, FOLLOWER_OF_CREATOR, SELF_ONLY" in text
    assert "no default" in text


def test_rejected_refresh_token_means_reconnect(live_service):
    live_service.connect()
    account = live_service.store().list()[0]
    live_service.sandbox.state.expire(account["open_id"], "both")  # TikTok forgot the grant
    live_service.store().update(account["open_id"], expires_at=0)  # so the next use must refresh
    d = diagnose(None, doctor_settings(live_service))
    assert d.problems == 1
    assert f"until they reconnect at {live_service.url}/connect/tiktok" in report(d)
    assert "invalid_grant" in report(d)
    assert live_service.sandbox.calls("token.refresh_token") == 1


def test_missing_video_publish_says_what_to_do(live_service):
    connect_granting(live_service, "user.info.basic,video.upload")
    d = diagnose(None, doctor_settings(live_service))
    text = report(d)
    assert d.problems == 1
    assert "video.publish was not granted" in text and "reconnect at" in text and "Direct Post" in text
    assert "Posting as Sandbox Creator" in text  # creator_info still answers for inbox uploads


def test_no_posting_scope_at_all(live_service):
    connect_granting(live_service, "user.info.basic")
    text = report(diagnose(None, doctor_settings(live_service)))
    assert "video.publish was not granted" in text and "video.upload was not granted" in text
    assert "creator_info was not asked" in text


def test_no_account_connected(live_service):
    d = diagnose(None, doctor_settings(live_service))
    assert d.problems == 1 and "no TikTok account is connected yet" in report(d)
    assert f"{live_service.url}/connect/tiktok" in report(d)


def test_unknown_account_name(live_service):
    live_service.connect()
    d = diagnose("Nobody", doctor_settings(live_service))
    assert d.problems == 1 and "no connected account is named 'Nobody'" in report(d)


def test_platform_outage_is_reported_not_raised(live_service):
    live_service.connect()
    live_service.sandbox.fault("creator_info", "server_error", count=10)
    d = diagnose(None, {**doctor_settings(live_service), "HTTP_RETRIES": 1})
    assert d.problems == 1 and "creator_info failed" in report(d)


def test_doctor_command(live_service, monkeypatch):
    from click.testing import CliRunner

    live_service.connect()
    s = doctor_settings(live_service)
    env = {
        "GREENLIGHT_DATA_DIR": s["DATA_DIR"],
        "TIKTOK_CLIENT_KEY": s["TIKTOK_CLIENT_KEY"],
        "TIKTOK_CLIENT_SECRET": s["TIKTOK_CLIENT_SECRET"],
        "GREENLIGHT_TIKTOK_API_BASE": s["TIKTOK_API_BASE"],
        "GREENLIGHT_TIKTOK_AUTH_BASE": s["TIKTOK_AUTH_BASE"],
    }
    result = CliRunner().invoke(cli, ["--facts", s["FACTS_FILE"], "doctor", "Sandbox Creator"], env=env)
    assert result.exit_code == 0, result.output
    assert "Only SELF_ONLY" in result.output
    assert live_service.store().list()[0]["access_token"] not in result.output
    live_service.sandbox.state.expire(live_service.store().list()[0]["open_id"], "both")
    live_service.store().update(live_service.store().list()[0]["open_id"], expires_at=0)
    result = CliRunner().invoke(cli, ["--facts", s["FACTS_FILE"], "doctor"], env=env)
    assert result.exit_code == 1 and "reconnect at" in result.output


@pytest.mark.parametrize(
    "flags, expected",
    [
        ({"comment_disabled": True}, "Comments are turned off"),
        ({"duet_disabled": True}, "Duets are turned off"),
        ({"privacy_level_options": []}, "No privacy options were offered"),
    ],
)
def test_creator_info_flags(flags, expected):
    info = {"creator_nickname": "A", "privacy_level_options": ["PUBLIC_TO_EVERYONE"], **flags}
    assert any(expected in line for line in explain_creator_info(info))


def test_expired_refresh_token_means_reconnect(live_service):
    live_service.connect()
    account = live_service.store().list()[0]
    live_service.store().update(account["open_id"], expires_at=0, refresh_expires_at=0)
    d = diagnose(None, doctor_settings(live_service))
    assert d.problems == 1 and "the refresh token has expired" in report(d)
    assert f"reconnect at {live_service.url}/connect/tiktok" in report(d)
    assert live_service.sandbox.calls("token.refresh_token") == 0  # no hopeless call to TikTok
