"""The posting page's form under TikTok's Direct Post rules: what blocks a post, and the settings it may send.

Pure functions over creator_info and the posted form, so the page, its tests and the server-side checks
share one reading of the rules. Videos only: photo posts (which offer Comment only, no Duet or Stitch)
are not queued by Greenlight, so every form here offers all three interactions.
"""

from __future__ import annotations

MAX_TITLE = 2200  # TikTok's limit on post_info.title
# How the TikTok app names each privacy_level_options value.
PRIVACY_LABELS = {
    "PUBLIC_TO_EVERYONE": "Everyone",
    "MUTUAL_FOLLOW_FRIENDS": "Friends (followers you follow back)",
    "FOLLOWER_OF_CREATOR": "Followers",
    "SELF_ONLY": "Only me",
}
PRIVATE = "SELF_ONLY"
# (form field, creator_info flag saying the creator turned it off, what the checkbox offers)
INTERACTIONS = (
    ("allow_comment", "comment_disabled", "Comment"),
    ("allow_duet", "duet_disabled", "Duet"),
    ("allow_stitch", "stitch_disabled", "Stitch"),
)
# TikTok's own wordings, which reviewers look for word for word.
BRANDED_PRIVATE = "Branded content visibility cannot be set to private."
NEED_BRAND = "You need to indicate if your content promotes yourself, a third party, or both."
LABEL_OWN, LABEL_PAID = "Promotional content", "Paid partnership"
MUSIC_URL = "https://www.tiktok.com/legal/page/global/music-usage-confirmation/en"
BRANDED_URL = "https://www.tiktok.com/legal/page/global/bc-policy/en"


def clock(seconds: float | int | None) -> str:
    """Write a duration as m:ss (or h:mm:ss)."""
    total = round(seconds or 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def too_long(item: dict, info: dict) -> str | None:
    """Say why a video is longer than the creator may post now, or return None."""
    limit, duration = info.get("max_video_post_duration_sec"), item.get("duration")
    if not isinstance(limit, (int, float)) or not isinstance(duration, (int, float)) or duration <= limit:
        return None
    who = info.get("creator_nickname") or "this account"
    return (
        f"This video is {clock(duration)} long, and TikTok lets {who} post videos of at most {clock(limit)}. "
        "Shorten it and queue it again."
    )


def label(disclose: bool, own: bool, paid: bool) -> str:
    """Return the label TikTok puts on the post ("" when nothing is disclosed or nothing chosen yet)."""
    if disclose and paid:
        return LABEL_PAID  # branded content wins when both are chosen, as in the TikTok app
    if disclose and own:
        return LABEL_OWN
    return ""


def blank_values(item: dict) -> dict:
    """Return the form's first state: the queued title, and nothing chosen or switched on."""
    return {
        "title": item.get("title", ""),
        "privacy_level": "",
        "allow_comment": False,
        "allow_duet": False,
        "allow_stitch": False,
        "disclose": False,
        "brand_organic": False,
        "brand_content": False,
        "is_aigc": False,
    }


def read_values(form) -> dict:
    """Read what the form sent, without judging it."""
    on = {"on", "1", "true", "yes"}
    values = {
        key: form.get(key, "").strip().lower() in on
        for key in (
            "allow_comment",
            "allow_duet",
            "allow_stitch",
            "disclose",
            "brand_organic",
            "brand_content",
            "is_aigc",
        )
    }
    values.update(title=form.get("title", "").replace("\r\n", "\n"), privacy_level=form.get("privacy_level", ""))
    return values


def problems(values: dict, info: dict, item: dict) -> dict[str, str]:
    """Return every rule the values break, keyed by the form field to point at (empty when all hold)."""
    errors: dict[str, str] = {}
    if (long := too_long(item, info)) is not None:
        errors["publish"] = long
    if item.get("inbox"):  # a draft: the creator sets title, audience and the rest in the TikTok app
        return errors
    if len(values["title"]) > MAX_TITLE:
        errors["title"] = f"The title can be at most {MAX_TITLE:,} characters; it has {len(values['title']):,}."
    options = info.get("privacy_level_options") or []
    branded = values["disclose"] and values["brand_content"]
    if not values["privacy_level"]:
        errors["privacy_level"] = "Choose who can see this video."
    elif values["privacy_level"] not in options:
        errors["privacy_level"] = "Choose one of the privacy options TikTok offers this account."
    elif branded and values["privacy_level"] == PRIVATE:
        errors["privacy_level"] = BRANDED_PRIVATE
    for field, flag, name in INTERACTIONS:
        if values[field] and info.get(flag):
            errors[field] = f"{name} is turned off for this account in TikTok, so it cannot be allowed here."
    if values["disclose"] and not (values["brand_organic"] or values["brand_content"]):
        errors["disclose"] = NEED_BRAND
    elif not values["disclose"] and (values["brand_organic"] or values["brand_content"]):
        errors["disclose"] = 'Turn on "Disclose video content" to mark the video as Your brand or Branded content.'
    return errors


def settings(values: dict) -> dict:
    """Turn checked values into the publisher's settings (an unchecked "Allow" box disables that interaction)."""
    return {
        "title": values["title"],
        "privacy_level": values["privacy_level"],
        "disable_comment": not values["allow_comment"],
        "disable_duet": not values["allow_duet"],
        "disable_stitch": not values["allow_stitch"],
        "brand_content_toggle": values["disclose"] and values["brand_content"],
        "brand_organic_toggle": values["disclose"] and values["brand_organic"],
        "is_aigc": values["is_aigc"],
    }


def only_private(info: dict) -> bool:
    """Tell whether creator_info offers only SELF_ONLY: the sign of an app TikTok has not audited yet."""
    return list(info.get("privacy_level_options") or []) == [PRIVATE]


# What each queue status means to the creator: (heading, sentence, whether it can still change).
STATUS = {
    "queued": ("Waiting for you", "Nothing is posted until you review it and press Post.", False),
    "uploading": ("Sending to TikTok", "The video is being uploaded to TikTok.", False),
    "processing": ("TikTok is processing your video", "Processing can take a few minutes after publishing.", False),
    "published": (
        "Published",
        "TikTok has posted your video. It can take a few minutes to show on your profile.",
        True,
    ),
    "inbox": ("In your TikTok inbox", "Open your TikTok inbox notification to finish posting.", True),
    "failed": ("Not posted", "TikTok did not post this video. You can try again below.", True),
    "expired": ("Expired", "This video waited too long and was removed. Queue it again to post it.", True),
}


def status_view(item: dict, done_messages: tuple[str, ...] = ()) -> dict:
    """Describe where an item stands, in the queue's own words where they say more than the usual line."""
    status = item.get("status", "")
    heading, sentence, final = STATUS.get(status, ("Unknown", "", False))
    message, detail = item.get("message") or "", ""
    if status in ("uploading", "processing", "failed", "expired") and message:
        sentence = message  # the publisher's own words: how far it got, or why it stopped
    elif status in ("published", "inbox") and message and message not in done_messages:
        detail = message  # news after the fact, such as a post TikTok no longer shows publicly
    return {
        "status": status,
        "heading": heading,
        "text": sentence,
        "detail": detail,
        "final": final,
        "working": status in ("uploading", "processing"),
    }
