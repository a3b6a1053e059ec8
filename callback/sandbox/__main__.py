"""Run the sandbox platform: `python -m callback.sandbox --port 5001`."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys

from callback.sandbox import DEFAULTS, create_app
from callback.sandbox.server import BackgroundServer


def main(argv: list[str] | None = None) -> int:
    """Serve the sandbox on 127.0.0.1 until interrupted."""
    p = argparse.ArgumentParser(prog="python -m callback.sandbox", description=__doc__)
    p.add_argument("--port", type=int, default=5001, help="port on 127.0.0.1 (0 picks a free one)")
    p.add_argument("--client-key", default=DEFAULTS["CLIENT_KEY"], help="the registered app's client key")
    p.add_argument("--client-secret", default=DEFAULTS["CLIENT_SECRET"], help="the registered app's client secret")
    p.add_argument("--app-name", default=DEFAULTS["APP_NAME"], help="the app name shown on the consent page")
    p.add_argument("--redirect-uri", action="append", default=[], help="a registered redirect URI (repeatable)")
    p.add_argument("--webhook-url", default="", help="where to send webhooks (authorization.removed, post.publish.*)")
    p.add_argument(
        "--lifetimes",
        choices=["legacy", "rotating"],
        default="legacy",
        help="token lifetimes: legacy 24 h / 365 d, rotating 2 h / 180 d",
    )
    p.add_argument("--access-ttl", type=int, help="access token lifetime in seconds (overrides --lifetimes)")
    p.add_argument("--refresh-ttl", type=int, help="refresh token lifetime in seconds (overrides --lifetimes)")
    p.add_argument("--audited", action="store_true", help="the app passed TikTok's audit (posts may be public)")
    p.add_argument(
        "--verified-prefix", action="append", default=[], help="a URL prefix PULL_FROM_URL may fetch from (repeatable)"
    )
    args = p.parse_args(argv)
    app = create_app(
        {
            "CLIENT_KEY": args.client_key,
            "CLIENT_SECRET": args.client_secret,
            "APP_NAME": args.app_name,
            "REDIRECT_URIS": tuple(args.redirect_uri),
            "WEBHOOK_URL": args.webhook_url,
            "LIFETIMES": args.lifetimes,
            "ACCESS_TTL": args.access_ttl,
            "REFRESH_TTL": args.refresh_ttl,
            "AUDITED": args.audited,
            "VERIFIED_PREFIXES": tuple(args.verified_prefix),
        }
    )
    server = BackgroundServer(app, port=args.port)
    print(f"sandbox platform listening on {server.url}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
