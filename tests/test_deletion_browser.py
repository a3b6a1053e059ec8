"""The deletion form end to end in headless Chromium, against the service on a real loopback server."""

from __future__ import annotations

import re

import pytest
import requests

from callback.data.records import Records
from data_support import everything

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    yield page
    context.close()


def test_submit_get_a_code_and_follow_the_status(page, live_service):
    page.goto(live_service.url + "/deletion")
    assert page.get_by_role("group", name="Your TikTok account").is_visible()  # fieldset + legend
    page.get_by_label("TikTok username or open_id").fill("@anna.example")
    page.get_by_label("Email for our answer (optional)").fill("anna@example.org")
    page.get_by_role("button", name="Send deletion request").click()
    page.wait_for_url(re.compile(r"/deletion/[A-Z0-9-]{14}\?new=1$"))
    code = page.locator("#code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    assert page.get_by_role("status").inner_text().startswith("We received your request")
    assert page.locator("#status").inner_text() == "Received, waiting for review"

    page.get_by_role("link", name=f"{live_service.url}/deletion/{code}").click()  # the status URL it gave
    page.wait_for_url(f"{live_service.url}/deletion/{code}")
    assert "within 72 hours" in page.content()
    assert Records(live_service.data_dir).deletions.get(code)["username"] == "anna.example"
    # The page's own styles are allowed by the Content-Security-Policy (nothing was refused).
    assert not [p for p in page.problems if "Content Security Policy" in p], page.problems
    assert page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") != "none"


def test_errors_are_announced_and_linked_to_their_field(page, live_service):
    page.goto(live_service.url + "/deletion")
    page.get_by_label("TikTok username or open_id").fill("not a valid name!")
    page.get_by_role("button", name="Send deletion request").click()
    alert = page.get_by_role("alert")
    assert "does not look like" in alert.inner_text()
    field = page.get_by_label("TikTok username or open_id")
    assert field.get_attribute("aria-invalid") == "true"
    described = field.get_attribute("aria-describedby").split()
    assert "does not look like" in page.locator(f"#{described[-1]}").inner_text()
    assert Records(live_service.data_dir).deletions.all() == []


def test_csrf_is_enforced_on_a_real_post(live_service):
    url = live_service.url + "/deletion"
    no_session = requests.post(url, data={"account": "anna.example"}, timeout=10)
    assert no_session.status_code == 400 and "expired or was sent from another site" in no_session.text
    s = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(url, timeout=10).text).group(1)
    wrong = s.post(url, data={"account": "anna.example", "csrf_token": token[::-1]}, timeout=10)
    assert wrong.status_code == 400
    assert Records(live_service.data_dir).deletions.all() == []
    right = s.post(url, data={"account": "anna.example", "csrf_token": token}, timeout=10, allow_redirects=False)
    assert right.status_code == 303 and len(Records(live_service.data_dir).deletions.all()) == 1


def test_verify_with_tiktok_and_delete_now(page, live_service, sandbox):
    user = sandbox.users()[0]
    assert live_service.connect(open_id=user.open_id).status_code == 200  # the account is connected
    assert user.display_name in everything(live_service.data_dir)

    page.goto(live_service.url + "/deletion")
    page.get_by_label("TikTok username or open_id").fill(user.username)
    page.get_by_role("button", name="Send deletion request").click()
    page.wait_for_url(re.compile(r"/deletion/[A-Z0-9-]{14}\?new=1$"))
    code = page.locator("#code").inner_text()
    page.get_by_role("link", name="Verify with TikTok and delete now").click()
    page.wait_for_url(re.compile(re.escape(sandbox.url) + "/v2/auth/authorize/"))  # the platform's consent page
    page.get_by_label(re.compile(user.display_name)).check()
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{live_service.url}/deletion/{code}")
    assert page.locator("#status").inner_text() == "Completed"

    assert live_service.store().get(user.open_id) is None
    data = everything(live_service.data_dir)
    for identifier in (user.open_id, user.display_name, user.username, user.union_id):
        assert identifier not in data, identifier
