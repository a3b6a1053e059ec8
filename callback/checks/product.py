"""The product's face as the checks judge it: what only the operator can write, and who the app is for."""

from __future__ import annotations

import re

from callback.checks.model import Finding, Target, fail, warn
from callback.checks.site import REBUILD
from callback.facts.product import words

MIN_DESCRIPTION_WORDS = 40
MIN_OWN_WORDS = 120
PERSONAL_USE = (
    'TikTok\'s app review refuses Direct Post apps that are "for private or personal use": a tool that '
    "posts only to its operator's own accounts is turned down, after weeks in review"
)


def product_face(t: Target) -> list[Finding]:
    """Judge what only the operator can write: the description, who the app is for, its screens."""
    product, out = t.facts.product, []
    described = len(re.findall(r"\w+", t.facts.description))
    if described < MIN_DESCRIPTION_WORDS:
        out.append(
            fail(
                f"the description is thin ({described} words): reviewers refuse a site that does not say "
                "what the app does and how",
                f"write at least {MIN_DESCRIPTION_WORDS} words in "
                f"{t.fact('description')}: what the app does, for whom, and what it never does",
            )
        )
    own = words(product, t.facts.description)
    if own < MIN_OWN_WORDS:
        out.append(
            fail(
                f"the site says only {own} words of its own about the app (description, tagline, audience, "
                "features, captions); the rest is the same for every app",
                f"add product.features and product.audience in {t.fact('product')} (at least "
                f"{MIN_OWN_WORDS} words in all), then {REBUILD}",
            )
        )
    if getattr(t.facts, "users", "public") == "owner" and "video.publish" in t.facts.tiktok_scopes:
        out.append(
            fail(
                f"only the operator connects (users: owner) yet the app asks for video.publish. {PERSONAL_USE}",
                f"open the app to other creators (set {t.fact('users')} to public and say who they are in "
                "product.audience), or drop video.publish and send videos to the inbox (video.upload)",
            )
        )
    elif not product.audience:
        out.append(
            warn(
                "the site does not say who the app is for; apps for private or personal use are refused",
                f"say who uses it in {t.fact('product.audience')}, then {REBUILD}",
            )
        )
    if not product.screenshots and not product.recording:
        out.append(
            warn(
                "no screenshots or screen recording: reviewers judge a fully developed product by seeing it",
                f"add images of the app's screens as {t.fact('product.screenshots')}, then {REBUILD}",
            )
        )
    for shot in product.screenshots:
        if t.site.get(shot.image).status != 200:
            out.append(
                fail(
                    f"the screenshot {shot.image} is not on the site",
                    f"put it at docs/{shot.image} (named in {t.fact('product.screenshots')}), then {REBUILD}",
                )
            )
    return out
