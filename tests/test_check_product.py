"""The website checks can fail: a thin description, no icon, no screenshots, an app for its operator alone."""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner

from callback.cli import cli
from callback.facts.source import generated_header
from conftest import ROOT
from fixtures.check.sites import build_site, copy_site, edit, messages, run, target
from product_support import jpeg, png

FACTS = ROOT / "mkdocs.yml"
THIN = "Clipwise posts videos to TikTok."
ENOUGH = " ".join(["Clipwise posts the finished videos you choose to your TikTok account at the times you set."] * 3)
# Each defect a reviewer would see, as a change to the repository's facts: check -> (changes, status, message).
DEFECTS = {
    "thin description": ("site.landing", {"description": THIN}, "fail", "the description is thin (5 words)"),
    "few words of its own": (
        "site.landing",
        {
            "description": ENOUGH,
            "product__features": None,
            "product__screenshots": None,
            "product__audience": None,
            "product__tagline": None,
        },
        "fail",
        "words of its own about the app",
    ),
    "no audience": ("site.landing", {"product__audience": None}, "warn", "does not say who the app is for"),
    "no screenshots": ("site.landing", {"product__screenshots": None}, "warn", "no screenshots or screen recording"),
    "only the operator posts directly": ("site.landing", {"users": "owner"}, "fail", '"for private or personal use"'),
    "no icon": ("site.icon", {"product__icon": None, "product__logo": None}, "fail", "no app icon"),
}


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The real site, built once per session from the repository's mkdocs.yml."""
    return build_site(tmp_path_factory.mktemp("built") / "site")


@pytest.fixture
def site(built, tmp_path):
    """A private copy of the built site for one test to damage."""
    return copy_site(built, tmp_path / "site")


@pytest.mark.parametrize("name", ["repo", "creator-tiktok-only", "studio-all-platforms"])
def test_the_shipped_sites_pass(tmp_path, name):
    facts = FACTS if name == "repo" else ROOT / "examples" / f"{name}.yml"
    site = build_site(tmp_path / "site", facts=None if name == "repo" else facts)
    for check_id in ("site.landing", "site.icon"):
        result = run(target(facts, site), check_id)
        assert result.status == "pass", (check_id, messages(result))


@pytest.mark.parametrize("defect", DEFECTS)
def test_each_defect_is_reported_with_the_fact_to_change(built, facts_file, defect):
    check_id, changes, status, message = DEFECTS[defect]
    result = run(target(facts_file(**changes), built), check_id)
    assert result.status == status, messages(result)
    found = [f for f in result.findings if f.status == status]
    assert any(message in f.message for f in found), messages(result)
    assert all("in mkdocs.yml" in f.fix for f in found), [f.fix for f in found]


def test_an_operator_only_app_without_direct_post_is_not_refused(built, facts_file):
    facts = facts_file(users="owner", platforms__tiktok__scopes=["user.info.basic", "video.upload"])
    result = run(target(facts, built), "site.landing")
    assert "personal use" not in messages(result, "fail")


def test_the_old_generated_page_no_longer_passes_on_its_template_alone(built, facts_file):
    # The page still has 150+ words and every heading; only the facts are thin. That must fail.
    result = run(target(facts_file(description=THIN, product=None), built), "site.landing")
    text = messages(result, "fail")
    assert result.status == "fail" and "thin" in text and "of its own" in text


@pytest.mark.parametrize(
    "image, message",
    [
        (png(800, 400), "800×400 px; the portal wants a square"),
        (png(256, 256), "256×256 px; the portal wants at least 512 px"),
        (b"GIF89a\x00\x04\x00\x04" + b"\x00" * 20, "is not a PNG or JPEG image"),
    ],
)
def test_an_icon_the_portal_would_refuse_fails(site, image, message):
    (site / "assets" / "icon.png").write_bytes(image)
    result = run(target(FACTS, site), "site.icon")
    assert result.status == "fail" and message in messages(result, "fail")
    assert (
        "docs/assets/icon.png" in result.findings[0].fix
        and "extra.app.product.icon in mkdocs.yml" in result.findings[0].fix
    )


def test_a_square_jpeg_icon_passes(site, facts_file):
    (site / "assets" / "icon.jpg").write_bytes(jpeg(1024, 1024))
    result = run(target(facts_file(product__icon="assets/icon.jpg"), site), "site.icon")
    assert result.status == "pass", messages(result)


def test_an_icon_missing_from_the_site_fails(site):
    (site / "assets" / "icon.png").unlink()
    result = run(target(FACTS, site), "site.icon")
    assert result.status == "fail" and "is not on the site" in messages(result)


def test_a_landing_page_without_the_logo_fails(site):
    edit(site / "index.html", "assets/logo.svg", "assets/other.svg")
    result = run(target(FACTS, site), "site.icon")
    assert result.status == "fail" and "does not show the app's logo (assets/logo.svg)" in messages(result)


def test_a_heavy_logo_on_every_page_warns(site, facts_file):
    (site / "assets" / "icon.png").write_bytes(png(1024, 1024) + b"\x00" * 40000)  # past IEND: still the header
    edit(site / "index.html", "assets/logo.svg", "assets/icon.png")
    result = run(target(facts_file(product__logo=None), site), "site.icon")
    assert result.status == "warn" and "loads with every page" in messages(result)


def test_a_screenshot_missing_from_the_site_fails(site):
    (site / "assets" / "screen-post.svg").unlink()
    result = run(target(FACTS, site), "site.landing")
    assert result.status == "fail" and "the screenshot assets/screen-post.svg is not on the site" in messages(result)


def test_fix_lines_name_the_operators_file_behind_the_demo_copy(built, tmp_path, facts_file):
    operator = facts_file(description=THIN)
    app = yaml.safe_load(operator.read_text())["extra"]["app"]
    copy = tmp_path / "instance-demo" / "demo-facts.yml"
    copy.parent.mkdir()
    copy.write_text(generated_header(operator) + yaml.safe_dump(app))
    result = run(target(copy, built), "site.landing")
    fixes = [f.fix for f in result.findings if f.status == "fail"]
    assert fixes and all("extra.app.description in mkdocs.yml" in f for f in fixes[:1]), fixes
    assert not any("demo-facts.yml" in f for f in fixes)


def test_invalid_facts_in_a_demo_copy_say_which_file_to_edit(tmp_path, facts_file):
    operator = facts_file()
    copy = tmp_path / "demo-facts.yml"
    copy.write_text(generated_header(operator) + "name: Clipwise\nproduct: {color: red}\n")
    out = CliRunner().invoke(cli, ["--facts", str(copy), "check", "--no-browser", "--site", str(tmp_path)])
    assert out.exit_code == 1 and "fix: edit mkdocs.yml" in out.output and "edit demo-facts.yml" not in out.output
