"""`greenlight review-kit`: the portal's questions answered from the facts."""

from __future__ import annotations

from click.testing import CliRunner

from callback.cli import cli
from conftest import ROOT

STUDIO = ROOT / "examples" / "studio-all-platforms.yml"


def kit(tmp_path, facts=ROOT / "mkdocs.yml", *args):
    out = tmp_path / "kit.md"
    result = CliRunner().invoke(cli, ["--facts", str(facts), "review-kit", "--output", str(out), *args])
    assert result.exit_code == 0, result.output
    assert out.read_text() in result.output  # printed and written alike
    return out.read_text()


def test_urls_to_paste_come_from_the_facts(tmp_path):
    text = kit(tmp_path)
    for field, url in [
        ("Website URL", "https://clipwise.example/"),
        ("Terms of Service URL", "https://clipwise.example/terms/"),
        ("Privacy Policy URL", "https://clipwise.example/privacy/"),
        ("Redirect URI", "https://callback.clipwise.example/callback/tiktok"),
        ("Webhook callback URL", "https://callback.clipwise.example/webhooks/tiktok"),
    ]:
        assert f"| {field} | `{url}` |" in text
    assert (
        "`https://clipwise.example/tiktokXk3mPq9LrT2vWz7aB4cD.txt` containing "
        "`tiktok-developers-site-verification=Xk3mPq9LrT2vWz7aB4cD`"
    ) in text


def test_every_scope_is_explained_with_where_the_user_sees_it(tmp_path):
    text = kit(tmp_path, STUDIO)
    for scope in [
        "user.info.basic",
        "video.publish",
        "video.upload",
        "video.list",
        "instagram_basic",
        "pages_manage_posts",
        "https://www.googleapis.com/auth/youtube.upload",
    ]:
        row = next(line for line in text.splitlines() if f"`{scope}`" in line)
        assert row.count("|") == 5 and row.split("|")[3].strip() and row.split("|")[4].strip(), row
    assert "List your recent public videos" in text  # the operator's own reason from the facts


def test_products_follow_the_enabled_platforms(tmp_path):
    studio = kit(tmp_path, STUDIO)
    for product in ["Login Kit", "Content Posting API", "YouTube Data API", "Meta:"]:
        assert product in studio
    assert "https://publish.lanternfish.example/meta/data-deletion" in studio
    creator = kit(tmp_path, ROOT / "examples" / "creator-tiktok-only.yml")
    assert "Login Kit" in creator and "Content Posting API" in creator
    assert "YouTube" not in creator and "Meta:" not in creator
    assert "Direct Post" not in creator.split("## Scopes")[0]  # inbox upload only


def test_demo_video_checklist_covers_the_direct_post_audit_in_order(tmp_path):
    text = kit(tmp_path).split("## Demo video checklist")[1]
    points = [
        "Privacy Policy and Terms links",
        "consent page",
        "fresh creator_info",
        "privacy_level_options with **no default**",
        "toggles are **off** by default, and greyed out",
        "**Your Brand**",
        "Branded Content cannot be private",
        '"By posting, you agree to TikTok\'s Music Usage Confirmation"',
        "Branded Content Policy",
        "preview",
        "processing status",
        "data-deletion page",
    ]
    positions = [text.index(p) for p in points]
    assert positions == sorted(positions)


def test_inbox_only_app_has_no_direct_post_steps(tmp_path):
    text = kit(tmp_path, ROOT / "examples" / "creator-tiktok-only.yml").split("## Demo video checklist")[1]
    assert "Music Usage Confirmation" not in text and "inbox" in text


def test_draft_facts_are_flagged(tmp_path):
    assert "**Draft facts.**" in kit(tmp_path)


def test_invalid_facts_are_refused_clearly(tmp_path, facts_file):
    bad = facts_file(operator__contact_email="not-an-email")
    result = CliRunner().invoke(cli, ["--facts", str(bad), "review-kit", "--output", str(tmp_path / "k.md")])
    assert result.exit_code == 1
    assert "extra.app.operator.contact_email: must be an email address" in result.output
    assert not (tmp_path / "k.md").exists()


def test_unwritable_output_is_a_clean_error(tmp_path):
    result = CliRunner().invoke(
        cli, ["--facts", str(ROOT / "mkdocs.yml"), "review-kit", "--output", str(tmp_path / "missing-dir" / "k.md")]
    )
    assert result.exit_code == 1 and "could not write" in result.output and "Traceback" not in result.output


def test_app_icon_category_and_audience_come_from_the_product_facts(tmp_path):
    details = kit(tmp_path).split("## Products")[0]
    assert "- App icon: `docs/assets/icon.png` (PNG, 1024×1024 px)" in details
    assert "- Category: Content creation tools" in details and "- Who it is for: Independent creators" in details


def test_missing_icon_and_category_are_flagged(tmp_path, facts_file):
    details = kit(tmp_path, facts_file(product=None)).split("## Products")[0]
    assert "App icon: **missing**" in details and "Category: **missing**" in details


def test_the_exact_wordings_reviewers_look_for_are_in_the_checklist(tmp_path):
    text = kit(tmp_path).split("## Demo video checklist")[1]
    for words in [
        '"Promotional content"',
        '"Paid partnership"',
        '"Branded content visibility cannot be set to private."',
        "photo posts offer Comment only",
        "**5 creators can post in 24 hours**",
    ]:
        assert words in text, words


def test_a_direct_post_app_for_its_operator_alone_is_warned(tmp_path, facts_file):
    assert "Refused as personal use" in kit(tmp_path, facts_file(users="owner"))
    assert "Refused as personal use" not in kit(tmp_path)
