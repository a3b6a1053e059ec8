"""`greenlight check` against `greenlight demo`: site, service and sandbox on localhost pass, with warnings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from callback.cli.demo_setup import start_demo

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
pytestmark = [pytest.mark.slow, pytest.mark.browser]

# What a loopback demo cannot be, and so may only warn about: https, a real key, final facts.
# facts.deployment: the demo's pages link its loopback service, which only a demo may do.
DEMO_WARNINGS = {
    "facts.draft",
    "facts.webhook",
    "facts.contact",
    "facts.client_key",
    "site.https",
    "service.health",
    "facts.deployment",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    running = start_demo(ROOT / "mkdocs.yml", tmp_path_factory.mktemp("demo") / "instance-demo", 0, 0, 0)
    yield running
    running.stop()


def greenlight_check(demo, *args: str) -> subprocess.CompletedProcess:
    """Run `greenlight check` as the operator would beside the demo: its demo.env, in a fresh process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GREENLIGHT_", "TIKTOK_"))}
    for line in (demo.data_dir / "demo.env").read_text().splitlines():
        key, _, value = line.partition("=")
        env[key] = value
    return subprocess.run(
        [str(BIN / "greenlight"), "check", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=demo.data_dir,
    )


def test_check_passes_against_the_running_demo(demo):
    out = greenlight_check(demo, "--site", demo.site.url + "/", "--service", demo.service.url, "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    doc = json.loads(out.stdout)
    statuses = {c["id"]: c["status"] for c in doc["checks"]}
    assert "fail" not in statuses.values() and "skip" not in statuses.values(), statuses
    assert {k for k, v in statuses.items() if v == "warn"} <= DEMO_WARNINGS
    assert statuses["browser.links"] == statuses["service.connect"] == statuses["service.webhook_signed"] == "pass"
    assert statuses["facts.draft"] == "warn" and statuses["site.https"] == "warn"
    assert "demo-client-secret" not in out.stdout


def test_check_passes_against_the_demo_build_directory(demo):
    out = greenlight_check(demo, "--site", str(demo.data_dir / "site"), "--service", demo.service.url)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 failed" in out.stdout and "WARN  The site is served over https" in out.stdout
    assert "is a loopback demo address; app review needs https" in out.stdout


def test_the_same_facts_with_real_addresses_fail(demo, tmp_path):
    # The warnings above are earned by the loopback addresses, not by the facts: give the demo's
    # facts a real https site and the draft, the demo key and the http service fail again.
    import yaml

    facts = yaml.safe_load(demo.facts_path.read_text())
    facts["urls"]["site"] = "https://clipwise.example"
    path = tmp_path / "real-facts.yml"
    path.write_text(yaml.safe_dump(facts))
    out = greenlight_check(demo, "--site", str(demo.data_dir / "site"), "--no-browser", "--json")
    real = subprocess.run(
        [
            str(BIN / "greenlight"),
            "--facts",
            str(path),
            "check",
            "--site",
            str(demo.data_dir / "site"),
            "--no-browser",
            "--json",
        ],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("GREENLIGHT_", "TIKTOK_"))},
            "TIKTOK_CLIENT_KEY": "sbawdemoclientkey",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0 and real.returncode == 1
    statuses = {c["id"]: c["status"] for c in json.loads(real.stdout)["checks"]}
    assert statuses["facts.draft"] == statuses["facts.client_key"] == statuses["facts.webhook"] == "fail"
