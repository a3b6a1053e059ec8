"""Facts are text: markup written into them reaches no page as markup, neither in the body nor in the theme."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from callback.facts import FactsError, load_facts
from callback.facts.addresses import EMAIL, URL, safe_link
from callback.site.build import SiteError, build_site
from callback.site.static import serve_directory
from site_support import build, project, read, text

# An attribute break-out with a script, and a title break-out with an event handler (each fits `name`).
SCRIPT = '\'"><script>document.title="pwned"</script>'
IMAGE = "</title><img src=x onerror=\"document.title='pwned'\">"
PAYLOADS = {"script": SCRIPT, "image": IMAGE}


def _where(payload: str) -> dict[str, dict]:
    """Every kind of text fact, each carrying the payload."""
    return {
        "name": {"name": payload},
        "summary": {"summary": payload},
        "legal_name": {"operator__legal_name": payload},
        "country": {"operator__country": payload},
        "governing_law": {"operator__governing_law": payload},
        "address": {"operator__address": payload},
        "scope_reason": {"platforms__tiktok__scopes": {"user.info.basic": payload, "video.publish": payload}},
        "history": {"history": [{"date": "2026-11-01", "summary": payload}]},
        "processor": {
            "processors": [
                {"name": payload, "purpose": payload, "data": payload, "policy_url": "https://host.example/privacy"}
            ]
        },
        "data_row": {"data_rows": [dict.fromkeys(("data", "source", "purpose", "storage", "retention"), payload)]},
    }


class _Live(HTMLParser):
    """Collect what a browser would run or load from the payload: its scripts, handlers and images."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._script = tag == "script"
        self.found += [f"<{tag} {k}=...>" for k, _ in attrs if k.startswith("on")]
        if tag == "img" and dict(attrs).get("src") == "x":
            self.found.append("<img src=x>")

    def handle_data(self, data: str) -> None:
        if self._script and "pwned" in data:
            self.found.append("<script>…pwned…</script>")

    def handle_endtag(self, tag: str) -> None:
        self._script = False


def live_markup(site: Path) -> list[tuple[str, str]]:
    """Return (page, markup) for every piece of the payload that became markup in the built HTML."""
    out = []
    for page in sorted(site.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        parser = _Live()
        parser.feed(html)
        out += [(page.relative_to(site).as_posix(), m) for m in parser.found]
        out += [(page.relative_to(site).as_posix(), raw) for raw in ("<script>document", "<img src=x") if raw in html]
    return out


def visible(site: Path) -> str:
    """The text of every built page, as a reader (or a search engine) sees it."""
    return " ".join(text(p.read_text(encoding="utf-8")) for p in sorted(site.rglob("*.html")))


@pytest.mark.parametrize("payload", PAYLOADS, ids=list(PAYLOADS))
@pytest.mark.parametrize("kind", list(_where("")))
def test_markup_in_a_text_fact_is_shown_as_text(facts_file, kind, payload):
    site = build(facts_file(**_where(PAYLOADS[payload])[kind]))
    assert live_markup(site) == []
    assert PAYLOADS[payload] in visible(site)  # escaped, not dropped: the reader sees what the facts say


def test_markdown_in_a_text_fact_is_shown_as_written(facts_file):
    legal = "Smith & Sons *Ltd* [x](https://e.example) | #1 {:.big} `code` &amp; \\o/"
    site = build(facts_file(operator__legal_name=legal, name="A & B <C>"))
    landing = (site / "index.html").read_text(encoding="utf-8")
    assert "<title>A &amp; B &lt;C&gt;</title>" in landing
    assert f"operated by {legal}, Ireland" in text(landing)
    assert f"© 2026 {legal}" in text(landing)  # the footer
    assert 'href="https://e.example"' not in landing and "<em>Ltd</em>" not in landing


def test_a_page_title_taken_from_a_heading_stays_text(tmp_path, facts_file):
    """Without a nav or a front-matter title, MkDocs titles a page after its heading, facts and all."""
    project(tmp_path, facts_file)
    config = facts_file(name=IMAGE)
    data = yaml.safe_load(config.read_text())
    del data["nav"]  # no nav: MkDocs takes titles from the pages
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    terms = tmp_path / "docs" / "terms.md"
    terms.write_text("# Terms of {{ app.name }}\n" + terms.read_text().split("# Terms of Service", 1)[1])
    site = build(config=config)
    assert live_markup(site) == []
    title = re.search(r"<title>.*?</title>", read(site, "terms/"), re.S)[0]
    assert text(title) == f"Terms of {IMAGE} - {IMAGE}"


def test_the_description_may_use_markdown(facts_file):
    description = (
        "Clipwise *helps* creators. Read [our blog](https://blog.example/a_b), write to "
        "[us](mailto:hi@clipwise.example) or see the [terms](terms.md). 2 < 3 and a & b."
    )
    site = build(facts_file(description=description))
    landing = (site / "index.html").read_text(encoding="utf-8")
    assert "<em>helps</em>" in landing and 'href="https://blog.example/a_b"' in landing
    assert 'href="mailto:hi@clipwise.example"' in landing and 'href="terms/"' in landing
    assert "2 &lt; 3 and a &amp; b." in landing


@pytest.mark.parametrize(
    "description, phrase",
    [
        ("Hi <script>alert(1)</script>", "raw HTML"),
        ('Hi <img src=x onerror="alert(1)">', "raw HTML"),
        ("Hi <!-- hidden -->", "raw HTML"),
        ("Hi <div markdown>*x*</div>", "raw HTML"),
        ("[click](javascript:alert(1))", "javascript:"),
        ("[click]( JaVaScRiPt:alert(1) )", "javascript:"),
        ("[click](jav&#x61;script:alert(1))", "javascript:"),
        ("[click](java\tscript:alert(1))", "javascript:"),
        ("[click](javascript&colon;alert(1))", "javascript:"),
        ("[click][r]\n\n[r]: javascript:alert(1)", "javascript:"),
        ("![x](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
        ("[click](vbscript:msgbox)", "vbscript:"),
        ("[site](https://a.example){onclick=alert(1)}", "attribute list"),
        ("Text.\n{: onmouseover=alert(1) }", "attribute list"),
    ],
)
def test_the_description_refuses_html_and_script_links(facts_file, description, phrase):
    with pytest.raises(FactsError) as err:
        load_facts(facts_file(description=description))
    assert len(err.value.problems) == 1
    assert err.value.problems[0].startswith("extra.app.description: ") and phrase in err.value.problems[0]


@pytest.mark.parametrize("breakage", ["facts", "external", "strict"])
def test_a_failed_build_leaves_nothing_to_publish(tmp_path, facts_file, breakage):
    """Whether it fails before writing (facts), after (the audit) or at the very end (strict), nothing is left."""
    config = project(tmp_path, facts_file)
    if breakage == "facts":
        config = facts_file(description="<script>document.title='pwned'</script>")
    elif breakage == "external":
        config.write_text(config.read_text() + "extra_javascript:\n  - https://cdn.example/tracker.js\n")
    else:
        with (tmp_path / "docs" / "terms.md").open("a") as f:
            f.write("\nSee [the annex](annex.md).\n")
    out = tmp_path / "site"
    (out / "old").mkdir(parents=True)
    (out / "old" / "index.html").write_text("an earlier build")
    (out / ".git").mkdir()  # a gh-pages checkout kept in site/, as MkDocs' own clean keeps it
    with pytest.raises(SiteError):
        build_site(config, site_dir=out, strict=True)
    assert [p.name for p in out.iterdir()] == [".git"]
    (out / ".git").rmdir()
    with pytest.raises(SiteError):
        build_site(config, site_dir=out, strict=True)
    assert not out.exists()


@pytest.mark.parametrize(
    "target, safe",
    [
        ("https://a.example/x?y=1#z", True),
        ("http://127.0.0.1:8000/", True),
        ("mailto:a@b.example", True),
        ("terms.md", True),
        ("../privacy.md#top", True),
        ("/abs/path", True),
        ("#anchor", True),
        ("javascript:alert(1)", False),
        (" javascript:x", False),
        ("JAVASCRIPT:x", False),
        ("java\nscript:x", False),
        ("&#106;avascript:x", False),
        ("javascript&colon;x", False),
        ("\x01javascript:x", False),
        ("java\\script:x", False),
        ("<javascript:x>", False),
        ("data:text/html,x", False),
        ("vbscript:x", False),
        ("file:///etc/passwd", False),
    ],
)
def test_only_web_and_mail_links_are_safe(target, safe):
    assert safe_link(target) is safe


@pytest.mark.parametrize("email", ["privacy@clipwise.example", "first.last+tag@mail.example.org", "a_b-c%d@x.io"])
def test_plain_emails_pass(email):
    assert EMAIL.match(email)


@pytest.mark.parametrize(
    "email",
    [
        "a<script>@x.example",
        '"><img src=x>@x.example',
        "a b@x.example",
        "a@x.example<",
        "{x}@x.example",
        "*x*@x.example",
        "a|b@x.example",
        "a`b@x.example",
        "a'b@x.example",
        "a@x",
        "a@x.example\n",
        "javascript:alert(1)//@x.example",
        "a@x.example/<script>",
    ],
)
def test_emails_that_could_carry_markup_are_refused(email):
    assert not EMAIL.match(email)


@pytest.mark.parametrize(
    "url",
    [
        "https://clipwise.example",
        "https://a.example:8443/x/y?z=1&w=2#frag",
        "http://[::1]:5000/cb",
        "http://127.0.0.1:5000/callback/tiktok",
    ],
)
def test_plain_urls_pass(url):
    assert URL.match(url)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,x",
        'https://a.example/"><script>',
        "https://a.example/'x",
        "https://a.example/<x>",
        "https://a.example/a b",
        "https://a.example/`x`",
        "https://a.example/(x)",
        "https://a.example/{x}",
        "https://a.example/a|b",
        "https://a.example/x\\y",
        "https://a.example\n/x",
        "//a.example/x",
        "https://",
        "https://a.example/x\n",
    ],
)
def test_urls_that_could_carry_markup_are_refused(url):
    assert not URL.match(url)


@pytest.mark.parametrize(
    "changes, path",
    [
        ({"operator__contact_email": '"><script>alert(1)</script>@x.example'}, "extra.app.operator.contact_email"),
        ({"operator__contact_email": "{onclick=alert}@x.example"}, "extra.app.operator.contact_email"),
        ({"urls__site": 'https://x.example/"><script>alert(1)</script>'}, "extra.app.urls.site"),
        ({"urls__service": "javascript:alert(1)"}, "extra.app.urls.service"),
        (
            {"processors": [{"name": "H", "purpose": "p", "data": "d", "policy_url": "https://h.example/<img src=x>"}]},
            "extra.app.processors[0].policy_url",
        ),
        (
            {"platforms__tiktok__redirect_uris": ["https://cb.example/x'><script>"]},
            "extra.app.platforms.tiktok.redirect_uris[0]",
        ),
        (
            {"platforms__tiktok__scopes": {"user.info.basic": None, "x`<img src=x onerror=alert(1)>": "why"}},
            "extra.app.platforms.tiktok.scopes",
        ),
    ],
)
def test_addresses_and_scope_names_with_markup_are_refused(facts_file, changes, path):
    with pytest.raises(FactsError) as err:
        load_facts(facts_file(**changes))
    assert any(p.startswith(path) for p in err.value.problems), err.value.problems


@pytest.mark.browser
def test_no_script_from_the_facts_runs_in_a_real_browser(browser, facts_file):
    facts = facts_file(
        name=SCRIPT,
        summary=IMAGE,
        operator__legal_name=SCRIPT,
        operator__address=IMAGE,
        operator__governing_law=SCRIPT,
        **_where(IMAGE)["scope_reason"],
        **_where(SCRIPT)["history"],
        **_where(IMAGE)["processor"],
        **_where(SCRIPT)["data_row"],
    )
    site = build(facts)
    titles = {
        "": SCRIPT,
        "privacy/": f"Privacy Policy - {SCRIPT}",
        "terms/": f"Terms of Service - {SCRIPT}",
        "data-deletion/": f"Data deletion - {SCRIPT}",
        "history/": f"Policy history - {SCRIPT}",
        "404.html": SCRIPT,
    }
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    with serve_directory(site) as base:
        for path, title in titles.items():
            page.goto(base + path, wait_until="load")
            page.wait_for_timeout(100)  # an onerror handler fires after the failed image load
            assert page.title() == title, path  # unchanged, and the facts shown as written
            ran = page.evaluate(
                "[...document.scripts].filter(s => s.text.includes('pwned')).length"
                " + document.querySelectorAll('img[src=x], [onerror]').length"
            )
            assert ran == 0, path
    assert dialogs == []
    context.close()
