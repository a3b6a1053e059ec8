"""The product facts (extra.app.product): read with every problem named by key path, images sized from bytes."""

from __future__ import annotations

import struct

import pytest
import yaml

from callback.facts import FactsError, load_facts
from callback.facts.images import image_info
from callback.facts.product import Product, contrast, words
from callback.facts.source import docs_dir, fact_prefix, facts_source, generated_header
from conftest import ROOT
from product_support import jpeg, png, svg

EXAMPLES = [
    ROOT / "mkdocs.yml",
    ROOT / "examples" / "creator-tiktok-only.yml",
    ROOT / "examples" / "studio-all-platforms.yml",
]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_shipped_facts_file_has_a_complete_product_face(path):
    product = load_facts(path).product
    assert product.tagline and product.category and product.audience
    assert product.icon.endswith(".png") and product.logo.endswith(".svg")
    assert len(product.screenshots) >= 2 and all(s.caption and s.alt for s in product.screenshots)
    assert len(product.features) >= 3 and all(f.title and f.text for f in product.features)
    for key, image in product.images():
        assert (ROOT / "docs" / image).is_file(), (key, image)  # real files in docs/assets/
    icon = image_info((ROOT / "docs" / product.icon).read_bytes())
    assert icon.kind == "png" and icon.square and icon.width >= 512


def test_the_product_is_optional(facts_file):
    facts = load_facts(facts_file(product=None))
    assert facts.product == Product() and facts.product.mark == ""


def problems(facts_file, **changes) -> list[str]:
    with pytest.raises(FactsError) as err:
        load_facts(facts_file(**changes))
    return err.value.problems


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"product__slogan": "x"}, "extra.app.product.slogan: is not a known key"),
        ({"product__icon": "assets/icon.svg"}, "extra.app.product.icon: must be a square PNG or JPEG"),
        ({"product__icon": "../secrets/icon.png"}, "extra.app.product.icon: must be a square PNG or JPEG"),
        ({"product__icon": "/etc/icon.png"}, "extra.app.product.icon: must be a square PNG or JPEG"),
        ({"product__logo": 'assets/x".svg'}, "extra.app.product.logo: must be an SVG, PNG, JPEG or WebP image"),
        ({"product__color": "teal"}, "extra.app.product.color: must be a colour written #RRGGBB"),
        ({"product__color": "#ffeb3b"}, "extra.app.product.color: is too light for white text on it"),
        ({"product__tagline": "x" * 121}, "extra.app.product.tagline: must be at most 120 characters"),
        (
            {"product__screenshots": [{"image": "assets/screen-post.svg"}]},
            "extra.app.product.screenshots[0].caption: is required",
        ),
        ({"product__screenshots": [{"caption": "Hi"}]}, "extra.app.product.screenshots[0].image: is required"),
        (
            {"product__screenshots": [{"image": "assets/a.png", "caption": "a", "title": "b"}]},
            "extra.app.product.screenshots[0].title: is not a known key",
        ),
        ({"product__screenshots": "assets/a.png"}, "extra.app.product.screenshots: must be a list"),
        (
            {"product__screenshots": [{"image": "assets/a.png", "caption": "a"}] * 9},
            "extra.app.product.screenshots: may hold at most 8 items",
        ),
        ({"product__features": [{"title": "A"}]}, "extra.app.product.features[0].text: is required"),
        ({"product__features": ["A queue"]}, "extra.app.product.features[0]: must be a mapping"),
        (
            {"product__recording": {"file": "assets/demo.gif", "poster": "assets/p.png", "caption": "c"}},
            "extra.app.product.recording.file: must be a short video",
        ),
        ({"product": "Clipwise"}, "extra.app.product: must be a mapping"),
    ],
)
def test_a_bad_product_fact_names_its_key_path(facts_file, changes, expected):
    found = problems(facts_file, **changes)
    assert any(p.startswith(expected) for p in found), found


def test_every_bad_product_fact_is_reported_at_once(facts_file):
    found = problems(facts_file, product__icon="icon.gif", product__color="red", product__features=[{}])
    assert len([p for p in found if p.startswith("extra.app.product.")]) == 4, found


def test_colour_contrast_is_the_wcag_ratio():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#00695c", "#ffffff") > 4.5 > contrast("#4db6ac", "#ffffff")


def test_own_words_count_what_the_operator_wrote():
    product = load_facts(ROOT / "mkdocs.yml").product
    assert words(Product(), "one two three") == 3
    assert words(product, "") > 100


@pytest.mark.parametrize(
    "data, expected",
    [
        (png(1024, 1024), ("png", 1024, 1024)),
        (png(800, 400), ("png", 800, 400)),
        (jpeg(640, 1136), ("jpeg", 640, 1136)),
        (svg(360, 720), ("svg", 360, 720)),
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1024 512"></svg>',
            ("svg", 1024, 512),
        ),
        (b"GIF89a" + struct.pack("<HH", 32, 16) + b"\x00" * 8, ("gif", 32, 16)),
        (
            b"RIFF\x00\x00\x00\x00WEBPVP8X" + b"\x00" * 8 + (639).to_bytes(3, "little") + (479).to_bytes(3, "little"),
            ("webp", 640, 480),
        ),
    ],
)
def test_image_size_is_read_from_the_header(data, expected):
    info = image_info(data)
    assert (info.kind, info.width, info.height) == expected


@pytest.mark.parametrize("data", [b"", b"not an image", b"\x89PNG\r\n\x1a\n", b"<svg>no size</svg>", b"\xff\xd8\xff"])
def test_anything_else_is_no_image(data):
    assert image_info(data) is None


def test_a_generated_copy_names_the_file_to_edit(tmp_path):
    copy = tmp_path / "demo-facts.yml"
    copy.write_text(generated_header(ROOT / "mkdocs.yml") + yaml.safe_dump({"name": "Clipwise"}))
    assert facts_source(copy) == ROOT / "mkdocs.yml" and fact_prefix(facts_source(copy)) == "extra.app."
    assert docs_dir(copy) == ROOT / "docs"  # its pictures are the operator's
    plain = tmp_path / "facts.yml"
    plain.write_text(yaml.safe_dump({"name": "Clipwise"}))
    assert facts_source(plain) == plain and fact_prefix(plain) == ""
    assert docs_dir(plain, cwd=ROOT) == ROOT / "docs" and docs_dir(plain, cwd=tmp_path) is None
    gone = tmp_path / "gone.yml"
    gone.write_text(generated_header(tmp_path / "deleted.yml"))
    assert facts_source(gone) == gone  # a header naming no file proves nothing
