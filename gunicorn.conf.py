"""Gunicorn settings for `gunicorn -c gunicorn.conf.py` from the repository root: the packaged ones.

An installed Greenlight has no checkout: there, run `greenlight run` or
`gunicorn -c python:callback.service.gunicorn_config`.
"""

from callback.service.gunicorn_config import *  # noqa: F403
from callback.service.gunicorn_config import on_starting  # noqa: F401 (a hook gunicorn looks up by name)
