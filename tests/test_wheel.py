"""An installed wheel (not the source checkout) can start, build and check a site of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from server_support import answers, free_port

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def clean_env() -> dict:
    """The environment of a user outside this checkout: no Greenlight settings, no extra import path."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GREENLIGHT_") and k != "PYTHONPATH"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding the wheel built from this tree; its dependencies come from the test venv."""
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
        env=clean_env(),
    )
    wheel = next((tmp / "dist").glob("*.whl"))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=clean_env())
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "-q",
            "--no-deps",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        env=clean_env(),
    )
    # Dependencies without a download: a plain path entry, so the test venv's editable checkout stays invisible.
    site = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(venv / "bin" / "python"), *args], cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=120
    )


def test_an_installed_wheel_can_init_and_build_a_site(installed, tmp_path):
    """One test, not several: pip builds in the source tree, so two workers must not build at once."""
    where = run(installed, "-c", "import callback; print(callback.__file__)", cwd=tmp_path).stdout
    assert str(installed) in where and str(ROOT) not in where  # the wheel is what runs
    greenlight = str(installed / "bin" / "greenlight")
    init = run(installed, greenlight, "init", "mysite", "--name", "Test App", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    site = tmp_path / "mysite"
    built = run(installed, greenlight, "build", cwd=site)
    assert built.returncode == 0, built.stderr
    page = (site / "site" / "privacy" / "index.html").read_text()
    assert "Test App" in page and "Privacy" in page
    assert (site / "site" / "assets" / "greenlight.css").is_file()  # the packaged theme came along
    (site / "site").rename(site / "site-greenlight")
    plain = run(installed, "-m", "mkdocs", "build", "-q", cwd=site)
    assert plain.returncode == 0, plain.stderr
    assert "Test App" in (site / "site" / "index.html").read_text()

    # check runs offline against the build (the starter's facts are a draft: it may fail, never crash)
    # (--no-browser: Chromium is tests/test_check_browser.py's subject; here it only adds load-dependent noise)
    checked = run(installed, greenlight, "check", "--no-browser", cwd=site)
    assert "Traceback" not in checked.stderr and " passed, " in checked.stdout, checked.stdout + checked.stderr
    assert run(installed, greenlight, "--version", cwd=site).stdout.startswith("greenlight ")
    wrote = run(installed, greenlight, "examples", "share", cwd=tmp_path)
    assert wrote.returncode == 0, wrote.stderr
    assert (tmp_path / "share" / "deploy" / "greenlight.service").is_file()
    assert (tmp_path / "share" / "examples" / "creator-tiktok-only.yml").is_file()

    # the service starts from the wheel with its packaged gunicorn settings
    port = free_port()
    env = {
        **clean_env(),
        "GREENLIGHT_BIND": f"127.0.0.1:{port}",
        "GREENLIGHT_SECRET_KEY": "w" * 40,
        "TIKTOK_CLIENT_KEY": "sbawwheeltest",
        "TIKTOK_CLIENT_SECRET": "wheel-secret-0123456789",
        "GREENLIGHT_WORKERS": "1",
        "GREENLIGHT_ACCESS_LOG": str(tmp_path / "access.log"),
    }
    proc = subprocess.Popen(
        [greenlight, "run"], cwd=site, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        assert answers(port, 40), proc.stdout and proc.stdout.read1(4000)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    assert (site / "instance").is_dir()  # the data directory beside the facts file
