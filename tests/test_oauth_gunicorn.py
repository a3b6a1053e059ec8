"""The service under gunicorn with the repository's gunicorn.conf.py, and under `flask run`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from server_support import free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def wait_up(url: str, proc: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}: {proc.stdout.read()}")
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("server did not come up")


@pytest.fixture
def service_env(sandbox, app_config, facts_file, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    facts = facts_file(urls__service=url, platforms__tiktok__app_type="desktop")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GREENLIGHT_", "TIKTOK_"))}
    env.update(
        GREENLIGHT_BIND=f"127.0.0.1:{port}",
        GREENLIGHT_WORKERS="2",
        GREENLIGHT_FACTS=str(facts),
        GREENLIGHT_DATA_DIR=str(tmp_path / "data"),
        GREENLIGHT_SECRET_KEY="gunicorn-test-secret-key",
        TIKTOK_CLIENT_KEY=app_config["TIKTOK_CLIENT_KEY"],
        TIKTOK_CLIENT_SECRET=app_config["TIKTOK_CLIENT_SECRET"],
        GREENLIGHT_TIKTOK_AUTH_BASE=sandbox.url,
        GREENLIGHT_TIKTOK_API_BASE=sandbox.url,
    )
    return url, env


@pytest.mark.slow
def test_gunicorn_serves_the_connect_flow_and_logs_no_code_or_token(service_env, sandbox, tmp_path):
    url, env = service_env
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_up(url, proc)
        s = requests.Session()
        r = s.get(url + "/connect/tiktok", allow_redirects=False, timeout=5)
        back = sandbox.approve(r.headers["Location"])
        code = dict(parse_qsl(urlsplit(back).query))["code"]
        final = s.get(back, timeout=10)
        assert final.status_code == 200 and "Connected as Sandbox Creator" in final.text
        replay = s.get(back, timeout=10)  # served by either worker: the state is shared on disk
        assert replay.status_code == 400 and "already used" in replay.text
    finally:
        proc.terminate()
        log = proc.communicate(timeout=30)[0]
    assert '"GET /callback/tiktok HTTP/1.1" 303' in log  # the access log is on, without the query string
    access = [line for line in log.splitlines() if '"GET /' in line]
    assert access and not any("127.0.0.1" in line for line in access)  # nor the client's address
    from callback.data.tokens import TokenStore

    (acc,) = TokenStore(env["GREENLIGHT_DATA_DIR"]).list()
    for secret in (
        code,
        acc["access_token"],
        acc["refresh_token"],
        env["TIKTOK_CLIENT_SECRET"],
        env["GREENLIGHT_SECRET_KEY"],
    ):
        assert secret not in log


@pytest.mark.slow
def test_gunicorn_workers_share_one_deletion_rate_limit(service_env):
    url, env = service_env  # two workers, each on its own socket: new connections go to either
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_up(url, proc)
        # A new connection each time; no CSRF token, so an allowed post is a 400 and a limited one a 429.
        codes = [requests.post(url + "/deletion", data={}, timeout=5).status_code for _ in range(12)]
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert codes == [400] * 5 + [429] * 7


@pytest.mark.slow
def test_gunicorn_refuses_to_start_without_a_secret_and_names_it(service_env):
    _url, env = service_env
    del env["TIKTOK_CLIENT_SECRET"]
    proc = subprocess.run(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], cwd=ROOT, env=env, timeout=30, capture_output=True, text=True
    )
    assert proc.returncode != 0 and "TIKTOK_CLIENT_SECRET" in proc.stdout + proc.stderr


def listeners(port: int) -> int:
    """Count the sockets listening on a loopback TCP port (state 0A in /proc/net/tcp)."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for r in rows if r.split()[1] == f"0100007F:{port:04X}" and r.split()[3] == "0A")


@pytest.mark.slow
def test_each_worker_listens_itself_and_a_second_server_is_refused(service_env):
    url, env = service_env
    port = int(url.rsplit(":", 1)[1])
    first = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_up(url, first)
        deadline = time.time() + 10
        while listeners(port) < 2 and time.time() < deadline:
            time.sleep(0.1)
        # One socket per worker (GREENLIGHT_WORKERS=2): the kernel, not a race between workers, spreads clients.
        assert listeners(port) == 2
        second = subprocess.run(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            timeout=30,
            capture_output=True,
            text=True,
        )
        assert second.returncode != 0
        assert f"127.0.0.1:{port} is in use" in second.stdout + second.stderr
        assert requests.get(url + "/healthz", timeout=5).status_code == 200  # the first one still serves alone
        assert listeners(port) == 2
    finally:
        first.terminate()
        first.wait(timeout=30)


@pytest.mark.slow
def test_flask_run_works_for_development(service_env):
    url, env = service_env
    port = url.rsplit(":", 1)[1]
    proc = subprocess.Popen(
        [str(BIN / "flask"), "--app", "callback", "run", "--port", port],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_up(url, proc)
        r = requests.get(url + "/connect/tiktok", allow_redirects=False, timeout=5)
        assert r.status_code == 302 and "code_challenge=" in r.headers["Location"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
