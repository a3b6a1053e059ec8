"""Zensical builds the same site as MkDocs from the same facts: pages, verification files, banner and guards."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
import yaml
from click.testing import CliRunner

from site_support import EXAMPLES, ROOT, article, build, built, footer, hrefs, project, read, text

NOT_INSTALLED = "Zensical is not installed (it needs Python 3.11+): pip install 'greenlight-publish[zensical]'"
pytest.importorskip("zensical", reason=NOT_INSTALLED)

from callback.cli import cli  # noqa: E402
from callback.cli import site as site_cli  # noqa: E402
from callback.site.build import SiteError, build_site  # noqa: E402

SITES = ["repo", "creator", "studio"]
PAGES = ["", "privacy/", "terms/", "data-deletion/", "history/"]
BANNER = "These pages are not in effect yet"


@pytest.fixture(scope="module")
def zensical_site(tmp_path_factory):
    """Build each shared site with Zensical once per module; return a lookup by name."""
    cache: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            out = tmp_path_factory.mktemp(f"zensical-{name}") / "site"
            cache[name] = build_site(
                ROOT / "mkdocs.yml", facts=EXAMPLES[name], site_dir=out, production=False, generator="zensical"
            ).site_dir
        return cache[name]

    return get


def files(site: Path, pattern: str = "*") -> dict[str, Path]:
    return {p.relative_to(site).as_posix(): p for p in site.rglob(pattern) if p.is_file()}


def configure(config: Path, **changes) -> Path:
    """Change top-level settings of a project's mkdocs.yml (theme entries merged); return it."""
    data = yaml.safe_load(config.read_text())
    data["theme"].update(changes.pop("theme", {}))
    data.update(changes)
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    return config


def title(page_html: str) -> str:
    return re.search(r"<title>(.*?)</title>", page_html, re.S).group(1)


def links(page: str, fragment: str) -> set[str]:
    return {urljoin("/" + page, h) for h in hrefs(fragment)}


@pytest.mark.parametrize("name", SITES)
def test_every_page_reads_the_same_as_under_mkdocs(name, zensical_site):
    mkdocs, zensical = built(name), zensical_site(name)
    for page in PAGES:
        m, z = read(mkdocs, page), read(zensical, page)
        assert text(article(z)) == text(article(m)), page
        assert text(footer(z)) == text(footer(m)), page
        assert title(z) == title(m), page
        assert links(page, footer(z)) == links(page, footer(m)), page  # the legal links, resolved
        assert ("data-label=" in z) == ("data-label=" in m), page  # tables read as cards on a phone


@pytest.mark.parametrize("name", SITES)
def test_verification_files_are_byte_for_byte_the_same(name, zensical_site):
    mkdocs, zensical = files(built(name), "tiktok*.txt"), files(zensical_site(name), "tiktok*.txt")
    assert mkdocs and mkdocs.keys() == zensical.keys()
    for path in mkdocs:
        assert zensical[path].read_bytes() == mkdocs[path].read_bytes(), path


@pytest.mark.parametrize("name", SITES)
def test_draft_banner_on_every_page_with_both(name, zensical_site):
    for site in (built(name), zensical_site(name)):
        for page in PAGES:
            assert BANNER in read(site, page), (site, page)


@pytest.mark.parametrize("name", SITES)
def test_no_template_marker_and_no_theme_file_is_published(name, zensical_site):
    site = zensical_site(name)
    for path, file in files(site).items():
        if file.suffix in (".html", ".xml", ".txt", ".json"):
            body = file.read_text(encoding="utf-8")
            assert "{{" not in body and "{%" not in body, path
    published = files(site)
    assert not [
        p for p in published if p.endswith(("main.html", "home.html")) or p.startswith(("overrides/", "partials/"))
    ]
    assert "search.json" not in published  # MkDocs builds no search index either: the config lists no search


def test_names_with_markup_characters_print_the_same(facts_file):
    facts = facts_file(name="Cut & Paste's <Clips>", operator__legal_name='Ada "Cut" & Co')
    mkdocs, zensical = build(facts), build(facts, generator="zensical")
    for page in PAGES:
        m, z = read(mkdocs, page), read(zensical, page)
        assert title(z) == title(m) and text(article(z)) == text(article(m)), page
        assert "Cut &amp; Paste&#39;s &lt;Clips&gt;" in z and "&amp;amp;" not in z, page


def test_a_screen_recording_plays_the_same(tmp_path, facts_file):
    config = project(tmp_path, facts_file)
    (tmp_path / "docs" / "assets" / "demo.webm").write_bytes(b"\x1aE\xdf\xa3 not really a video")
    facts_file(product__recording={"file": "assets/demo.webm", "poster": "assets/icon.png", "caption": "It works."})
    for generator in ("mkdocs", "zensical"):
        home = read(build(config=config, generator=generator))
        assert '<source src="assets/demo.webm" type="video/webm">' in home.replace('src="./', 'src="'), generator
        assert "It works." in text(article(home)), generator


def test_operator_overrides_apply_and_are_not_published(tmp_path, facts_file):
    config = configure(project(tmp_path, facts_file), theme={"custom_dir": "docs/overrides"})
    (tmp_path / "docs" / "overrides" / "partials").mkdir(parents=True)
    (tmp_path / "docs" / "overrides" / "partials" / "logo.html").write_text("<span>OPERATOR-MARK</span>")
    for generator in ("mkdocs", "zensical"):
        site = build(config=config, generator=generator)
        assert "OPERATOR-MARK" in read(site), generator
        assert not [p for p in files(site) if "overrides" in p or p.endswith("logo.html")], generator
        assert BANNER in read(site, "privacy/"), generator


def test_secret_guard_stops_a_zensical_build(tmp_path, facts_file, monkeypatch):
    secret = "zensical-guard-secret-7d1c9a"
    monkeypatch.setenv("TIKTOK_CLIENT_SECRET", secret)
    config = project(tmp_path, facts_file)
    terms = tmp_path / "docs" / "terms.md"
    terms.write_text(terms.read_text() + f"\nDebug: {secret}\n")
    with pytest.raises(SiteError) as err:
        build_site(config, site_dir=tmp_path / "site", production=False, generator="zensical")
    assert "secret guard" in str(err.value)
    assert "terms/index.html: value of environment variable TIKTOK_CLIENT_SECRET" in str(err.value)
    assert secret not in str(err.value)
    assert not (tmp_path / "site").exists()


def test_a_resource_from_another_host_stops_a_zensical_build(tmp_path, facts_file):
    config = project(tmp_path, facts_file)
    terms = tmp_path / "docs" / "terms.md"
    terms.write_text(terms.read_text() + '\n<img src="https://cdn.example.net/pixel.gif" alt="">\n')
    with pytest.raises(
        SiteError,
        match=(
            r"load resources from other hosts(.|\n)*terms/index.html: "
            r"https://cdn.example.net/pixel.gif"
        ),
    ):
        build_site(config, site_dir=tmp_path / "site", production=False, generator="zensical")
    assert not (tmp_path / "site").exists()


def test_production_refuses_draft_facts_and_leaves_no_site(tmp_path, facts_file):
    config = project(tmp_path, facts_file)
    with pytest.raises(SiteError, match="production build refused: the facts say `draft: true`"):
        build_site(config, site_dir=tmp_path / "site", production=True, generator="zensical")
    assert not (tmp_path / "site").exists()
    facts_file(draft=False)
    site = build_site(config, site_dir=tmp_path / "site", production=True, generator="zensical").site_dir
    assert BANNER not in read(site)


def test_bad_facts_name_their_key(facts_file):
    with pytest.raises(SiteError, match=r"extra\.app\.retention\.tokens_unused_days: must be a positive integer"):
        build(facts_file(retention__tokens_unused_days="ninety"), generator="zensical")


def test_a_plugin_zensical_would_skip_stops_the_build(tmp_path, facts_file):
    config = configure(project(tmp_path, facts_file), plugins=["greenlight", "minify"])
    with pytest.raises(SiteError, match="Zensical runs no MkDocs plugins or hooks, so minify would be skipped"):
        build_site(config, site_dir=tmp_path / "site", generator="zensical")


def test_a_zensical_template_error_is_reported_not_published(tmp_path, facts_file):
    config = configure(project(tmp_path, facts_file), theme={"custom_dir": "theme"})
    (tmp_path / "theme").mkdir()
    (tmp_path / "theme" / "main.html").write_text(
        '{% extends "base.html" %}{% block content %}{{ x.y( }}{% endblock %}'
    )
    with pytest.raises(SiteError, match="Zensical could not build the site"):
        build_site(config, site_dir=tmp_path / "site", production=False, generator="zensical")
    assert not (tmp_path / "site").exists()


def test_a_zensical_that_skips_greenlights_theme_publishes_nothing(tmp_path, facts_file, monkeypatch):
    from callback.site import zensical_config

    plain_theme = tmp_path / "plain-theme"  # Zensical's own templates only, as if it ignored ours
    plain_theme.mkdir()
    (plain_theme / "home.html").write_text('{% extends "main.html" %}')
    configure = zensical_config.configure

    def without_greenlights_theme(*args, **kwargs):
        config = configure(*args, **kwargs)
        config["theme"]["custom_dir"] = str(plain_theme)
        return config

    monkeypatch.setattr(zensical_config, "configure", without_greenlights_theme)
    with pytest.raises(
        SiteError,
        match=re.escape(
            "Zensical built index.md without the Content-Security-Policy and the "
            "draft banner that Greenlight's theme adds; nothing was published"
        ),
    ):
        build_site(project(tmp_path, facts_file), site_dir=tmp_path / "site", generator="zensical")
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize(
    "src, directory_urls, url",
    [
        ("index.md", True, "./"),
        ("privacy.md", True, "privacy/"),
        ("history/index.md", True, "history/"),
        ("reindex.md", True, "reindex/"),
        ("privacy.md", False, "privacy.html"),
        ("history/index.md", False, "history/index.html"),
    ],
)
def test_page_urls_are_mkdocs_urls(src, directory_urls, url):
    from callback.site.zensical import page_url

    assert page_url(src, directory_urls) == url


def run(*args: str, cwd: Path, **env: str):
    old = os.getcwd()
    try:
        os.chdir(cwd)
        return CliRunner().invoke(cli, list(args), env=env)
    finally:
        os.chdir(old)


def test_greenlight_build_with_zensical(tmp_path, facts_file):
    project(tmp_path, facts_file)
    result = run("build", "--generator", "zensical", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "Built" in result.output and "with zensical" in result.output
    assert "end of life" not in result.output
    assert BANNER in read(tmp_path / "site", "privacy/")


def test_mkdocs_build_relays_materials_end_of_life_notice_once(tmp_path, facts_file, monkeypatch):
    project(tmp_path, facts_file)
    monkeypatch.delenv("NO_MKDOCS_2_WARNING", raising=False)
    monkeypatch.setattr(site_cli, "_NOTICE_SHOWN", False)
    first = run("build", "--generator", "mkdocs", cwd=tmp_path)
    assert first.exit_code == 0, first.output
    assert first.output.count("Material for MkDocs reaches end of life on 5 May 2027") == 1
    assert "greenlight build --generator zensical" in first.output
    again = run("build", "--generator", "mkdocs", cwd=tmp_path)
    assert "end of life" not in again.output  # once per process, as Material itself does


def test_the_notice_respects_materials_own_switch(tmp_path, facts_file, monkeypatch):
    project(tmp_path, facts_file)
    monkeypatch.setattr(site_cli, "_NOTICE_SHOWN", False)
    result = run("build", "--generator", "mkdocs", cwd=tmp_path, NO_MKDOCS_2_WARNING="1")
    assert result.exit_code == 0 and "end of life" not in result.output
