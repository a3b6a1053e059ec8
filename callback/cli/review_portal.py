"""The developer portals' fields for `greenlight review-kit`: products, scopes, URLs and the app's face."""

from __future__ import annotations

from pathlib import Path

from callback.facts import Facts
from callback.facts.images import image_info
from callback.facts.setup import local
from callback.site.render import cell

META_DELETION_PATH = "/meta/data-deletion"  # callback/service/meta.py's route

# Where a user meets each scope in a Greenlight-style app; reviewers look for exactly that screen.
WHERE = {
    "user.info.basic": (
        "right after connecting: the connected account's display name and avatar, shown again on the publish screen"
    ),
    "user.info.profile": "beside the connected account: its profile link and verified badge",
    "user.info.stats": "the account overview: follower, following, like and video counts",
    "video.list": "the list of the user's own TikTok videos inside the app",
    "video.upload": "the 'Send to TikTok inbox' action; the draft then appears in the TikTok app's inbox",
    "video.publish": "the 'Post to TikTok' screen (Direct Post) with the privacy, interaction and disclosure settings",
}


def pages(facts: Facts, config: dict) -> dict[str, str]:
    """Return the public URLs of the four review pages."""
    from callback.checks.site import PAGES, page_url

    return {key: page_url(facts.site_url, config, key) for key in PAGES}


def _bullets(items) -> list[str]:
    return [f"- {item}" for item in items]


def products(facts: Facts) -> list[str]:
    """Explain each product to add in the portal and what it is used for."""
    scopes = set(facts.tiktok_scopes)
    out = [
        "### TikTok: Login Kit",
        "",
        (
            f"Lets a creator connect their TikTok account to {facts.name}. The browser goes to TikTok's consent "
            f"page (with state and PKCE), comes back to the redirect URI, and {facts.name} exchanges the code for "
        )
        + (
            "tokens kept in the operator's own database."
            if facts.storage.kind == "database"
            else "tokens kept in the operator's own token file."
        ),
        "",
    ]
    out += ["Redirect URI(s):", "", *_bullets(f"`{u}`" for u in facts.redirect_uris), ""]
    if scopes & {"video.publish", "video.upload"}:
        kinds = [
            k
            for k, s in (
                ("Direct Post (post to the profile)", "video.publish"),
                ("upload to the creator's inbox as a draft", "video.upload"),
            )
            if s in scopes
        ]
        out += [
            "### TikTok: Content Posting API",
            "",
            f"Publishes the videos the creator chose: {' and '.join(kinds)}."
            + (" Turn on **Direct Post** in the product's settings." if "video.publish" in scopes else ""),
            "",
        ]
    if "video.list" in scopes or {"user.info.profile", "user.info.stats"} & scopes:
        out += ["### TikTok: Display API", "", "Reads the profile details and videos named in the scopes below.", ""]
    if facts.platform("youtube"):
        out += [
            "### Google: YouTube Data API v3 (Google Cloud console, OAuth consent screen)",
            "",
            "Uploads to the creator's channel. On the consent screen give the homepage and privacy policy "
            "below (same verified domain) and the YouTube scopes listed under Scopes. The generated policy "
            "states the YouTube API Services use and the Limited Use commitment Google looks for.",
            "",
        ]
    if facts.platform("meta"):
        out += [
            "### Meta: Facebook Login and Instagram / Pages publishing (App Dashboard)",
            "",
            "Publishes to the creator's Page or Instagram account. In Settings > Basic paste the privacy "
            f"and terms URLs and the data-deletion callback `{facts.service_url}{META_DELETION_PATH}`.",
            "",
        ]
    return out


def scopes_table(facts: Facts) -> list[str]:
    """Return one table row per requested scope: why, and where the user sees it."""
    out = ["| Platform | Scope | Why the app needs it | Where the user sees it |", "| --- | --- | --- | --- |"]
    for plat in facts.platforms:
        for s in plat.scopes:
            where = WHERE.get(s.name, f"the {plat.name} publishing screen of {facts.name}")
            out.append(f"| {plat.name} | `{s.name}` | {cell(s.why)} | {where} |")
    return out


def urls(facts: Facts, config: dict) -> list[str]:
    """Return the URLs to paste into the TikTok developer portal."""
    p = pages(facts, config)
    rows = [
        ("Website URL", p["landing"]),
        ("Terms of Service URL", p["terms"]),
        ("Privacy Policy URL", p["privacy"]),
        *(("Redirect URI", u) for u in facts.redirect_uris),
        # TikTok cannot reach a service on the operator's own computer: nothing to register there.
        (
            "Webhook callback URL",
            "(leave empty: a local service cannot receive webhooks)" if local(facts) else facts.webhook_url,
        ),
        ("Data-deletion page (for your records)", p["deletion"]),
    ]
    out = ["| Portal field | Paste |", "| --- | --- |", *(f"| {k} | `{v}` |" for k, v in rows)]
    if facts.verification:
        out += ["", "URL properties (domain or URL-prefix verification): the site serves these files, byte-exact:", ""]
        for v in facts.verification:
            at = f"{facts.site_url}/{v.prefix + '/' if v.prefix else ''}{v.filename}"
            out.append(f"- `{at}` containing `{v.content}`")
    return out


def app_face(facts: Facts, root: Path | None) -> list[str]:
    """Return the portal's app icon and category, and who the app is for, as the facts give them."""
    product = facts.product
    size = ""
    if product.icon and root is not None and (root / product.icon).is_file():
        info = image_info((root / product.icon).read_bytes())
        size = f" ({info.kind.upper()}, {info.width}×{info.height} px)" if info else " (not a PNG or JPEG)"
    where = f"{root.name}/" if root else ""
    icon = f"`{where}{product.icon}`{size}" if product.icon else "**missing**: add product.icon"
    out = [
        f"- App icon: {icon}; the portal takes a square PNG or JPEG of at least 512 px",
        f"- Category: {product.category or '**missing**: add product.category'} (pick the portal's nearest)",
    ]
    if product.audience:
        out.append(f"- Who it is for: {product.audience}")
    if getattr(facts, "users", "public") == "owner" and "video.publish" in facts.tiktok_scopes:
        out += [
            "",
            '> **Refused as personal use.** TikTok refuses Direct Post apps "for private or personal use"; '
            "these facts say only the operator connects. Open the app to other creators, or use inbox upload.",
        ]
    return out
