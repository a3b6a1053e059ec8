"""`greenlight serve` says where it serves, and why a rebuild failed: run for real on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from callback.cli import cli
from callback.site.zensical import available as zensical_available
from server_support import free_port
from site_support import project

GREENLIGHT = str(Path(sys.executable).parent / "greenlight")
NOT_INSTALLED = "Zensical is not installed (it needs Python 3.11+): pip install 'greenlight-publish[zensical]'"
GENERATORS = [
    "mkdocs",
    pytest.param("zensical", marks=pytest.mark.skipif(not zensical_available(), reason=NOT_INSTALLED)),
]


class Served:
    """A `greenlight serve` process whose output (stdout and stderr) is read line by line as it comes."""

    def __init__(self, cwd: Path, *args: str) -> None:
        self.port = free_port()
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONUNBUFFERED": "1"}
        env.pop("GREENLIGHT_FACTS", None)
        self.proc = subprocess.Popen(
            [GREENLIGHT, "serve", "--port", str(self.port), *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 60) -> str:
        """Return the output so far once it contains `text`; fail, showing the output, if it never does."""
        deadline = time.monotonic() + timeout
        while text not in "\n".join(self.seen):
            left = deadline - time.monotonic()
            if left <= 0 or (self.proc.poll() is not None and self.lines.empty()):
                pytest.fail(f"never printed {text!r}; output was:\n" + "\n".join(self.seen))
            with contextlib.suppress(queue.Empty):
                self.seen.append(self.lines.get(timeout=min(left, 0.5)))
        return "\n".join(self.seen)

    def stop(self) -> None:
        """Stop the server by its pid, as Ctrl-C would."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


@pytest.fixture
def served(tmp_path, facts_file):
    started: list[Served] = []

    def start(*args: str) -> Served:
        project(tmp_path, facts_file)
        started.append(Served(tmp_path, *args))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def break_a_fact(config: Path) -> None:
    data = yaml.safe_load(config.read_text())
    data["extra"]["app"]["retention"]["tokens_unused_days"] = "ninety"
    config.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.mark.parametrize("generator", GENERATORS)
def test_serve_prints_its_address_and_serves_the_site(served, generator):
    server = served("--generator", generator)
    url = f"http://127.0.0.1:{server.port}/"
    server.wait_for(url)
    body = urllib.request.urlopen(url + "privacy/", timeout=10).read().decode()
    assert "Privacy Policy" in body and "These pages are not in effect yet" in body
    server.stop()
    assert server.proc.returncode is not None


@pytest.mark.parametrize("generator", GENERATORS)
def test_a_broken_fact_while_serving_prints_its_cause(served, tmp_path, generator):
    server = served("--generator", generator)
    server.wait_for(f"http://127.0.0.1:{server.port}/")
    time.sleep(1)  # a change in the same second as the first build could go unnoticed by an mtime watcher
    break_a_fact(tmp_path / "mkdocs.yml")
    output = server.wait_for('extra.app.retention.tokens_unused_days: must be a positive integer, got "ninety"')
    assert "the facts are invalid" in output
    assert "Traceback" not in output


def test_bad_facts_at_start_are_named_and_nothing_is_served(tmp_path, facts_file):
    project(tmp_path, facts_file)
    break_a_fact(tmp_path / "mkdocs.yml")
    old = os.getcwd()
    try:
        os.chdir(tmp_path)
        result = CliRunner().invoke(cli, ["serve", "--port", str(free_port())])
    finally:
        os.chdir(old)
    assert result.exit_code == 1
    assert "extra.app.retention.tokens_unused_days: must be a positive integer" in result.output


@pytest.mark.parametrize("generator", GENERATORS)
def test_a_port_in_use_is_named_without_a_traceback(tmp_path, facts_file, generator):
    project(tmp_path, facts_file)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
        run = subprocess.run(
            [GREENLIGHT, "serve", "--port", str(port), "--generator", generator],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert run.returncode == 1
    assert f"cannot serve on 127.0.0.1:{port}: Address already in use" in run.stderr
    assert "Traceback" not in run.stderr


def test_help_shows_the_default_port_but_no_fixed_address():
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    words = " ".join(result.output.split())  # as wrapped at any terminal width
    assert "--port INTEGER The port on 127.0.0.1 to serve on. [default: 8000]" in words
    assert "127.0.0.1:8000" not in words and "http://" not in words
    assert "--generator [mkdocs|zensical]" in words
