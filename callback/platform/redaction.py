"""Keep tokens, secrets and OAuth codes out of every log line the process writes."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

MASK = "[redacted]"
# TikTok's token formats, bearer headers, and query/form values that carry a credential.
PATTERNS = (
    re.compile(r"\b(?:act|rft)\.[A-Za-z0-9._~+/=!*-]{8,}"),
    re.compile(r"(?i)(\bbearer\s+)[^\s,;\"']+"),
    re.compile(
        r"(?i)((?:[?&\s]|^)(?:code|code_verifier|access_token|refresh_token|token|client_secret)=)"
        r"[^&\s\"']+"
    ),
)
MIN_SECRET = 6  # shorter "secrets" would shred ordinary words out of the logs

_lock = threading.Lock()
_secrets: tuple[str, ...] = ()  # longest first (see _longest_first), as every log record is masked with them
_installed = False


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return `text` with tokens, bearer values, credential query values and the given secrets masked."""
    return _mask(text, _longest_first(secrets))


def _longest_first(secrets: Iterable[str]) -> tuple[str, ...]:
    """The secrets worth masking, longest first: a secret inside a longer one must not break it up first."""
    return tuple(sorted({s for s in secrets if s and len(s) >= MIN_SECRET}, key=len, reverse=True))


def _mask(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    # Every pattern needs one of these marks (in lower case) to match, and most lines (the access log's) have none.
    lowered = text.lower()
    if "=" not in lowered and "act." not in lowered and "rft." not in lowered and "bearer" not in lowered:
        return text
    for pattern in PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
    return text


def install(secrets: Iterable[str]) -> None:
    """Redact every log record this process creates, whichever logger or handler it goes to.

    A record factory rather than a Filter: filters on a logger miss records propagated from its
    children, and handlers (gunicorn's, pytest's, a reverse proxy's) come and go after we start.
    """
    global _installed, _secrets
    with _lock:
        _secrets = _longest_first((*_secrets, *secrets))
        if _installed:
            return
        _installed = True
    make = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call: leave it for logging's own error report
            return record
        # The formatted text replaces msg and args even when nothing was masked: handlers then do not
        # format the record a second time (gunicorn's access log writes one per request).
        record.msg, record.args = _mask(message, _secrets), ()
        if record.exc_info:
            # Format the traceback now, redacted; handlers reuse exc_text instead of formatting again.
            record.exc_text = _mask(logging.Formatter().formatException(record.exc_info), _secrets)
        return record

    logging.setLogRecordFactory(factory)
