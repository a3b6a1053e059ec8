"""The product's face on the site: logo and favicon, the home page's pictures, tables that read on phones."""

from __future__ import annotations

import html
import re
from typing import Any

from markupsafe import escape

from callback.facts import Facts
from callback.facts.images import image_info
from callback.facts.model import ROOT
from callback.facts.setup import public_pages

_TABLE = re.compile(r"<table>(.*?)</table>", re.S)
_CELL = re.compile(r"<t([hd])((?:\s[^>]*)?)>(.*?)</t\1>", re.S)
_ROW = re.compile(r"<tr>(.*?)</tr>", re.S)


def apply_theme(config: Any, facts: Facts) -> None:
    """Use the facts' logo (or icon) as the theme's logo and favicon instead of the theme's own."""
    mark = facts.product.mark
    if mark:
        config.theme["logo"] = mark
        config.theme["favicon"] = mark


def _read(files: Any, path: str) -> bytes | None:
    found = files.get_file_from_path(path)
    if found is None:
        return None
    try:
        return found.content_bytes
    except OSError:
        return None


def problems(facts: Facts, files: Any, docs: str = "docs") -> list[str]:
    """Return one line per image or video the facts name that the site would not have, naming its key."""
    out = []
    for key, path in facts.product.images():
        data = _read(files, path)
        where = f"{ROOT}.product.{key}"
        if data is None:
            out.append(f"{where}: {docs}/{path} does not exist (image paths are relative to {docs}/)")
        elif not path.endswith((".mp4", ".webm")) and image_info(data) is None:
            out.append(f"{where}: {docs}/{path} is not a PNG, JPEG, SVG, WebP or GIF image")
    return out


def _image(files: Any, path: str, alt: str = "") -> dict | None:
    """Describe one picture for the templates, or None when there is none."""
    return _picture(files, path, alt) if path else None


def _picture(files: Any, path: str, alt: str = "") -> dict:
    """Describe one picture for the templates: its path, pixel size and text alternative."""
    info = image_info(_read(files, path) or b"")
    width, height = (info.width, info.height) if info else (0, 0)
    return {"src": path, "width": width, "height": height, "alt": escape(alt)}


def view(facts: Facts, files: Any) -> dict:
    """Return what the theme shows of the product: texts escaped, pictures with their sizes."""
    p = facts.product
    return {
        "color": p.color,
        "tagline": escape(p.tagline),
        "summary": escape(facts.summary),
        # Only a hosted service open to the public has a Connect page a visitor can reach (facts/setup.py).
        "connect_url": facts.connect_url if public_pages(facts) else "",
        "mark": _image(files, p.mark),
        "screenshots": [
            {**_picture(files, s.image, s.alt or s.caption), "caption": escape(s.caption)} for s in p.screenshots
        ],
        # The video's type is given here: Zensical's templates have no rsplit to read it from the file name.
        "recording": p.recording
        and {
            "src": p.recording.file,
            "caption": escape(p.recording.caption),
            "type": "video/" + p.recording.file.rsplit(".", 1)[-1],
            "poster": _image(files, p.recording.poster),
        },
        "features": [
            {"title": escape(f.title), "text": escape(f.text), "image": _image(files, f.image)} for f in p.features
        ],
    }


def label_cells(page_html: str) -> str:
    """Give each table cell its column's heading (data-label), so a narrow screen can show rows as cards."""
    return _TABLE.sub(_label_table, page_html)


def _label_table(found: re.Match) -> str:
    body = found.group(1)
    rows = _ROW.findall(body)
    if not rows:
        return found.group(0)
    heads = [_plain(text) for kind, _attrs, text in _CELL.findall(rows[0]) if kind == "h"]
    if not heads:
        return found.group(0)

    def label_row(row: re.Match) -> str:
        column = iter(heads)

        def label(cell: re.Match) -> str:
            kind, attrs, text = cell.groups()
            head = next(column, "")
            if kind != "d" or not head or "data-label" in attrs:
                return cell.group(0)
            return f'<td{attrs} data-label="{html.escape(head, quote=True)}">{text}</td>'

        return "<tr>" + _CELL.sub(label, row.group(1)) + "</tr>"

    return "<table>" + _ROW.sub(label_row, body) + "</table>"


def _plain(fragment: str) -> str:
    """Return the text of an HTML fragment (a table heading), entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()
