"""`greenlight demo`: the real built site, the real service and the sandbox, driven like a newcomer would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from callback.cli import cli
from callback.cli.demo_setup import SAMPLE_TITLE, start_demo
from callback.data.accounts import pick
from callback.data.queue import PostQueue
from callback.data.tokens import TokenStore
from callback.platform.media import sample_mp4

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    running = start_demo(ROOT / "mkdocs.yml", tmp_path_factory.mktemp("demo") / "instance-demo", 0, 0, 0)
    yield running
    running.stop()


def greenlight_token(demo) -> subprocess.CompletedProcess:
    """Run the command the demo prints, as a separate process (environment from demo.env)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GREENLIGHT_", "TIKTOK_"))}
    for line in (demo.data_dir / "demo.env").read_text().splitlines():
        key, _, value = line.partition("=")
        env[key] = value
    return subprocess.run(
        [str(BIN / "greenlight"), "token"], env=env, capture_output=True, text=True, timeout=60, cwd=demo.data_dir
    )


def test_check_only_starts_everything_and_stops(tmp_path):
    r = CliRunner().invoke(
        cli,
        [
            "--facts",
            str(ROOT / "mkdocs.yml"),
            "demo",
            "--data-dir",
            str(tmp_path / "d"),
            "--site-port",
            "0",
            "--service-port",
            "0",
            "--sandbox-port",
            "0",
            "--check-only",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "all answered" in r.output
    assert (tmp_path / "d" / "site" / "index.html").exists()
    assert (tmp_path / "d" / ".gitignore").read_text().strip().endswith("*")  # demo tokens never reach git


def test_demo_points_the_site_at_the_local_service(demo):
    html = requests.get(demo.site.url + "/", timeout=5).text
    assert f'href="{demo.service.url}/connect/tiktok"' in html
    for page in ("privacy/", "terms/", "data-deletion/"):
        assert requests.get(f"{demo.site.url}/{page}", timeout=5).status_code == 200


def test_instructions_name_every_step(demo):
    from callback.cli.demo import instructions

    text = instructions(demo)
    assert demo.site.url in text and "greenlight token" in text and str(demo.data_dir) in text
    assert f"{demo.service.url}/post" in text and "Post your first video" in text and "Published" in text
    assert f"greenlight post VIDEO.mp4 --account={demo.sample['open_id']}" in text
    assert "TIKTOK_CLIENT_SECRET=demo-client-secret" in demo.token_command()
    # The printed command works as pasted, even where the venv is not on PATH.
    import subprocess

    run = subprocess.run(
        ["sh", "-c", demo.token_command()], env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=60
    )
    assert "no TikTok account is connected" in run.stderr, run.stderr


def test_connect_then_token_without_a_browser(demo):
    s = requests.Session()
    r = s.get(demo.service.url + "/connect/tiktok", allow_redirects=False, timeout=5)
    assert r.headers["Location"].startswith(demo.sandbox.url)
    consent = s.get(r.headers["Location"], timeout=5)
    fields = {k: v for k, v in re.findall(r'name="([a-z_]+)" value="([^"]*)"', consent.text) if k != "open_id"}
    back = s.post(
        demo.sandbox.url + "/v2/auth/authorize/",
        data={**fields, "decision": "authorize"},
        allow_redirects=False,
        timeout=5,
    )
    final = s.get(back.headers["Location"], timeout=10)
    assert final.status_code == 200 and "Connected as Sandbox Creator" in final.text
    out = greenlight_token(demo)
    assert out.returncode == 0, out.stderr
    store = TokenStore(demo.data_dir)
    token = out.stdout.strip()
    assert token == next(a for a in store.list() if a["display_name"] == "Sandbox Creator")["access_token"]
    assert demo.sandbox.app.extensions["sandbox"].check_access(token)


def test_the_printed_post_command_queues_a_video_the_creator_posts(demo, tmp_path):
    s = requests.Session()
    r = s.get(demo.service.url + "/connect/tiktok", allow_redirects=False, timeout=5)
    fields = dict(urlsplit_query(r.headers["Location"]), decision="authorize", open_id=demo.sample["open_id"])
    back = s.post(demo.sandbox.url + "/v2/auth/authorize/", data=fields, allow_redirects=False, timeout=5)
    assert "Connected as Sandbox Creator" in s.get(back.headers["Location"], timeout=10).text
    video = tmp_path / "next.mp4"
    sample_mp4(video, seconds=4)
    from callback.cli.demo import instructions

    command = next(line.strip() for line in instructions(demo).splitlines() if " post VIDEO.mp4 " in line)
    run = subprocess.run(
        ["sh", "-c", command.replace("VIDEO.mp4", str(video))],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0 and f"{demo.service.url}/post" in run.stdout, run.stderr
    item = next(
        i for i in PostQueue(demo.data_dir).for_account(demo.sample["open_id"]) if i["title"] == "My next video"
    )
    page = s.get(demo.service.url + "/post", timeout=10).text
    assert SAMPLE_TITLE in page and "My next video" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = s.post(
        f"{demo.service.url}/post/{item['id']}",
        data={"csrf_token": token, "title": "My next video", "privacy_level": "SELF_ONLY"},
        timeout=10,
    )
    assert r.status_code == 200 and r.url == f"{demo.service.url}/post/{item['id']}"  # its status page
    deadline = time.monotonic() + 40
    while (status := s.get(f"{demo.service.url}/post/{item['id']}/status", timeout=5).json())["final"] is False:
        assert time.monotonic() < deadline, status
        time.sleep(0.5)
    assert status["status"] == "published", status
    publish_id = PostQueue(demo.data_dir).get(item["id"])["publish_id"]
    publishes = requests.get(demo.sandbox.url + "/_sandbox/state", timeout=5).json()["posting"]["publishes"]
    assert [p["status"] for p in publishes if p["publish_id"] == publish_id] == ["PUBLISH_COMPLETE"]


@pytest.mark.browser
def test_browser_clicks_through_the_demo(demo, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    try:
        page.goto(demo.site.url + "/")
        page.screenshot(path=str(tmp_path / "1-landing.png"), full_page=True)
        page.get_by_role("link", name=re.compile("Connect your TikTok account")).first.click()
        page.wait_for_url(re.compile(re.escape(demo.sandbox.url) + "/v2/auth/authorize/"))
        assert page.get_by_role("heading", name=re.compile("would like to access your account")).is_visible()
        page.screenshot(path=str(tmp_path / "2-consent.png"), full_page=True)
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url(demo.service.url + "/connect/tiktok/connected")
        heading = page.get_by_role("heading", level=1)
        assert heading.inner_text().strip() == "Connected as Sandbox Creator"
        assert page.locator(".account img").evaluate("img => img.naturalWidth") > 0  # the avatar loaded
        page.screenshot(path=str(tmp_path / "3-connected.png"), full_page=True)
        # All the way: the sample video the demo queued, reviewed and posted on the posting page.
        page.get_by_role("link", name="Post your first video").click()
        page.wait_for_url(demo.service.url + "/post")
        sample = page.locator("section", has=page.get_by_role("heading", name=SAMPLE_TITLE))
        assert page.locator("#creator-nickname").inner_text() == "Sandbox Creator"
        sample.get_by_label("Only me").check()
        page.screenshot(path=str(tmp_path / "4-posting.png"), full_page=True)
        sample.get_by_role("button", name="Post", exact=True).click()
        page.wait_for_url(f"{demo.service.url}/post/{demo.sample['id']}")
        page.locator("[data-heading]", has_text="Published").wait_for(timeout=40000)
        page.screenshot(path=str(tmp_path / "5-published.png"), full_page=True)
    finally:
        page.close()
    shots = os.environ.get("GREENLIGHT_SCREENSHOTS")  # set it to keep the screenshots for a look
    if shots:
        import shutil

        shutil.copytree(tmp_path, shots, dirs_exist_ok=True)
    out = greenlight_token(demo)
    assert out.returncode == 0 and out.stdout.strip().startswith("act.")
    last_used = pick(TokenStore(demo.data_dir), "Sandbox Creator")["last_used_at"]
    assert time.time() - last_used < 60


@pytest.mark.browser
def test_cancel_in_the_browser(demo, browser):
    page = browser.new_page()
    try:
        page.goto(demo.service.url + "/connect/tiktok")
        page.get_by_role("button", name="Cancel").click()
        page.wait_for_url(re.compile(re.escape(demo.service.url) + "/callback/tiktok"))
        assert "You cancelled the connection" in page.content()
    finally:
        page.close()


@pytest.mark.slow
def _interrupt_thread(pid: int, signum: int) -> None:
    """Send a signal to one of the process's threads other than its main one (a server thread)."""
    import ctypes

    tid = next(int(t) for t in sorted(os.listdir(f"/proc/{pid}/task")) if int(t) != pid)
    assert ctypes.CDLL(None, use_errno=True).tgkill(pid, tid, signum) == 0


# Ctrl-C reaches a process, and the kernel hands it to any thread not blocking it: the demo must stop
# even when the signal lands on one of its server threads rather than the main one.
@pytest.mark.parametrize("target", ["process", "server thread"])
def test_demo_runs_until_interrupted_and_moves_off_a_taken_port(tmp_path, target):
    import signal
    import socket

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GREENLIGHT_", "TIKTOK_"))}
    proc = subprocess.Popen(
        [
            str(BIN / "greenlight"),
            "--facts",
            str(ROOT / "mkdocs.yml"),
            "demo",
            "--data-dir",
            str(tmp_path / "d"),
            "--site-port",
            str(port),
            "--service-port",
            "0",
            "--sandbox-port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        lines = []
        while not any("Press Ctrl-C" in line for line in lines):
            line = proc.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        text = "".join(lines)
        site = re.search(r"Open the site:\s+(http://127\.0\.0\.1:(\d+))/", text)
        assert site and int(site.group(2)) != port
        assert requests.get(site.group(1) + "/", timeout=5).status_code == 200
        if target == "process":
            proc.send_signal(signal.SIGINT)
        else:
            _interrupt_thread(proc.pid, signal.SIGINT)
        rest, _ = proc.communicate(timeout=20)
    finally:
        taken.close()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "Stopping" in rest
    with pytest.raises(requests.ConnectionError):
        requests.get(site.group(1) + "/", timeout=2)


def test_disconnecting_in_the_sandbox_deletes_the_account_through_the_webhook(demo):
    state = demo.sandbox.app.extensions["sandbox"]
    second = list(state.users.values())[1]
    s = requests.Session()
    r = s.get(demo.service.url + "/connect/tiktok", allow_redirects=False, timeout=5)
    fields = dict(urlsplit_query(r.headers["Location"]), decision="authorize", open_id=second.open_id)
    back = s.post(demo.sandbox.url + "/v2/auth/authorize/", data=fields, allow_redirects=False, timeout=5)
    assert "Connected as Second Creator" in s.get(back.headers["Location"], timeout=10).text
    assert TokenStore(demo.data_dir).get(second.open_id)
    # The user removes the app on the platform: it revokes, then sends a signed authorization.removed.
    r = requests.post(
        demo.sandbox.url + "/_sandbox/disconnect",
        timeout=10,
        json={"open_id": second.open_id, "client_key": state.clients[next(iter(state.clients))].key},
    )
    assert r.json()["status"] == 200
    assert TokenStore(demo.data_dir).get(second.open_id) is None


def urlsplit_query(url: str) -> dict:
    from urllib.parse import parse_qsl, urlsplit

    return dict(parse_qsl(urlsplit(url).query))
