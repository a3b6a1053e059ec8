"""The pure renderer: facts + templates -> pages, with unknown markers named by page and line."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil

import pytest

from callback.facts import load_facts
from callback.facts.model import Change
from callback.site.build import SiteError
from callback.site.history import freeze, snapshots, stale, versions
from callback.site.render import TemplateError, cell, render_pages
from site_support import EXAMPLES, ROOT, build


@pytest.fixture(scope="module")
def facts():
    return load_facts(ROOT / "mkdocs.yml")


@pytest.fixture(scope="module")
def templates():
    docs = ROOT / "docs"
    return {p.relative_to(docs).as_posix(): p.read_text() for p in docs.rglob("*.md")}


@pytest.mark.parametrize(
    "source, marker",
    [
        ("# Hi\n\nWe keep it {{ app.retention.tokens_unused_dayz }} days.\n", "{{ app.retention.tokens_unused_dayz }}"),
        ("# Hi\n\n\nWritten by {{ app.operator.legal_name }} for {{ colour }}.\n", "{{ colour }}"),
        ("# Hi\n{% if app.youtube_enabled %}\nyes\n{% endif %}\n", "{% if app.youtube_enabled %}"),
    ],
)
def test_unknown_marker_names_page_line_and_marker(facts, source, marker):
    with pytest.raises(TemplateError) as err:
        render_pages(facts, {"privacy.md": source})
    line = next(i for i, text in enumerate(source.splitlines(), 1) if marker in text)
    assert str(err.value).startswith(f"privacy.md, line {line}: unknown marker {marker}")


@pytest.mark.parametrize(
    "source, phrase",
    [
        ("# Hi\n\n{% if %}\n", "line 3"),
        ("# Hi\n{{ app.name | shout }}\n", "No filter named 'shout'"),
        ("# Hi\n{{ app.name \n", "line 2"),
    ],
)
def test_template_syntax_errors_name_the_page(facts, source, phrase):
    with pytest.raises(TemplateError) as err:
        render_pages(facts, {"terms.md": source})
    assert str(err.value).startswith("terms.md, line") and phrase in str(err.value)


def test_every_template_renders_with_every_example(templates):
    for name, path in EXAMPLES.items():
        pages = render_pages(load_facts(path or ROOT / "mkdocs.yml"), templates)
        assert not [p for p, text in pages.items() if "{{" in text or "{%" in text], name


def test_verification_files_are_exact(facts, templates):
    studio = load_facts(EXAMPLES["studio"])
    pages = render_pages(studio, {})
    assert pages == {
        "tiktokLf3QeVb8Nc2XsR7wKd4M.txt": "tiktok-developers-site-verification=Lf3QeVb8Nc2XsR7wKd4M",
        "tiktokLf9PxYt2Hb6DgJ5aWq1Z.txt": "tiktok-developers-site-verification=Lf9PxYt2Hb6DgJ5aWq1Z",
        "media/tiktokLf9PxYt2Hb6DgJ5aWq1Z.txt": "tiktok-developers-site-verification=Lf9PxYt2Hb6DgJ5aWq1Z",
    }


def test_rendering_is_pure_and_follows_the_facts(facts, templates):
    first = render_pages(facts, templates)
    assert render_pages(facts, templates) == first
    changed = dataclasses.replace(facts, retention=dataclasses.replace(facts.retention, records_days=41))
    privacy = render_pages(changed, templates)["privacy.md"]
    assert "| 41 days |" in privacy and "| 30 days |" not in privacy


def test_table_cells_cannot_break_the_table():
    assert cell("a | b\nc") == "a \\| b c"


def test_archives_pass_through_untouched(facts, templates):
    frozen = "# Privacy Policy\n\nOld text with {{ braces }} kept as written.\n"
    pages = render_pages(facts, {**templates, "history/privacy-2025-01-01.md": frozen})
    assert pages["history/privacy-2025-01-01.md"] == frozen


def test_frozen_copies_fix_links_and_say_they_are_old(facts, templates):
    rendered = render_pages(facts, templates)
    frozen = snapshots(facts, rendered)
    privacy = frozen["history/privacy-2026-11-01.md"]
    assert "](../data-deletion.md)" in privacy and "](data-deletion.md)" not in privacy
    assert "](https://callback.clipwise.example/deletion)" in privacy  # absolute links stay as they are
    assert '!!! note "Earlier version"' in privacy and "took effect on 2026-11-01" in privacy
    assert set(frozen) == {"history/privacy-2026-11-01.md", "history/terms-2026-11-01.md"}


def test_stale_archive_is_detected(facts, templates):
    rendered = render_pages(facts, templates)
    archived = {**rendered, **snapshots(facts, rendered)}
    assert stale(facts, archived) == []
    archived["history/terms-2026-11-01.md"] = freeze("terms", "# Terms\n\nolder words\n", facts.effective_date)
    assert stale(facts, archived) == ["history/terms-2026-11-01.md"]


def test_versions_list_current_then_earlier(facts):
    facts = dataclasses.replace(
        facts,
        history=(Change(dt.date(2026, 1, 1), "First version."), Change(facts.effective_date, "Added video.upload.")),
    )
    paths = ["history/privacy-2026-01-01.md", "history/terms-2026-01-01.md", "index.md"]
    got = versions(facts, paths)
    assert [(v.date, v.summary) for v in got] == [
        (facts.effective_date, "Added video.upload."),
        (dt.date(2026, 1, 1), "First version."),
    ]
    assert got[0].current and got[0].privacy == "../privacy.md"
    assert got[1].privacy == "privacy-2026-01-01.md" and got[1].terms == "terms-2026-01-01.md"


def test_unknown_marker_fails_the_mkdocs_build(tmp_path):
    config = tmp_path / "mkdocs.yml"
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    config.write_text((ROOT / "mkdocs.yml").read_text())
    with (tmp_path / "docs" / "terms.md").open("a") as f:
        f.write("\nSee {{ app.operator.phone }}.\n")
    with pytest.raises(SiteError) as err:
        build(config=config)
    assert "page template docs/terms.md, line" in str(err.value)
    assert "unknown marker {{ app.operator.phone }}" in str(err.value)


def test_missing_required_page_fails_the_build(tmp_path):
    config = tmp_path / "mkdocs.yml"
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    config.write_text((ROOT / "mkdocs.yml").read_text())
    (tmp_path / "docs" / "terms.md").unlink()
    with pytest.raises(SiteError) as err:
        build(config=config)
    assert "terms.md" in str(err.value)


def test_https_promise_follows_where_the_service_runs(facts_file):
    from callback.site.measures import security_measures

    web = " ".join(security_measures(load_facts(ROOT / "mkdocs.yml")))
    desktop = " ".join(
        security_measures(
            load_facts(facts_file(urls__service="http://127.0.0.1:5000", platforms__tiktok__app_type="desktop"))
        )
    )
    assert "https:// address" in web and "loopback" not in web
    assert "loopback" in desktop and "https://" not in desktop
