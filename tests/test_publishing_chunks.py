"""Chunk plans follow TikTok's rules at every edge, and a file goes up streamed, in order, one range per chunk."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap

import pytest

from callback.platform.posting import MAX_CHUNK, MAX_CHUNKS, MAX_LAST, MIN_CHUNK, chunk_plan, init_post, upload
from callback.platform.tiktok import PlatformError, TikTok
from callback.sandbox.rules import chunk_problem
from publishing_support import MB, SCOPES, config, connect, publishes, video  # noqa: F401 (fixture)


@pytest.mark.parametrize(
    "size, expected",
    [
        (1, (1, 1)),
        (int(4.9 * MB), (int(4.9 * MB), 1)),  # under 5 MB: whole, chunk_size = video_size
        (5 * MB - 1, (5 * MB - 1, 1)),
        (5 * MB, (5 * MB, 1)),  # exactly 5 MB
        (10 * MB, (10 * MB, 1)),
        (15 * MB, (10 * MB, 1)),  # one 10 MB chunk holding the remainder too
        (50_000_123, (10 * MB, 4)),
        (64 * MB, (10 * MB, 6)),
        (64 * MB + 12345, (10 * MB, 6)),  # over 64 MB: several chunks, the last takes the rest
        (10_000 * MB, (10 * MB, 1000)),  # the 1000-chunk edge at the default size
        (10_000 * MB + 1, (10 * MB + 1, 999)),  # one byte more: bigger chunks, never 1001
        (64_000 * MB, (64 * MB, 1000)),
        (1001 * 64 * MB - 1, (64 * MB, 1000)),  # the largest file TikTok's rules allow
    ],
)
def test_chunk_plans_at_the_edges(size, expected):
    chunk, count = chunk_plan(size)
    assert (chunk, count) == expected
    assert chunk_problem(size, chunk, count) is None  # the sandbox, which keeps TikTok's rules, agrees
    last = size - chunk * (count - 1)
    assert 1 <= count <= MAX_CHUNKS and last <= MAX_LAST
    assert size < MIN_CHUNK or MIN_CHUNK <= chunk <= MAX_CHUNK
    assert size <= MAX_CHUNK or count >= 2


@pytest.mark.parametrize(
    "size, chunk, expected",
    [
        (64 * MB + 1, 64 * MB, (32 * MB, 2)),  # a 64 MB chunk would leave one piece over 64 MB
        (128 * MB + 12345, 64 * MB, (64 * MB, 2)),  # 64 MB, then 64 MB + the remainder (under 128 MB)
        (40 * MB, 1, (5 * MB, 8)),  # too small a wish is raised to 5 MB
        (200 * MB, 500 * MB, (64 * MB, 3)),  # too big a wish is cut to 64 MB
    ],
)
def test_chunk_plans_with_a_chosen_chunk_size(size, chunk, expected):
    assert chunk_plan(size, chunk) == expected
    assert chunk_problem(size, *expected) is None


@pytest.mark.parametrize("size", [0, -1, 1001 * 64 * MB, 5 * 1024**4])
def test_what_cannot_be_planned_is_refused(size):
    with pytest.raises(ValueError):
        chunk_plan(size)


@pytest.mark.parametrize(
    "size", [int(4.9 * MB), 5 * MB, 64 * MB + 12345, 10_000 * MB, 10_000 * MB + 1, 1001 * 64 * MB - 1]
)
def test_the_platform_accepts_each_plan_at_init(sandbox, config, size):
    """Only init is asked: no bytes are sent."""
    account = connect(sandbox, config)
    data = init_post(TikTok.from_settings(config), account["access_token"], inbox=True, post_info=None, size=size)
    assert data["publish_id"] and data["upload_url"].startswith(sandbox.url + "/upload/")
    assert (data["chunk_size"], data["total_chunk_count"]) == chunk_plan(size)


def test_a_file_goes_up_streamed_in_ordered_chunks(sandbox, config, tmp_path):
    """One real upload of a few MB in two chunks; the uploader's memory stays under one chunk."""
    account = connect(sandbox, config)
    path = video(tmp_path, seconds=3, size=11 * MB + 321)
    size = path.stat().st_size
    client = TikTok.from_settings(config)
    # init as TikTok's guide allows with 5 MB chunks: two chunks, the second holding the remainder.
    body = client._call(
        "POST",
        "/v2/post/publish/inbox/video/init/",
        "init",
        headers={"Authorization": f"Bearer {account['access_token']}"},
        json={
            "source_info": {"source": "FILE_UPLOAD", "video_size": size, "chunk_size": 5 * MB, "total_chunk_count": 2}
        },
    )
    # The upload runs in a process of its own, so the peak counts the client alone (not this process's sandbox).
    script = textwrap.dedent(f"""
        import json, tracemalloc
        from callback.platform.posting import upload
        from callback.platform.tiktok import TikTok
        sent, client = [], TikTok("k", "s", timeout=10)
        client.http  # the HTTP library loads on first use: before the count, which is about the upload
        tracemalloc.start()
        upload(client, {body["data"]["upload_url"]!r}, {str(path)!r}, {size}, {5 * MB}, 2,
               progress=sent.append)
        print(json.dumps({{"sent": sent, "peak": tracemalloc.get_traced_memory()[1]}}))
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["sent"] == [5 * MB, size]
    assert out["peak"] < 3 * MB, f"peak {out['peak'] / MB:.1f} MB for 5 MB chunks"
    got = publishes(sandbox)[0]
    assert got["received"] == size and got["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_refused_chunk_raises_tiktoks_code(sandbox, config, tmp_path):
    account = connect(sandbox, config, scopes=SCOPES)
    path = video(tmp_path, seconds=2)
    size = path.stat().st_size
    client = TikTok.from_settings(config)
    data = init_post(client, account["access_token"], inbox=True, post_info=None, size=size)
    upload(client, data["upload_url"], path, size, size, 1)
    with pytest.raises(PlatformError) as caught:  # every byte is in: the same chunk again is out of order
        upload(client, data["upload_url"], path, size, size, 1)
    assert caught.value.error == "range_not_satisfiable" and caught.value.status == 416
