"""`greenlight token`, which an uploader runs before every post, imports only what handing out a token needs."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from callback.data.tokens import TokenStore

HEAVY = ("requests", "yaml", "cryptography", "dotenv", "jinja2", "flask", "mkdocs", "callback.facts.model")
PROBE = f"""
import runpy, sys
sys.argv = ["greenlight", "token"]
try:
    runpy.run_module("callback", run_name="__main__")
except SystemExit as exc:
    code = exc.code
print("LOADED", [m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)
"""


def test_a_fresh_token_loads_no_http_client_facts_or_yaml(tmp_path):
    now = time.time()
    TokenStore(tmp_path).put(
        {
            "open_id": "-000fast",
            "display_name": "Fast",
            "access_token": "act.fast" + "a" * 30,
            "refresh_token": "rft.fast" + "b" * 30,
            "expires_at": now + 86400,
            "refresh_expires_at": now + 10**7,
            "connected_at": now,
        }
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GREENLIGHT_")},
        "GREENLIGHT_DATA_DIR": str(tmp_path),
    }
    r = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert r.stdout.strip().startswith("act.fast"), r.stderr
    assert "LOADED []" in r.stderr, r.stderr
