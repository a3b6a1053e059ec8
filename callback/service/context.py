"""What a request's view reaches for: the facts, stores and records of the running service.

The role `get_db` plays in Flask's tutorial: blueprints import these accessors, never the factory.
"""

from __future__ import annotations

from flask import current_app

from callback.data.attempts import Attempts
from callback.data.queue import PostQueue
from callback.data.records import Records
from callback.data.store import TokenBackend
from callback.facts import Facts


def facts() -> Facts:
    """The facts this service was started with."""
    return current_app.extensions["greenlight"]["facts"]


def store() -> TokenBackend:
    """The token store of this service."""
    return current_app.extensions["greenlight"]["store"]


def records() -> Records:
    """The webhook receipts and deletion requests of this service."""
    return current_app.extensions["greenlight"]["records"]


def attempts() -> Attempts:
    """The pending connect attempts of this service."""
    return current_app.extensions["greenlight"]["attempts"]


def queue() -> PostQueue:
    """The publishing queue of this service (videos waiting for approval on the posting page)."""
    return current_app.extensions["greenlight"]["queue"]
