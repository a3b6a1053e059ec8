"""What each Content Posting error means in plain words, and what to do about it (shown to creators)."""

from __future__ import annotations

UNAUDITED_NOTE = (
    "An unaudited app posts only SELF_ONLY, only to private accounts, at most 5 creators a day "
    "(until TikTok's audit of the app passes): make the TikTok account private to test, or send "
    "videos to the creator's inbox instead."
)

_TRY_LATER = "Wait a few minutes and press Post again."
WORDS = {
    # Refusals at init, in TikTok's codes.
    "unaudited_client_can_only_post_to_private_accounts": (
        "TikTok accepts direct posts from this app only to private accounts until the app passes TikTok's "
        "audit. Make the TikTok account private (Settings and privacy > Privacy > Private account), or send "
        "the video to your TikTok inbox instead, then try again."
    ),
    "spam_risk_too_many_posts": (
        "TikTok says this account cannot post more right now: it has reached today's posting limit. Try again tomorrow."
    ),
    "spam_risk_user_banned_from_posting": (
        "TikTok does not let this account post at the moment. Check the account's notifications in the TikTok app."
    ),
    "privacy_level_option_mismatch": (
        "The chosen audience is not one TikTok offers this account now. Open the posting page again and "
        "choose one of the options shown there."
    ),
    "url_ownership_unverified": (
        "TikTok fetches videos only from a domain or URL prefix this app has verified, and this video's "
        "address is not one of them. Verify the domain or prefix in TikTok's developer portal, or queue the "
        "video file itself instead of its address."
    ),
    "rate_limit_exceeded": (
        "Too many requests reached TikTok for this account in a short time. Wait a minute and try again."
    ),
    "reached_active_user_cap": (
        "Until the app passes TikTok's audit, at most 5 creators a day can post through it, and today's 5 "
        "have posted. Try again tomorrow; the operator can apply for the audit in TikTok's developer portal."
    ),
    "scope_not_authorized": (
        "This account did not give the app the permission this needs (video.publish to post, video.upload to "
        "send to the inbox). Reconnect the account and leave that permission ticked."
    ),
    "access_token_invalid": (
        "TikTok no longer accepts this account's sign-in: access was removed or has expired. Reconnect the "
        "account, then try again."
    ),
    "reconnect_needed": "This account's connection to TikTok has run out. Reconnect the account, then try again.",
    "invalid_params": (
        "TikTok refused the post's details. Check the title and settings on the posting page and try again."
    ),
    "upload_url_expired": (
        "The upload took longer than TikTok allows and its upload link expired. Press Post again: the "
        "upload starts over."
    ),
    "upload_not_found": "TikTok no longer knows this upload. Press Post again: the upload starts over.",
    "range_not_satisfiable": (
        "The upload got out of step with TikTok (a piece of the video was sent twice or out of order). "
        "Press Post again: the upload starts over."
    ),
    "upload_incomplete": (
        "TikTok did not confirm that it received the whole video. Press Post again: the upload starts over."
    ),
    # fail_reason of a publish that TikTok could not finish.
    "file_format_check_failed": (
        "TikTok could not read the file as a video. Export it as an MP4 (H.264 video, AAC audio) and queue it again."
    ),
    "duration_check_failed": (
        "The video is longer than TikTok lets this account post. Trim it to the length shown on the posting "
        "page and queue it again."
    ),
    "frame_rate_check_failed": (
        "TikTok refused the video's frame rate. Export it at 23 to 60 frames a second and queue it again."
    ),
    "picture_size_check_failed": (
        "TikTok refused the video's picture size. Export it at least 360 pixels on each side (at most 4096) "
        "and queue it again."
    ),
    "video_pull_failed": (
        "TikTok could not download the video from its address. Check that the address opens the video "
        "without a sign-in and stays reachable for an hour, then try again."
    ),
    "publish_cancelled": "The post was cancelled on TikTok. Queue it again if you still want it posted.",
    "auth_removed": (
        "Access to the TikTok account was removed while the video was being posted. Reconnect the account "
        "and try again."
    ),
    "spam_risk_text": "TikTok refused the title. Change the title and try again.",
    "spam_risk": "TikTok refused the post as a possible spam risk. Change the title or the video and try again.",
    "internal": "TikTok hit an error of its own while processing the video. " + _TRY_LATER,
    # The service's own findings.
    "too_long": "The video is longer than TikTok lets this account post. Trim it and queue it again.",
    "too_large": (
        "The video file is larger than TikTok accepts. Export it smaller (a lower bitrate) and queue it again."
    ),
    "timed_out": "TikTok did not finish processing in time; check the app on TikTok.",
    "media_gone": "The video is no longer kept here (queued videos are deleted after a while). Queue it again.",
    "no_privacy": "Choose who can see the post before posting.",
    "branded_private": "Branded content visibility cannot be set to private. Choose another audience.",
    "account_gone": "This TikTok account is no longer connected. Connect it again and queue the video again.",
    "creator_cannot_post": "TikTok says this account cannot post right now. Try again later.",
    "unreachable": "TikTok could not be reached. " + _TRY_LATER,
    "server_error": "TikTok had a temporary problem. " + _TRY_LATER,
    "temporarily_unavailable": "TikTok is temporarily unavailable. " + _TRY_LATER,
    "internal_error": "TikTok had a temporary problem. " + _TRY_LATER,
    "busy": "The service is busy. " + _TRY_LATER,
}
WORDS["invalid_param"] = WORDS["invalid_params"]  # TikTok's reference spells it both ways


def explain(error: str) -> str:
    """Say in plain words what a Content Posting error means and what to do about it."""
    if error in WORDS:
        return WORDS[error]
    return (
        f"TikTok could not post the video (it answered {error or 'with an error'}). Check the app on TikTok, "
        "or try again later."
    )
