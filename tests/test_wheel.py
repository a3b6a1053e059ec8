"""An installed wheel (not the source checkout) can start, build and check a site of its own."""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def clean_env() -> dict:
    """The environment of a user outside this checkout: no Greenlight settings, no extra import path."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GREENLIGHT_") and k != "PYTHONPATH"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding the wheel built from this tree; its dependencies come from the test venv."""
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), str(ROOT)],
                   check=True, capture_output=True, env=clean_env())
    wheel = next((tmp / "dist").glob("*.whl"))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=clean_env())
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
                    "--no-deps", str(wheel)], check=True, capture_output=True, env=clean_env())
    # Dependencies without a download: a plain path entry, so the test venv's editable checkout stays invisible.
    site = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin" / "python"), *args], cwd=cwd, env=clean_env(), capture_output=True, text=True,
                          timeout=120)


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
