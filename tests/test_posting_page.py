"""The posting page under Flask's client, against the sandbox: each Direct Post UX rule, shown and enforced."""

from __future__ import annotations

import re
import time
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from callback import create_app
from callback.data.queue import PostQueue
from callback.platform.media import sample_mp4

BRANDED_PRIVATE = "Branded content visibility cannot be set to private."
MUSIC = "https://www.tiktok.com/legal/page/global/music-usage-confirmation/en"
BC_POLICY = "https://www.tiktok.com/legal/page/global/bc-policy/en"


def queue_video(data_dir, open_id: str, title: str = "Morning light", seconds: float = 5.0, **kw) -> dict:
    """Queue a small but valid MP4 for an account, as `greenlight post` does."""
    path = Path(data_dir).parent / f"clip-{time.monotonic_ns()}.mp4"
    sample_mp4(path, seconds=seconds)
    return PostQueue(data_dir).add(open_id=open_id, title=title, path=path, duration=seconds, **kw)


def creator(sandbox, user, **settings):
    """Change a sandbox creator's posting settings (what creator_info will say)."""
    for key, value in settings.items():
        setattr(sandbox.state.users[user.open_id], key, value)


def sign_in(client, sandbox, user):
    """Sign in for posting as a browser would; return the page the service lands on."""
    r = client.get("/connect/tiktok?purpose=post")
    assert r.status_code == 302, r.text
    back = urlsplit(sandbox.approve(r.headers["Location"], open_id=user.open_id))
    r = client.get(f"{back.path}?{back.query}")
    assert r.status_code == 303 and r.headers["Location"].endswith("/post"), r.text
    return client.get("/post")


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def words(html: str) -> str:
    """Return a page's text as a reader sees it: no tags, entities decoded, spaces collapsed."""
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))
    return re.sub(r" ([.,:;])", r"\1", text)


def tag(html: str, element_id: str) -> str:
    """Return the opening tag of the element with this id."""
    return re.search(rf'<[a-z]+[^>]*\bid="{re.escape(element_id)}"[^>]*>', html).group(0)


@pytest.fixture
def svc(sandbox_config):
    return create_app(sandbox_config)


@pytest.fixture
def data_dir(svc):
    return svc.config["DATA_DIR"]


@pytest.fixture
def user(sandbox):
    u = sandbox.users()[0]
    creator(sandbox, u, private_account=True)  # an unaudited app posts only to private accounts
    return u


@pytest.fixture
def client(svc):
    return svc.test_client()


@pytest.fixture
def signed_in(client, sandbox, user):
    sign_in(client, sandbox, user)
    return client


def post(client, item, **fields):
    """Press Post on an item's form with these fields."""
    page = client.get("/post").get_data(as_text=True)
    return client.post(f"/post/{item['id']}", data={"csrf_token": csrf(page), "title": item["title"], **fields})


# -- signing in, and seeing only one's own videos --


def test_without_a_sign_in_the_page_offers_one_and_shows_no_video(client, data_dir, user):
    queue_video(data_dir, user.open_id, title="Secret draft")
    html = client.get("/post").get_data(as_text=True)
    assert 'href="/connect/tiktok?purpose=post"' in html and "Sign in with TikTok" in html
    assert "Secret draft" not in html


def test_signing_in_for_posting_shows_only_ones_own_queue(client, sandbox, user, data_dir, svc):
    other = sandbox.users()[1]
    mine = queue_video(data_dir, user.open_id, title="Mine to post")
    theirs = queue_video(data_dir, other.open_id, title="Someone else's")
    html = sign_in(client, sandbox, user).get_data(as_text=True)
    assert "Mine to post" in html and "Someone else's" not in html
    assert svc.extensions["greenlight"]["store"].get(user.open_id)  # the sign-in connected the account
    for path in (f"/post/{theirs['id']}", f"/post/{theirs['id']}/video", f"/post/{theirs['id']}/status"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/post/{mine['id']}/status").get_json()["status"] == "queued"


def test_signing_out_forgets_the_creator(signed_in, data_dir, user):
    item = queue_video(data_dir, user.open_id)
    html = signed_in.get("/post").get_data(as_text=True)
    r = signed_in.post("/post/sign-out", data={"csrf_token": csrf(html)})
    assert r.status_code == 303
    assert "Sign in with TikTok" in signed_in.get("/post").get_data(as_text=True)
    assert signed_in.get(f"/post/{item['id']}/video").status_code == 404


# -- point 1: creator_info fresh, the nickname, cannot post now, too long --


def test_creator_info_is_asked_on_every_render_and_never_kept(signed_in, sandbox, user, data_dir):
    queue_video(data_dir, user.open_id)
    before = sandbox.calls("creator_info")
    for _ in range(2):
        html = signed_in.get("/post").get_data(as_text=True)
        assert re.search(r'id="creator-nickname">Sandbox Creator<', html)
    assert sandbox.calls("creator_info") == before + 2
    kept = "".join(p.read_text(errors="replace") for p in Path(data_dir).rglob("*") if p.is_file())
    assert "max_video_post_duration_sec" not in kept and "privacy_level_options" not in kept


def test_a_creator_who_cannot_post_now_is_stopped_with_a_message(signed_in, sandbox, user, data_dir):
    item = queue_video(data_dir, user.open_id)
    creator(sandbox, user, can_post=False)
    html = signed_in.get("/post").get_data(as_text=True)
    assert "Posting is stopped for now. TikTok says this account cannot post more right now" in words(html)
    assert "Signed in as Sandbox Creator" in words(html)  # who is signed in, even without creator_info
    assert "data-post-form" not in html  # no form to press
    r = post(signed_in, item, privacy_level="SELF_ONLY")
    assert r.status_code == 403 and "reached today's posting limit" in words(r.get_data(as_text=True))
    assert PostQueue(data_dir).get(item["id"])["status"] == "queued" and sandbox.calls("video_init") == 0


def test_a_video_longer_than_the_creator_may_post_is_refused_before_upload(signed_in, sandbox, user, data_dir):
    item = queue_video(data_dir, user.open_id, seconds=75)
    creator(sandbox, user, max_video_post_duration_sec=60)
    html = signed_in.get(f"/post/{item['id']}").get_data(as_text=True)
    button = tag(html, f"p{item['id']}-publish")
    assert " disabled" in button and "data-blocked" in button
    assert "This video is 1:15 long, and TikTok lets Sandbox Creator post videos of at most 1:00." in html
    r = post(signed_in, item, privacy_level="SELF_ONLY")
    assert r.status_code == 400 and "at most 1:00" in r.get_data(as_text=True)
    assert PostQueue(data_dir).get(item["id"])["status"] == "queued" and sandbox.calls("video_init") == 0


# -- point 2: title and privacy, no default --


def test_title_is_editable_and_privacy_has_no_default(signed_in, sandbox, user, data_dir):
    sandbox.client.audited = True
    item = queue_video(data_dir, user.open_id, title="Queued title")
    html = signed_in.get("/post").get_data(as_text=True)
    p = f"p{item['id']}"
    assert re.search(rf'<label for="{p}-title">Title</label>', html)
    assert re.search(rf'<textarea id="{p}-title" name="title"[^>]*>Queued title</textarea>', html)
    radios = re.findall(r'<input type="radio" name="privacy_level"[^>]*>', html)
    assert [re.search(r'value="([A-Z_]+)"', r).group(1) for r in radios] == [
        "PUBLIC_TO_EVERYONE",
        "MUTUAL_FOLLOW_FRIENDS",
        "FOLLOWER_OF_CREATOR",
        "SELF_ONLY",
    ]
    assert not [r for r in radios if "checked" in r]
    assert "<legend>Who can see this video</legend>" in html
    assert 'id="unaudited"' not in html  # an audited app offers every audience


def test_an_unaudited_app_offers_only_private_and_says_why(signed_in, user, data_dir):
    queue_video(data_dir, user.open_id)
    html = signed_in.get("/post").get_data(as_text=True)
    assert len(re.findall(r'name="privacy_level"', html)) == 1 and 'value="SELF_ONLY"' in html
    note = html.split('id="unaudited"')[1].split("</div>")[0]
    assert "only SELF_ONLY" in note and "private accounts" in note and "5 creators a day" in note


def test_posting_without_a_privacy_choice_is_refused(signed_in, sandbox, user, data_dir):
    item = queue_video(data_dir, user.open_id)
    r = post(signed_in, item)
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "Choose who can see this video." in html and 'role="alert"' in html
    assert PostQueue(data_dir).get(item["id"])["status"] == "queued" and sandbox.calls("video_init") == 0


def test_a_privacy_level_not_offered_is_refused(signed_in, sandbox, user, data_dir):
    item = queue_video(data_dir, user.open_id)
    r = post(signed_in, item, privacy_level="PUBLIC_TO_EVERYONE")  # unaudited: only SELF_ONLY is offered
    assert r.status_code == 400 and "Choose one of the privacy options" in r.get_data(as_text=True)


# -- point 3: interactions unchecked, greyed out when the creator turned them off --


def test_interactions_start_unchecked_and_disabled_ones_are_greyed_out(signed_in, sandbox, user, data_dir):
    creator(sandbox, user, comment_disabled=True, duet_disabled=False, stitch_disabled=True)
    item = queue_video(data_dir, user.open_id)
    html, p = signed_in.get("/post").get_data(as_text=True), f"p{item['id']}"
    comment, duet, stitch = (tag(html, f"{p}-allow_{k}") for k in ("comment", "duet", "stitch"))
    assert "checked" not in comment + duet + stitch
    assert " disabled" in comment and " disabled" in stitch and " disabled" not in duet
    assert "Comment is turned off in this account's TikTok settings." in words(html)
    assert re.search(rf'<label for="{p}-allow_duet">Duet</label>', html)


@pytest.mark.parametrize("field", ["allow_comment", "allow_stitch"])
def test_allowing_an_interaction_the_creator_turned_off_is_refused(signed_in, sandbox, user, data_dir, field):
    creator(sandbox, user, comment_disabled=True, stitch_disabled=True)
    item = queue_video(data_dir, user.open_id)
    r = post(signed_in, item, privacy_level="SELF_ONLY", **{field: "on"})
    assert r.status_code == 400 and "is turned off for this account in TikTok" in r.get_data(as_text=True)
    assert sandbox.calls("video_init") == 0


# -- point 4: commercial content disclosure --


def test_disclosure_is_off_by_default_with_both_labels_explained(signed_in, user, data_dir):
    item = queue_video(data_dir, user.open_id)
    html, p = signed_in.get("/post").get_data(as_text=True), f"p{item['id']}"
    for name in ("disclose", "brand_organic", "brand_content"):
        assert "checked" not in tag(html, f"{p}-{name}"), name
    assert re.search(rf'<label for="{p}-brand_organic">Your brand</label>', html)
    assert re.search(rf'<label for="{p}-brand_content">Branded content</label>', html)
    assert 'labeled as "Promotional content"' in words(html) and 'labeled as "Paid partnership"' in words(html)


def test_disclosure_without_a_brand_choice_is_refused(signed_in, sandbox, user, data_dir):
    item = queue_video(data_dir, user.open_id)
    r = post(signed_in, item, privacy_level="SELF_ONLY", disclose="on")
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "You need to indicate if your content promotes yourself, a third party, or both." in html
    r = post(signed_in, item, privacy_level="SELF_ONLY", brand_organic="on")  # a brand, but the disclosure off
    assert r.status_code == 400 and "Disclose video content" in r.get_data(as_text=True)
    assert sandbox.calls("video_init") == 0


def test_branded_content_cannot_be_private(signed_in, sandbox, user, data_dir):
    sandbox.client.audited = True
    item = queue_video(data_dir, user.open_id)
    r = post(signed_in, item, privacy_level="SELF_ONLY", disclose="on", brand_content="on")
    html, p = r.get_data(as_text=True), f"p{item['id']}"
    assert r.status_code == 400 and BRANDED_PRIVATE in html
    private = re.search(r'<input type="radio" name="privacy_level"[^>]*value="SELF_ONLY"[^>]*>', html).group(0)
    assert " disabled" in private and f'title="{BRANDED_PRIVATE}"' in private and "checked" not in private
    assert 'Your video will be labeled as "Paid partnership".' in html
    branded = tag(html, f"{p}-consent-branded")  # the Branded Content Policy joins the consent line
    assert "hidden" not in branded and " hidden" in tag(html, f"{p}-consent")
    assert sandbox.calls("video_init") == 0


# -- point 5: consent, preview, no branding, processing notice, status --


def test_consent_line_links_and_notices_come_before_the_button(signed_in, user, data_dir):
    item = queue_video(data_dir, user.open_id)
    html = signed_in.get("/post").get_data(as_text=True)
    text = words(html)
    assert "By posting, you agree to TikTok's Music Usage Confirmation." in text
    assert "By posting, you agree to TikTok's Branded Content Policy and Music Usage Confirmation." in text
    assert f'href="{MUSIC}"' in html and f'href="{BC_POLICY}"' in html
    assert "no watermark, logo or branding is added" in text and "can take a few minutes to process" in text
    assert html.index(MUSIC) < html.index(f'id="p{item["id"]}-publish"')


def test_the_preview_is_the_queued_file_served_to_its_owner(signed_in, client, user, data_dir, svc):
    item = queue_video(data_dir, user.open_id)
    html = signed_in.get("/post").get_data(as_text=True)
    assert f'<video controls preload="metadata" src="/post/{item["id"]}/video"' in html
    media = PostQueue(data_dir).media(item["id"]).read_bytes()
    r = signed_in.get(f"/post/{item['id']}/video")
    assert r.status_code == 200 and r.data == media and r.mimetype == "video/mp4"
    part = signed_in.get(f"/post/{item['id']}/video", headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.data == media[:10]
    assert "no-store" in r.headers["Cache-Control"]
    assert svc.test_client().get(f"/post/{item['id']}/video").status_code == 404  # another browser


def test_a_valid_post_is_published_and_its_status_shown(signed_in, sandbox, user, data_dir):
    sandbox.state.posting.configure(steps=0)
    item = queue_video(data_dir, user.open_id)
    r = post(signed_in, item, title="Edited title", privacy_level="SELF_ONLY", allow_duet="on")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/post/{item['id']}")
    deadline = time.monotonic() + 15
    while PostQueue(data_dir).get(item["id"])["status"] not in ("published", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
    done = PostQueue(data_dir).get(item["id"])
    assert done["status"] == "published", done
    assert done["settings"] == {
        "title": "Edited title",
        "privacy_level": "SELF_ONLY",
        "disable_comment": True,
        "disable_duet": False,
        "disable_stitch": True,
        "brand_content_toggle": False,
        "brand_organic_toggle": False,
        "is_aigc": False,
    }
    (pub,) = sandbox.state.posting.publishes.values()
    assert pub.post_info["title"] == "Edited title" and pub.status == "PUBLISH_COMPLETE"
    html = signed_in.get(f"/post/{item['id']}").get_data(as_text=True)
    assert "Published" in html and 'http-equiv="refresh"' not in html and "data-post-form" not in html
    assert signed_in.get(f"/post/{item['id']}/status").get_json()["final"] is True
    again = post(signed_in, item, privacy_level="SELF_ONLY")  # a second press posts nothing twice
    assert again.status_code == 303 and len(sandbox.state.posting.publishes) == 1


def test_posting_needs_the_forms_csrf_token(signed_in, sandbox, user, data_dir):
    item = queue_video(data_dir, user.open_id)
    r = signed_in.post(f"/post/{item['id']}", data={"privacy_level": "SELF_ONLY"})
    assert r.status_code == 400 and sandbox.calls("video_init") == 0


@pytest.mark.parametrize(
    "status, message",
    [
        ("processing", "TikTok is processing the video. This can take a few minutes."),
        ("uploading", "Sending the video to TikTok."),
    ],
)
def test_a_post_under_way_reloads_itself_without_javascript(signed_in, user, data_dir, status, message):
    item = queue_video(data_dir, user.open_id)
    PostQueue(data_dir).update(item["id"], status=status, message=message)
    html = signed_in.get(f"/post/{item['id']}").get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in html
    assert message in html and f'href="/post/{item["id"]}">check again</a>' in html
    assert signed_in.get(f"/post/{item['id']}/status").get_json() == {
        "status": status,
        "heading": {"processing": "TikTok is processing your video", "uploading": "Sending to TikTok"}[status],
        "text": message,
        "detail": "",
        "final": False,
        "working": True,
    }


def test_finished_posts_say_where_they_are(signed_in, user, data_dir):
    q = PostQueue(data_dir)
    inbox = queue_video(data_dir, user.open_id, title="To the inbox", inbox=True)
    failed = queue_video(data_dir, user.open_id, title="Did not make it")
    q.update(inbox["id"], status="inbox")
    q.update(
        failed["id"],
        status="failed",
        fail_reason="spam_risk_text",
        message="TikTok refused the title. Change the title and try again.",
    )
    html = signed_in.get("/post").get_data(as_text=True)
    assert "Open your TikTok inbox notification to finish posting." in html
    assert "TikTok refused the title. Change the title and try again." in html
    assert f'action="/post/{failed["id"]}"' in html  # a failed post can be tried again
    assert signed_in.get(f"/post/{inbox['id']}/status").get_json()["final"] is True


def test_an_inbox_draft_asks_only_for_the_press_and_lands_in_the_inbox(signed_in, sandbox, user, data_dir):
    sandbox.state.posting.configure(steps=0)
    item = queue_video(data_dir, user.open_id, title="For the inbox", inbox=True)
    html = signed_in.get(f"/post/{item['id']}").get_data(as_text=True)
    assert "Send to my TikTok inbox" in html and 'name="privacy_level"' not in html
    assert f'src="/post/{item["id"]}/video"' in html and "no watermark, logo or branding" in words(html)
    r = post(signed_in, item)  # no audience to choose: the creator picks it in the TikTok app
    assert r.status_code == 303
    deadline = time.monotonic() + 15
    while PostQueue(data_dir).get(item["id"])["status"] not in ("inbox", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert PostQueue(data_dir).get(item["id"])["status"] == "inbox"
    html = signed_in.get(f"/post/{item['id']}").get_data(as_text=True)
    assert "Open your TikTok inbox notification to finish posting." in html


def test_a_service_only_its_owner_connects_to_has_no_browser_sign_in(sandbox_config, facts_file):
    owner = create_app({**sandbox_config, "FACTS_FILE": str(facts_file(users="owner"))}).test_client()
    r = owner.get("/post")
    assert r.status_code == 200 and "lets only its owner connect" in words(r.get_data(as_text=True))
    assert "Set-Cookie" not in r.headers  # such a service sets no cookie at all
    assert owner.get("/connect/tiktok?purpose=post").status_code == 404
