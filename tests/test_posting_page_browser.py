"""The posting page in headless Chromium against the live service and the sandbox: sign in, review, post, follow."""

from __future__ import annotations

import os
import re
import shutil

import pytest

from callback.data.queue import PostQueue
from test_posting_page import BC_POLICY, BRANDED_PRIVATE, MUSIC, queue_video

pytestmark = pytest.mark.browser
NEED_BRAND = "You need to indicate if your content promotes yourself, a third party, or both."


@pytest.fixture
def shots(tmp_path):
    """A folder for screenshots, copied to GREENLIGHT_SCREENSHOTS when it is set (to have a look)."""
    folder = tmp_path / "shots"
    folder.mkdir()
    yield folder
    if os.environ.get("GREENLIGHT_SCREENSHOTS"):
        shutil.copytree(folder, os.environ["GREENLIGHT_SCREENSHOTS"], dirs_exist_ok=True)


def new_page(browser, **options):
    context = browser.new_context(viewport={"width": 1000, "height": 900}, **options)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    return page


@pytest.fixture
def page(browser):
    p = new_page(browser)
    yield p
    p.context.close()


@pytest.fixture
def creator(sandbox):
    user = sandbox.users()[0]
    sandbox.state.users[user.open_id].private_account = True  # an unaudited app posts only to private accounts
    return user


def sign_in(page, live_service, user) -> None:
    """Sign in for posting through the sandbox's consent page, as a creator would."""
    page.goto(live_service.url + "/post")
    page.get_by_role("link", name="Sign in with TikTok").click()
    page.wait_for_url(re.compile(re.escape(live_service.sandbox.url) + "/v2/auth/authorize/"))
    page.get_by_label(re.compile(user.display_name)).check()
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(live_service.url + "/post")


def csp_refusals(page) -> list[str]:
    return [p for p in page.problems if "Content Security Policy" in p]


def test_sign_in_queue_review_post_and_see_it_published(page, live_service, sandbox, creator, shots):
    sandbox.state.posting.configure(steps=1)
    sign_in(page, live_service, creator)
    assert "Nothing is waiting for you to post" in page.content()
    item = queue_video(live_service.data_dir, creator.open_id, title="First light over the bay")
    page.reload()
    p = f"#p{item['id']}"
    assert page.locator("#creator-nickname").inner_text() == "Sandbox Creator"
    assert page.locator("#unaudited").is_visible()  # the sandbox app is unaudited: only private posts
    button = page.get_by_role("button", name="Post", exact=True)
    assert button.is_disabled() and page.locator(f"{p}-why").inner_text() == "Choose who can see this video to post it."
    assert page.locator("video").evaluate("v => new URL(v.src).origin") == live_service.url
    page.screenshot(path=str(shots / "post-1-review.png"), full_page=True)

    page.get_by_label("Title").fill("First light over the bay #sunrise")
    page.get_by_label("Only me").check()
    assert button.is_enabled()
    button.click()
    page.wait_for_url(f"{live_service.url}/post/{item['id']}")
    page.screenshot(path=str(shots / "post-2-processing.png"), full_page=True)
    page.locator("[data-heading]", has_text="Published").wait_for(timeout=30000)  # the script follows the status
    page.screenshot(path=str(shots / "post-3-published.png"), full_page=True)

    done = PostQueue(live_service.data_dir).get(item["id"])
    assert done["status"] == "published" and done["title"] == "First light over the bay #sunrise"
    assert PostQueue(live_service.data_dir).media(item["id"]) is None  # the video is not kept once posted
    (pub,) = sandbox.state.posting.publishes.values()
    assert pub.status == "PUBLISH_COMPLETE" and pub.post_info["privacy_level"] == "SELF_ONLY"
    assert not csp_refusals(page), page.problems


def test_every_choice_starts_empty_and_the_rules_hold_while_choosing(page, live_service, sandbox, creator, shots):
    sandbox.client.audited = True
    sandbox.state.users[creator.open_id].comment_disabled = True
    sign_in(page, live_service, creator)
    item = queue_video(live_service.data_dir, creator.open_id)
    page.reload()
    p = f"#p{item['id']}"
    post = page.get_by_role("button", name="Post", exact=True)
    audiences = page.get_by_role("group", name="Who can see this video").get_by_role("radio")
    assert audiences.count() == 4 and not any(audiences.nth(i).is_checked() for i in range(4))
    for name in ("Comment", "Duet", "Stitch", "Disclose video content"):
        assert not page.get_by_label(name, exact=True).is_checked(), name
    comment = page.get_by_label("Comment", exact=True)
    assert comment.is_disabled() and not page.get_by_label("Duet", exact=True).is_disabled()
    grey = page.locator(f"label[for='p{item['id']}-allow_comment']").evaluate("l => getComputedStyle(l).color")
    assert grey == "rgb(138, 141, 150)"  # greyed out
    assert not page.get_by_label("Your brand").is_visible() and post.is_disabled()
    assert not page.locator(f"{p}-private-why").is_visible() and not page.locator(f"{p}-label").is_visible()
    page.screenshot(path=str(shots / "rules-1-defaults.png"), full_page=True)

    page.get_by_label("Only me").check()
    assert post.is_enabled()
    page.get_by_label("Disclose video content").check()  # on: a brand choice is now required
    assert page.get_by_label("Your brand").is_visible() and post.is_disabled()
    assert page.locator(f"{p}-why").inner_text() == NEED_BRAND == page.locator(f"{p}-label").inner_text()

    page.get_by_label("Your brand").check()
    assert page.locator(f"{p}-label").inner_text() == 'Your video will be labeled as "Promotional content".'
    assert post.is_enabled() and page.get_by_label("Only me").is_enabled()

    page.get_by_label("Branded content").check()  # branded content cannot be private
    only_me = page.get_by_label("Only me")
    assert only_me.is_disabled() and not only_me.is_checked() and post.is_disabled()
    assert only_me.get_attribute("title") == BRANDED_PRIVATE
    assert page.locator(f"label[for='{only_me.get_attribute('id')}']").get_attribute("title") == BRANDED_PRIVATE
    assert page.locator(f"{p}-private-why").inner_text() == BRANDED_PRIVATE
    assert page.locator(f"{p}-label").inner_text() == 'Your video will be labeled as "Paid partnership".'
    consent = page.locator(f"{p}-consent-branded")
    assert (
        consent.inner_text()
        == ("By posting, you agree to TikTok's Branded Content Policy and Music Usage Confirmation.")
        and not page.locator(f"{p}-consent").is_visible()
    )
    assert consent.get_by_role("link", name="Branded Content Policy").get_attribute("href") == BC_POLICY
    assert consent.get_by_role("link", name="Music Usage Confirmation").get_attribute("href") == MUSIC
    page.get_by_text("Only me").hover()
    page.screenshot(path=str(shots / "rules-2-branded.png"), full_page=True)

    page.get_by_label("Everyone").check()
    assert post.is_enabled()
    page.get_by_label("Branded content").uncheck()
    page.get_by_label("Disclose video content").uncheck()
    assert page.get_by_label("Only me").is_enabled() and page.get_by_label("Only me").get_attribute("title") is None
    assert page.locator(f"{p}-consent").inner_text() == "By posting, you agree to TikTok's Music Usage Confirmation."
    assert not csp_refusals(page), page.problems


def test_a_video_too_long_for_the_creator_cannot_be_posted(page, live_service, sandbox, creator, shots):
    sandbox.state.users[creator.open_id].max_video_post_duration_sec = 3
    sign_in(page, live_service, creator)
    item = queue_video(live_service.data_dir, creator.open_id, seconds=5)
    page.reload()
    page.get_by_label("Only me").check()
    assert page.get_by_role("button", name="Post", exact=True).is_disabled()
    reason = page.locator(f"#p{item['id']}-too-long").inner_text()
    assert "TikTok lets Sandbox Creator post videos of at most 0:03" in reason
    page.screenshot(path=str(shots / "too-long.png"), full_page=True)


def test_a_creator_who_cannot_post_sees_why(page, live_service, sandbox, creator, shots):
    sign_in(page, live_service, creator)
    queue_video(live_service.data_dir, creator.open_id)
    sandbox.state.users[creator.open_id].can_post = False
    page.reload()
    alert = page.get_by_role("alert")
    assert "Posting is stopped for now." in alert.inner_text() and "today's posting limit" in alert.inner_text()
    assert page.get_by_role("button", name="Post", exact=True).count() == 0
    page.screenshot(path=str(shots / "cannot-post.png"), full_page=True)


def test_without_javascript_the_server_holds_every_rule(browser, live_service, sandbox, creator, shots):
    sandbox.client.audited = True
    sandbox.state.posting.configure(steps=1)
    page = new_page(browser, java_script_enabled=False)
    try:
        sign_in(page, live_service, creator)
        item = queue_video(live_service.data_dir, creator.open_id)
        page.reload()
        page.get_by_label("Only me").check()
        page.get_by_label("Disclose video content").check()
        page.get_by_label("Branded content").check()
        page.get_by_role("button", name="Post", exact=True).click()
        assert BRANDED_PRIVATE in page.get_by_role("alert").inner_text()
        assert page.get_by_label("Only me").is_disabled()
        assert page.locator(f"#p{item['id']}-consent-branded").is_visible()
        page.screenshot(path=str(shots / "nojs-1-refused.png"), full_page=True)
        page.get_by_label("Followers", exact=True).check()
        page.get_by_role("button", name="Post", exact=True).click()
        page.wait_for_url(f"{live_service.url}/post/{item['id']}")
        page.get_by_text("Published", exact=True).wait_for(timeout=30000)  # the page reloads itself
        page.screenshot(path=str(shots / "nojs-2-published.png"), full_page=True)
        settings = PostQueue(live_service.data_dir).get(item["id"])["settings"]
        assert settings["privacy_level"] == "FOLLOWER_OF_CREATOR" and settings["brand_content_toggle"] is True
    finally:
        page.context.close()
