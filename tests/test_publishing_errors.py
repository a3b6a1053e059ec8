"""Every refusal TikTok documents ends the item failed, with TikTok's code and plain words saying what to do."""

from __future__ import annotations

import os
import time

import pytest

from callback.platform.posting import UNAUDITED_NOTE, explain
from callback.platform.posting_errors import WORDS
from callback.service import publisher
from publishing_support import PRIVATE, config, connect, control, publishes, stores, video  # noqa: F401

DOCUMENTED = (
    "unaudited_client_can_only_post_to_private_accounts",
    "spam_risk_too_many_posts",
    "spam_risk_user_banned_from_posting",
    "privacy_level_option_mismatch",
    "duration_check_failed",
    "file_format_check_failed",
    "frame_rate_check_failed",
    "picture_size_check_failed",
    "url_ownership_unverified",
    "upload_url_expired",
    "rate_limit_exceeded",
    "reached_active_user_cap",
    "scope_not_authorized",
    "access_token_invalid",
    "video_pull_failed",
    "publish_cancelled",
    "auth_removed",
    "spam_risk_text",
    "spam_risk",
    "internal",
    "invalid_params",
    "too_large",
    "too_long",
)


def run(config: dict, item_id: str, settings: dict | None = None) -> dict:
    store, queue = stores(config)
    return publisher.publish(
        item_id,
        PRIVATE if settings is None else settings,
        queue=queue,
        store=store,
        config=config,
        poll_every=0.01,
        max_wait=5,
    )


def failed_with(done: dict, code: str) -> None:
    assert (done["status"], done["fail_reason"]) == ("failed", code), done
    assert done["message"] == explain(code)


@pytest.mark.parametrize("code", DOCUMENTED)
def test_each_documented_code_has_its_own_plain_words(code):
    words = explain(code)
    assert words == WORDS[code] and code not in words and words.endswith(".")
    assert "TikTok could not post the video (it answered" not in words


def test_an_unknown_code_is_still_explained():
    assert "brand_new_code" in explain("brand_new_code") and "try again" in explain("brand_new_code")
    assert "SELF_ONLY" in UNAUDITED_NOTE and "private accounts" in UNAUDITED_NOTE and "5 creators" in UNAUDITED_NOTE


def queued(sandbox, config, tmp_path, **connect_args) -> tuple[dict, dict]:
    account = connect(sandbox, config, **connect_args)
    _, queue = stores(config)
    return account, queue.add(open_id=account["open_id"], title="a clip", path=video(tmp_path))


def test_unaudited_app_and_a_public_account(sandbox, config, tmp_path):
    _, item = queued(sandbox, config, tmp_path, private=False)
    failed_with(run(config, item["id"]), "unaudited_client_can_only_post_to_private_accounts")


def test_a_creator_who_cannot_post_now(sandbox, config, tmp_path):
    account, item = queued(sandbox, config, tmp_path)
    control(sandbox, "creator", open_id=account["open_id"], can_post=False)
    failed_with(run(config, item["id"]), "spam_risk_too_many_posts")
    assert publishes(sandbox) == []  # stopped at creator_info


def test_an_audience_the_creator_is_not_offered(sandbox, config, tmp_path):
    _, item = queued(sandbox, config, tmp_path)
    failed_with(
        run(config, item["id"], {**PRIVATE, "privacy_level": "PUBLIC_TO_EVERYONE"}), "privacy_level_option_mismatch"
    )


@pytest.mark.parametrize("reason", ["duration_check_failed", "frame_rate_check_failed", "internal"])
def test_a_publish_tiktok_fails_after_the_upload(sandbox, config, tmp_path, reason):
    _, item = queued(sandbox, config, tmp_path)
    control(sandbox, "publish", outcome="fail", fail_reason=reason)
    failed_with(run(config, item["id"]), reason)


def test_bytes_that_are_not_a_video(sandbox, config, tmp_path):
    account = connect(sandbox, config)
    (tmp_path / "notes.mp4").write_bytes(b"<html>" + bytes(5000))
    _, queue = stores(config)
    item = queue.add(open_id=account["open_id"], title="oops", path=tmp_path / "notes.mp4")
    failed_with(run(config, item["id"]), "file_format_check_failed")


def test_an_upload_url_that_expired(sandbox, config, tmp_path):
    _, item = queued(sandbox, config, tmp_path)
    control(sandbox, "posting", upload_ttl=0)
    failed_with(run(config, item["id"]), "upload_url_expired")


def test_too_many_calls_a_minute(sandbox, config, tmp_path):
    _, item = queued(sandbox, config, tmp_path)
    control(sandbox, "posting", limits={"video_init": 0})
    failed_with(run(config, item["id"]), "rate_limit_exceeded")


def test_the_five_creators_a_day_cap(sandbox, config, tmp_path):
    _, item = queued(sandbox, config, tmp_path)
    control(sandbox, "posting", active_user_cap=0)
    failed_with(run(config, item["id"]), "reached_active_user_cap")


def test_a_scope_the_creator_did_not_grant(sandbox, config, tmp_path):
    _, item = queued(sandbox, config, tmp_path, scopes=("user.info.basic", "video.upload"))
    failed_with(run(config, item["id"]), "scope_not_authorized")


def test_access_removed_at_tiktok(sandbox, config, tmp_path):
    account, item = queued(sandbox, config, tmp_path)
    sandbox.state.revoke(sandbox.client.key, account["open_id"])
    failed_with(run(config, item["id"]), "access_token_invalid")


def test_an_account_that_must_reconnect(sandbox, config, tmp_path):
    account, item = queued(sandbox, config, tmp_path)
    store, _ = stores(config)
    store.update(account["open_id"], expires_at=time.time() - 1)
    sandbox.state.expire(account["open_id"], "both")
    failed_with(run(config, item["id"]), "reconnect_needed")


def test_an_account_gone_since_queueing(sandbox, config, tmp_path):
    account, item = queued(sandbox, config, tmp_path)
    stores(config)[0].delete(account["open_id"])
    failed_with(run(config, item["id"]), "account_gone")


def test_a_file_too_large_for_tiktok_is_refused_before_init(sandbox, config, tmp_path):
    _, item = queued(sandbox, config, tmp_path)
    _, queue = stores(config)
    os.truncate(queue.media(item["id"]), 1001 * 64 * 1024 * 1024)  # sparse: no disk is spent
    queue.update(item["id"], duration=5.0)
    failed_with(run(config, item["id"]), "too_large")
    assert publishes(sandbox) == []


def test_a_video_deleted_before_approval(sandbox, config, tmp_path):
    _, item = queued(sandbox, config, tmp_path)
    stores(config)[1].drop_media(item["id"])
    failed_with(run(config, item["id"]), "media_gone")


def test_tiktok_down_for_good(sandbox, config, tmp_path):
    _, item = queued(sandbox, config, tmp_path)
    sandbox.fault("creator_info", "server_error", count=10)
    failed_with(run(config, item["id"]), "server_error")


def test_a_failed_post_can_be_tried_again(sandbox, config, tmp_path):
    _, item = queued(sandbox, config, tmp_path)
    control(sandbox, "posting", limits={"video_init": 0})
    failed_with(run(config, item["id"]), "rate_limit_exceeded")
    control(sandbox, "posting", limits={"video_init": 6})
    done = run(config, item["id"])
    assert done["status"] == "published" and done["fail_reason"] is None
