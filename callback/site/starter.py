"""A starting point for a new operator: `greenlight init` writes mkdocs.yml and the page templates."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

# The page templates ship inside the package, so an installed wheel can start a site too.
PAGES = Path(__file__).resolve().parent / "templates" / "pages"
PAGE_FILES = ("index.md", "privacy.md", "terms.md", "data-deletion.md", "history/index.md")


class StarterError(RuntimeError):
    """Raised when a starter cannot be written; the message says why."""


STARTER = """\
# Greenlight site configuration. `extra.app` holds the facts: the single source of truth for the
# public pages AND for what the callback service enforces. Every sentence of the privacy policy is
# built from these values, so make each one true. Check with: greenlight build
site_name: {qname}           # replaced by extra.app.name when the site is built
site_url: https://example.com/
docs_dir: docs
site_dir: site
strict: true

theme:
  name: material
  font: false                # no Google Fonts: the site loads nothing from other hosts

plugins:
  - greenlight               # renders the pages from extra.app, adds its theme overrides and CSS,
                             # writes verification files, guards secrets

nav:
  - Home: index.md
  - Privacy Policy: privacy.md
  - Terms of Service: terms.md
  - Data deletion: data-deletion.md
  - Policy history: history/index.md

markdown_extensions:
  - admonition
  - attr_list
  - md_in_html
  - tables

extra:
  generator: false
  app:
    draft: true              # a production build refuses draft facts: set false when all is true
    name: {qname}            # unique; must not name TikTok or another platform
    summary: {summary}
    description: |
      Say in a few sentences what the app does, for whom, and what it never does.
    effective_date: {today}  # the date these policies take effect (YYYY-MM-DD)
    operator:
      legal_name: Your Name or Company Ltd
      contact_email: privacy@example.com
      country: Ireland
      governing_law: the laws of Ireland
      # address: 1 Example Street, Dublin     (optional; printed on the legal pages)
    urls:
      site: https://example.com                # where this site is published (https)
      service: https://callback.example.com    # where the callback service runs (https)
    platforms:
      tiktok:
        app_type: web        # or desktop
        scopes:              # only what the app uses; unknown scopes need `scope: why`
          - user.info.basic
          - video.publish
      # youtube:
      #   scopes:
      #     - https://www.googleapis.com/auth/youtube.upload
      # meta:
      #   scopes:
      #     - instagram_basic
      #     - instagram_content_publish
    processors: []           # every third party that receives data: name, purpose, data, policy_url
    data_rows: []            # anything else you keep: data, source, purpose, storage, retention
    retention:
      tokens_unused_days: 90       # unused tokens are revoked and deleted after this many days
      records_days: 30             # webhook receipts and publishing status records
      deletion_response_hours: 72  # deletion requests are carried out within this many hours
      deletion_receipts_days: 365  # the minimal, hashed receipt of a deletion
    minimum_age: 18
    security:
      encrypt_tokens: false  # true: tokens encrypted at rest (the service then needs GREENLIGHT_ENCRYPTION_KEY)
    verification:
      tiktok: []             # tokens from the developer portal; `- token: ABC` or with `prefix: /legal/`
    history: []              # one entry per change: `- date: YYYY-MM-DD` and `summary: what changed`
"""


def write_starter(directory: str | Path, name: str = "Example App", today: dt.date | None = None) -> list[Path]:
    """Write mkdocs.yml and the page templates into directory, refusing to overwrite anything."""
    root = Path(directory)
    targets = [root / "mkdocs.yml"] + [root / "docs" / f for f in PAGE_FILES]
    taken = [str(t) for t in targets if t.exists()]
    if taken:
        raise StarterError("refusing to overwrite existing files:\n" + "\n".join(taken))
    targets[0].parent.mkdir(parents=True, exist_ok=True)
    # JSON strings are valid YAML scalars, so any name is written safely.
    text = STARTER.format(
        qname=json.dumps(name),
        summary=json.dumps(f"{name} posts the videos you choose to your own TikTok account."),
        today=(today or dt.date.today()).isoformat(),
    )
    targets[0].write_text(text, encoding="utf-8")
    for rel, target in zip(PAGE_FILES, targets[1:], strict=True):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PAGES / rel, target)
    return targets
