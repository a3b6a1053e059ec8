"""The review kit's demo-video script walks the posting page in the order of TikTok's Direct Post guidelines."""

from __future__ import annotations

from callback.cli.review import demo_video
from callback.facts import load_facts, read_config
from conftest import ROOT


def script(path=ROOT / "mkdocs.yml") -> str:
    return "\n".join(demo_video(load_facts(path), read_config(path)))


def test_the_script_walks_the_posting_page_point_by_point():
    text = script()
    marks = [
        "consent page",
        "https://callback.clipwise.example/post",
        "Point 1, creator info",
        "nickname",
        "max_video_post_duration_sec",
        "Point 2, title and privacy",
        "**no default**",
        "Point 3, interactions",
        "greyed out",
        "Point 4, commercial content disclosure",
        '"Paid partnership"',
        '"Branded content visibility cannot be set to private."',
        "Point 5, consent and posting",
        "By posting, you agree to TikTok's Music Usage Confirmation",
        "preview",
        "press Post yourself",
        "processing status",
        "Published",
        "data-deletion page",
    ]
    positions = [text.index(m) for m in marks]
    assert positions == sorted(positions)


def test_the_script_says_what_gets_a_demo_rejected():
    text = script()
    assert "own domain (https://clipwise.example/ and https://callback.clipwise.example)" in text
    assert "localhost" in text and "rejected" in text
    assert "TikTok rejects apps **for private or personal use**" in text
    assert text.index("own domain") < text.index("1. Open the website")  # said before anything is recorded
