"""Read what a page says (title, text, headings, links), with the standard library's HTML parser."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Document:
    title: str = ""
    text: str = ""
    headings: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    password_inputs: int = 0
    words: int = 0


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.doc = Document()
        self._skip = 0  # inside <script>/<style>/<template>
        self._heading: list[str] | None = None
        self._title: list[str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.doc.links.append(a["href"])
        if tag == "input" and a.get("type", "").lower() == "password":
            self.doc.password_inputs += 1
        if tag in ("script", "style", "template"):
            self._skip += 1
        if tag == "title":
            self._title = []
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1
        if tag == "title" and self._title is not None:
            self.doc.title = " ".join("".join(self._title).split())
            self._title = None
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.doc.headings.append(" ".join("".join(self._heading).split()))
            self._heading = None
        if tag in (
            "p",
            "li",
            "div",
            "section",
            "td",
            "th",
            "br",
            "a",
            "summary",
            "button",
            "label",
            "option",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "dt",
            "dd",
            "header",
            "footer",
            "nav",
        ):
            self._text.append(" ")

    def handle_data(self, data: str) -> None:
        if self._title is not None:
            self._title.append(data)
            return
        if self._skip:
            return
        if self._heading is not None:
            self._heading.append(data)
        self._text.append(data)


def parse(markup: str) -> Document:
    """Parse an HTML page into what the checks read: title, text, headings, links."""
    reader = _Reader()
    reader.feed(markup)
    reader.close()
    doc = reader.doc
    doc.text = " ".join("".join(reader._text).split())
    doc.words = len(re.findall(r"\w+", doc.text))
    return doc
