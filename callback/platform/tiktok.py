"""The TikTok platform client: every HTTP call to TikTok goes through here, with timeouts and bounded retries."""

from __future__ import annotations

import hashlib
import logging
import random
import secrets
import time
from base64 import urlsafe_b64encode
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlencode

if TYPE_CHECKING:  # requests costs a `greenlight token` that needs no HTTP call 50 ms: loaded on first use
    import requests

log = logging.getLogger("greenlight.tiktok")
USER_FIELDS = "open_id,union_id,avatar_url,display_name"
RETRYABLE = ("temporarily_unavailable", "server_error")


class PlatformError(RuntimeError):
    """TikTok refused a call, answered garbage or could not be reached; `error` is TikTok's code."""

    def __init__(self, error: str, description: str = "", log_id: str = "", status: int | None = None):
        self.error, self.description, self.log_id, self.status = error, description, log_id, status
        where = f" (HTTP {status})" if status else ""
        super().__init__(f"TikTok answered {error}{where}: {description}" if description else f"TikTok: {error}{where}")

    @property
    def retryable(self) -> bool:
        return self.error in RETRYABLE or self.error == "unreachable" or (self.status or 0) >= 500


def new_verifier() -> str:
    """Return a fresh PKCE code verifier: 64 characters of [A-Za-z0-9-_]."""
    return secrets.token_urlsafe(48)


def code_challenge(verifier: str, encoding: str = "hex") -> str:
    """Return the S256 challenge of a verifier: hex SHA-256 (TikTok's documented form) or base64url."""
    digest = hashlib.sha256(verifier.encode("ascii"))
    if encoding == "hex":
        return digest.hexdigest()
    if encoding == "base64url":
        return urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
    raise ValueError(f"PKCE_ENCODING must be hex or base64url, got {encoding!r}")


class TikTok:
    """A client for one app's credentials; base URLs point at TikTok, or at the sandbox in tests and the demo."""

    def __init__(
        self,
        client_key: str,
        client_secret: str,
        *,
        auth_base: str = "https://www.tiktok.com",
        api_base: str = "https://open.tiktokapis.com",
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.5,
        session: requests.Session | None = None,
    ):
        self.client_key, self._secret = client_key, client_secret
        self.auth_base, self.api_base = auth_base.rstrip("/"), api_base.rstrip("/")
        self.timeout, self.retries, self.backoff = float(timeout), int(retries), float(backoff)
        self._http = session

    @property
    def http(self) -> requests.Session:
        """The HTTP session, made on first use."""
        if self._http is None:
            import requests

            self._http = requests.Session()
        return self._http

    @classmethod
    def from_settings(cls, settings: dict) -> TikTok:
        """Build a client from service settings (TIKTOK_* credentials and base URLs, HTTP_* limits)."""
        return cls(
            settings["TIKTOK_CLIENT_KEY"],
            settings["TIKTOK_CLIENT_SECRET"],
            auth_base=settings["TIKTOK_AUTH_BASE"],
            api_base=settings["TIKTOK_API_BASE"],
            timeout=settings["HTTP_TIMEOUT"],
            retries=settings["HTTP_RETRIES"],
            backoff=settings.get("HTTP_BACKOFF", 0.5),
        )

    def authorize_url(
        self, scopes: list[str] | tuple[str, ...], redirect_uri: str, state: str, challenge: str, **extra: str
    ) -> str:
        """Return the consent-page URL the browser is sent to."""
        query = {
            "client_key": self.client_key,
            "scope": ",".join(scopes),
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **extra,
        }
        return f"{self.auth_base}/v2/auth/authorize/?{urlencode(query)}"

    def exchange_code(self, code: str, redirect_uri: str, verifier: str) -> dict:
        """Trade an authorization code for tokens."""
        return self._token(
            {"code": code, "grant_type": "authorization_code", "redirect_uri": redirect_uri, "code_verifier": verifier}
        )

    def refresh(self, refresh_token: str) -> dict:
        """Trade a refresh token for a new token pair (the old refresh token may stop working)."""
        return self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def refresher(self, rejected: Callable[[str, str], Exception]) -> Callable[[dict], dict]:
        """Return the refresh call a token store makes; a rejected refresh token raises rejected(open_id, why)."""

        def refresh(account: dict) -> dict:
            try:
                return self.refresh(account["refresh_token"])
            except PlatformError as exc:
                if exc.error == "invalid_grant":
                    raise rejected(account["open_id"], "TikTok rejected the refresh token (invalid_grant)") from None
                raise

        return refresh

    def revoke(self, access_token: str) -> None:
        """Revoke the user's authorization of this app."""
        self._call("POST", "/v2/oauth/revoke/", "revoke", data=self._creds({"token": access_token}))

    def user_info(self, access_token: str, fields: str = USER_FIELDS) -> dict:
        """Return the connected user's fields (open_id, display_name, avatar_url, ...)."""
        body = self._call(
            "GET",
            "/v2/user/info/",
            "user info",
            params={"fields": fields},
            headers={"Authorization": f"Bearer {access_token}"},
        )
        return body.get("data", {}).get("user", {})

    def creator_info(self, access_token: str) -> dict:
        """Return what the creator may post now (nickname, privacy options, disabled interactions)."""
        body = self._call(
            "POST",
            "/v2/post/publish/creator_info/query/",
            "creator info",
            json={},
            headers={"Authorization": f"Bearer {access_token}"},
        )
        return body.get("data", {})

    # -- internals --

    def _creds(self, fields: dict) -> dict:
        return {"client_key": self.client_key, "client_secret": self._secret, **fields}

    def _token(self, fields: dict) -> dict:
        body = self._call("POST", "/v2/oauth/token/", "token endpoint", data=self._creds(fields))
        if not body.get("access_token") or not body.get("refresh_token"):
            raise PlatformError("invalid_response", "the token endpoint answered without tokens")
        return body

    def _call(self, method: str, path: str, what: str, **kwargs) -> dict:
        """Send one request, retrying 5xx, timeouts and temporarily_unavailable with exponential backoff."""
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return self._once(method, path, **kwargs)
            except PlatformError as exc:
                if not exc.retryable or attempt == attempts:
                    raise
                delay = min(self.backoff * 2 ** (attempt - 1), 30.0) * random.uniform(0.8, 1.2)
                log.warning(
                    "TikTok %s: %s; retrying in %.2f s (attempt %d of %d)",
                    what,
                    exc.error if exc.status is None else f"{exc.error} (HTTP {exc.status})",
                    delay,
                    attempt + 1,
                    attempts,
                )
                time.sleep(delay)
        raise AssertionError("unreachable")

    def send(self, method: str, url: str, failing: str = "could not connect", **kwargs) -> requests.Response:
        """Send one HTTP request with this client's timeout; a network failure becomes PlatformError."""
        import requests

        try:
            return self.http.request(method, url, timeout=self.timeout, **kwargs)
        except requests.Timeout:
            raise PlatformError("unreachable", f"no answer within {self.timeout:g} s") from None
        except requests.RequestException as exc:
            raise PlatformError("unreachable", f"{failing} ({type(exc).__name__})") from None

    def _once(self, method: str, path: str, **kwargs) -> dict:
        r = self.send(method, self.api_base + path, **kwargs)
        try:
            body = r.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            code = "server_error" if r.status_code >= 500 else "invalid_response"
            raise PlatformError(code, "the answer was not JSON", status=r.status_code)
        err = body.get("error")
        if isinstance(err, str) and err:  # OAuth endpoints: {"error", "error_description", "log_id"}
            raise PlatformError(err, body.get("error_description", ""), body.get("log_id", ""), r.status_code)
        if isinstance(err, dict) and err.get("code") not in (None, "ok"):  # open API: {"data", "error": {...}}
            raise PlatformError(err["code"], err.get("message", ""), err.get("log_id", ""), r.status_code)
        if r.status_code >= 400:
            raise PlatformError(
                "server_error" if r.status_code >= 500 else "http_error", f"HTTP {r.status_code}", status=r.status_code
            )
        return body


def revoker(settings: dict) -> Callable[[dict], None]:
    """Return a function revoking an account's access token at TikTok (or the sandbox the settings name)."""
    client = TikTok.from_settings(settings)
    return lambda account: client.revoke(account["access_token"])
