"""The home page is the product's face (home.html): hero, screens, features, the app's logo; tables read on phones."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

import pytest

from callback.facts import load_facts
from callback.site.build import SiteError
from callback.site.face import label_cells
from product_support import png
from site_support import EXAMPLES, ROOT, article, build, built, hrefs, project, read, text

SITES = ["repo", "creator", "studio"]


def facts_of(name: str):
    return load_facts(EXAMPLES[name] or ROOT / "mkdocs.yml")


def hero(page: str) -> str:
    return re.search(r'<section class="gl-hero".*?</section>', page, re.S).group(0)


@pytest.mark.parametrize("name", SITES)
def test_the_hero_shows_icon_name_tagline_connect_and_legal_links(name):
    facts, page = facts_of(name), read(built(name))
    top = hero(page)
    assert f'src="{facts.product.logo}"' in top and 'width="80" height="80"' in top
    assert f'<h1 id="gl-hero-title" class="gl-hero__title">{facts.name}</h1>' in top
    assert facts.product.tagline in text(top) and facts.summary in text(top)
    assert facts.connect_url in hrefs(top)
    assert {"privacy/", "terms/", "data-deletion/"} <= set(hrefs(top))
    assert text(article(page)).count(facts.name) >= 3  # the page is about the app, by name
    assert len(re.findall(r"<h1\b", page)) == 1  # one title: the hero's


@pytest.mark.parametrize("name", SITES)
def test_no_navigation_or_contents_on_the_home_page(name):
    page = read(built(name))
    assert re.search(r'data-md-type="navigation" hidden', page) and re.search(r'data-md-type="toc" hidden', page)
    assert "md-nav__link" not in re.search(r"<header.*?</header>", page, re.S).group(0)


@pytest.mark.parametrize("name", SITES)
def test_the_app_logo_replaces_the_themes_on_every_page(name):
    facts, site = facts_of(name), built(name)
    for page in ["", "privacy/", "terms/", "data-deletion/", "history/"]:
        html = read(site, page)
        header = re.search(r'<header class="md-header.*?</header>', html, re.S).group(0)
        up = "../" * page.count("/")
        assert f'<link rel="icon" href="{up}{facts.product.logo}">' in html, page
        assert f'class="gl-brand__mark" src="{up}{facts.product.logo}" width="32" height="32"' in header, page
        assert "assets/images/favicon.png" not in html and "md-logo" not in header
        links = {urljoin("/" + page, h) for h in hrefs(header)}
        assert {"/privacy/", "/terms/"} <= links, page  # the legal links, outside any menu
        assert f"--gl-primary:{facts.product.color}" in html


@pytest.mark.parametrize("name", SITES)
def test_screenshots_and_features_are_shown_lazily_with_their_size(name):
    facts, page = facts_of(name), read(built(name))
    gallery = re.search(r'<section class="gl-gallery".*?</section>', page, re.S).group(0)
    for shot in facts.product.screenshots:
        tag = re.search(rf'<img src="{re.escape(shot.image)}"[^>]*>', gallery).group(0)
        assert 'loading="lazy"' in tag and 'decoding="async"' in tag
        assert re.search(r'width="\d+" height="\d+"', tag) and 'width="0"' not in tag
        assert html.unescape(re.search(r'alt="([^"]*)"', tag)[1]) == shot.alt and shot.caption in text(gallery)
    features = text(re.search(r'<section class="gl-features".*?</section>', page, re.S).group(0))
    for feature in facts.product.features:
        assert feature.title in features and " ".join(feature.text.split()) in features
    assert "Who it is for." in text(article(page)) and facts.product.audience in text(article(page))


def test_every_image_on_the_home_page_has_its_size():
    for tag in re.findall(r"<img\b[^>]*>", read(built("repo"))):
        assert re.search(r'width="[1-9]\d*" height="[1-9]\d*"', tag), tag


def test_without_product_facts_the_home_page_still_builds(facts_file):
    page = read(build(facts_file(product=None)))
    assert "gl-hero__mark" not in page and "gl-gallery" not in page and "gl-brand__mark" not in page
    assert "Clipwise</h1>" in hero(page) and "privacy/" in hrefs(hero(page))


def test_a_missing_picture_stops_the_build_naming_its_key(facts_file):
    with pytest.raises(SiteError) as err:
        build(facts_file(product__icon="assets/nowhere.png"))
    assert "extra.app.product.icon: docs/assets/nowhere.png does not exist" in str(err.value)


def test_a_file_that_is_no_image_stops_the_build(tmp_path, facts_file):
    config = project(tmp_path, facts_file)
    (tmp_path / "docs" / "assets" / "fake.png").write_text("not a picture")
    facts_file(product__screenshots=[{"image": "assets/fake.png", "caption": "A screen"}])
    with pytest.raises(SiteError) as err:
        build(config=config)
    assert "extra.app.product.screenshots[0].image: docs/assets/fake.png is not a PNG" in str(err.value)


def test_an_operators_own_pictures_are_sized_from_their_files(tmp_path, facts_file):
    config = project(tmp_path, facts_file)
    (tmp_path / "docs" / "assets" / "wide.png").write_bytes(png(1280, 720))
    facts_file(product__features=[{"title": "Wide", "text": "A wide picture.", "image": "assets/wide.png"}])
    page = read(build(config=config))
    assert re.search(r'<img class="gl-feature__image" src="assets/wide.png" width="1280" height="720"', page)


PAYLOAD = '\'"><script>document.title="pwned"</script>'


def test_product_texts_are_text_not_markup(facts_file):
    site = build(
        facts_file(
            product__tagline=PAYLOAD,
            product__audience=PAYLOAD,
            product__features=[{"title": PAYLOAD, "text": PAYLOAD}],
            product__screenshots=[{"image": "assets/screen-post.svg", "caption": PAYLOAD, "alt": PAYLOAD}],
        )
    )
    page = read(site)
    assert "<script>document" not in page
    assert text(page).count(PAYLOAD) >= 5


def test_tables_label_each_cell_with_its_column():
    html = label_cells(
        "<table>\n<thead>\n<tr>\n<th>Data</th>\n<th>How <em>long</em> we keep it</th>\n</tr>\n"
        "</thead>\n<tbody>\n<tr>\n<td>Tokens</td>\n<td>90 days</td>\n</tr>\n</tbody>\n</table>"
    )
    assert '<td data-label="Data">Tokens</td>' in html and '<td data-label="How long we keep it">90 days</td>' in html
    assert label_cells("<p>no table</p>") == "<p>no table</p>"


@pytest.mark.parametrize("page, heading", [("privacy/", "How long we keep it"), ("history/", "What changed")])
def test_the_data_and_history_tables_carry_their_labels(page, heading):
    html = read(built("studio"), page)
    assert f'data-label="{heading}"' in html


def test_docs_index_is_the_packaged_home_template():
    packaged = ROOT / "callback" / "site" / "templates" / "pages" / "index.md"
    assert (ROOT / "docs" / "index.md").read_bytes() == packaged.read_bytes()
    assert packaged.read_text().startswith("---\ntemplate: home.html\nhide:\n  - navigation\n  - toc\n---\n")


def test_init_starter_builds_a_home_page_without_pictures(tmp_path):
    from callback.site.starter import write_starter

    write_starter(tmp_path / "new", name="Sunday Reels")
    page = read(build(config=tmp_path / "new" / "mkdocs.yml"))
    assert "Sunday Reels</h1>" in page and "gl-hero" in page and "gl-brand__mark" not in page
