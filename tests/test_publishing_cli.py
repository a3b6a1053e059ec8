"""`greenlight post`, `greenlight posts` and queue_video(): queue for one account, then see how each post went."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from callback.cli import cli
from callback.data.accounts import AccountError
from callback.data.queue import PostQueue
from callback.data.tokens import TokenStore
from callback.publishing import queue_video
from publishing_support import video

ROOT = Path(__file__).resolve().parent.parent
POSTING_PAGE = "https://callback.clipwise.example/post"  # urls.service in the repository's facts, plus /post


def account(open_id: str, name: str, scope=("user.info.basic", "video.publish", "video.upload")) -> dict:
    return {
        "open_id": open_id,
        "display_name": name,
        "access_token": f"act.{open_id}",
        "refresh_token": "rft.x",
        "expires_at": 0,
        "refresh_expires_at": 0,
        "scope": list(scope),
    }


@pytest.fixture
def data(app_config):
    store = TokenStore(app_config["DATA_DIR"])
    store.put(account("-000anna", "Anna"))
    return app_config["DATA_DIR"], store, PostQueue(app_config["DATA_DIR"])


def invoke(*args: str):
    return CliRunner().invoke(cli, ["--facts", str(ROOT / "mkdocs.yml"), *args])


def test_post_queues_a_file_and_says_where_to_approve_it(data, tmp_path):
    data_dir, _, queue = data
    clip = video(tmp_path, seconds=7)
    result = invoke("post", str(clip), "--title", "My first clip #fyp", "--data-dir", data_dir)
    assert result.exit_code == 0, result.output
    (item,) = queue.all()
    assert (item["title"], item["open_id"], item["duration"], item["inbox"]) == (
        "My first clip #fyp",
        "-000anna",
        7.0,
        False,
    )
    assert item["id"] in result.output and POSTING_PAGE in result.output and "7 s" in result.output


def test_post_to_the_inbox_of_a_named_account(data, tmp_path):
    data_dir, store, queue = data
    store.put(account("-000bo", "Bo"))
    result = invoke(
        "post", str(video(tmp_path)), "--title", "draft", "--account", "Bo", "--inbox", "--data-dir", data_dir
    )
    assert result.exit_code == 0, result.output
    assert queue.all()[0]["open_id"] == "-000bo" and queue.all()[0]["inbox"] is True
    ambiguous = invoke("post", str(video(tmp_path)), "--title", "x", "--data-dir", data_dir)
    assert ambiguous.exit_code != 0 and "choose one with --account" in ambiguous.output


def test_post_an_https_url(data):
    data_dir, _, queue = data
    result = invoke("post", "https://media.example/videos/v.mp4", "--title", "pulled", "--data-dir", data_dir)
    assert result.exit_code == 0, result.output
    assert queue.all()[0]["source"] == "PULL_FROM_URL"


@pytest.mark.parametrize(
    "target, words",
    [("http://media.example/v.mp4", "https://"), ("/no/such/video.mp4", "no video file"), ("EMPTY", "empty")],
)
def test_post_refuses_what_cannot_be_posted(data, tmp_path, target, words):
    data_dir, _, queue = data
    if target == "EMPTY":
        target = str(tmp_path / "empty.mp4")
        Path(target).write_bytes(b"")
    result = invoke("post", target, "--title", "x", "--data-dir", data_dir)
    assert result.exit_code == 1 and words in result.output and queue.all() == []


def test_post_refuses_an_account_without_the_scope(data, tmp_path):
    data_dir, store, queue = data
    store.put(account("-000anna", "Anna", scope=("user.info.basic", "video.upload")))
    result = invoke("post", str(video(tmp_path)), "--title", "x", "--data-dir", data_dir)
    assert result.exit_code == 1 and "video.publish" in result.output and queue.all() == []
    assert invoke("post", str(video(tmp_path)), "--title", "x", "--inbox", "--data-dir", data_dir).exit_code == 0


def test_posts_lists_queued_videos_with_state_reason_and_post_id(data, tmp_path):
    data_dir, _, queue = data
    waiting = queue.add(open_id="-000anna", title="waiting", path=video(tmp_path), now=100.0)
    failed = queue.add(open_id="-000anna", title="failed one", url="https://m.example/v.mp4", now=200.0)
    queue.update(failed["id"], status="failed", fail_reason="url_ownership_unverified")
    posted = queue.add(open_id="-000gone", title="a very long title " * 5, url="https://m.example/w.mp4", now=300.0)
    queue.update(posted["id"], status="published", post_id="7311")
    result = invoke("posts", "--data-dir", data_dir)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Queued videos:" and lines[1].split()[:3] == ["QUEUE", "ITEM", "ACCOUNT"]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert [line.split()[0] for line in lines[2:]] == [posted["id"], failed["id"], waiting["id"]]  # newest first
    assert "Anna" in rows[waiting["id"]] and "queued" in rows[waiting["id"]]
    assert "failed" in rows[failed["id"]] and "url_ownership_unverified" in rows[failed["id"]]
    assert "(not connected)" in rows[posted["id"]] and "7311" in rows[posted["id"]]
    assert "a very long title a very long…" in rows[posted["id"]]


def test_queue_video_from_a_pipeline(data, tmp_path, monkeypatch):
    data_dir, _, queue = data
    settings = {"DATA_DIR": data_dir, "FACTS_FILE": str(ROOT / "mkdocs.yml")}
    item = queue_video(video(tmp_path), "from python", settings=settings)
    assert item["approve_url"] == POSTING_PAGE and queue.get(item["id"])["title"] == "from python"
    assert "approve_url" not in queue.get(item["id"])
    with pytest.raises(AccountError):
        queue_video(video(tmp_path), "x", account="nobody", settings=settings)
    monkeypatch.setenv("GREENLIGHT_DATA_DIR", data_dir)
    monkeypatch.setenv("GREENLIGHT_FACTS", str(ROOT / "mkdocs.yml"))
    assert queue_video("https://media.example/v.mp4", "from the environment", inbox=True)["inbox"] is True
