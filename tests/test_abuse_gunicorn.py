"""The shipped gunicorn.conf.py under abuse: stalled bodies, broken chunked framing, two servers on one machine."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from data_support import snapshot
from server_support import free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
META_SECRET = "test-meta-app-secret"


def healthz(port: int, timeout: float) -> tuple[float, bytes]:
    """GET /healthz on a new connection; return how long the answer took and its status line."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        line = s.recv(64).split(b"\r\n")[0]
    return time.monotonic() - start, line


class Service:
    """One gunicorn started with the repository's gunicorn.conf.py, its output in a file."""

    def __init__(self, env: dict, log: Path):
        self.env, self.log, self.port = env, log, int(env["GREENLIGHT_BIND"].rsplit(":", 1)[1])
        self.data_dir = Path(env["GREENLIGHT_DATA_DIR"])
        with open(log, "w") as out:
            self.proc = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_up(self, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"gunicorn exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if healthz(self.port, 1)[1].endswith(b" 200 OK"):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"gunicorn did not come up:\n{self.output()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def make_env(tmp_path, facts_file):
    """Build the environment of one service: its own port and data directory, a private HOME and runtime dir."""
    facts = facts_file(
        urls__service="http://127.0.0.1:5000",
        platforms__tiktok__app_type="desktop",
        platforms__meta={"enabled": True, "scopes": ["instagram_basic"]},
    )
    home, run = tmp_path / "home", tmp_path / "run"
    home.mkdir(exist_ok=True)
    run.mkdir(mode=0o700, exist_ok=True)

    def make(name: str = "a", workers: int = 2) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GREENLIGHT_", "TIKTOK_", "META_"))}
        env.update(
            GREENLIGHT_BIND=f"127.0.0.1:{free_port()}",
            GREENLIGHT_WORKERS=str(workers),
            GREENLIGHT_FACTS=str(facts),
            GREENLIGHT_DATA_DIR=str(tmp_path / f"data-{name}"),
            GREENLIGHT_SECRET_KEY="abuse-test-secret-key",
            TIKTOK_CLIENT_KEY="sbawtestclientkey",
            TIKTOK_CLIENT_SECRET="test-client-secret-0123456789",
            META_APP_SECRET=META_SECRET,
            GREENLIGHT_PURGE_INTERVAL_HOURS="0",  # no purge stamp appearing mid-test
            GREENLIGHT_DELETION_RATE_LIMIT="1000",
            HOME=str(home),
            XDG_RUNTIME_DIR=str(run),
        )
        return env

    return make


@pytest.fixture
def service(make_env, tmp_path):
    started = []

    def start(env: dict) -> Service:
        svc = Service(env, tmp_path / f"gunicorn-{len(started)}.log")
        started.append(svc)
        svc.wait_up()
        return svc

    yield start
    for svc in started:
        svc.stop()


# -- slow bodies --

STALLED = (
    (b"POST /webhooks/tiktok HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTikTok-Signature: t=1,s=")
    + b"0" * 64
    + b"\r\nContent-Length: 1000\r\n\r\n{"
)


@pytest.mark.slow
def test_healthz_answers_within_a_second_beside_64_stalled_bodies(service, make_env):
    svc = service(make_env(workers=4))  # 4 workers, as on a small machine
    stalled = []
    try:
        for _ in range(64):  # each announces 1000 bytes of body and sends one
            s = socket.create_connection(("127.0.0.1", svc.port), timeout=5)
            s.sendall(STALLED)
            stalled.append(s)
        time.sleep(0.5)  # let the workers take them up
        for _ in range(8):  # new connections, so the kernel spreads them over the workers' sockets
            try:
                took, line = healthz(svc.port, timeout=1.0)
            except OSError as exc:  # socket.timeout: the service did not answer within the second
                pytest.fail(f"/healthz did not answer beside 64 stalled bodies: {exc!r}")
            assert line.endswith(b" 200 OK") and took < 1.0, (line, took)
    finally:
        for s in stalled:
            s.close()
        svc.stop()
    assert "Traceback" not in svc.output()


# -- broken chunked framing --

BROKEN_CHUNKS = [b"zz\r\n\r\n", b"-1\r\n\r\n", b"3\r\nabcXX0\r\n\r\n", b"3\r\nab"]


def raw_chunked_post(port: int, path: str, body: bytes, close: bool) -> bytes:
    """Send one chunked POST as raw bytes and return all the service answers before it closes."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Transfer-Encoding: chunked\r\n{'Connection: close' + chr(13) + chr(10) if close else ''}\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(head.encode() + body)
        s.shutdown(socket.SHUT_WR)  # the truncated body ends here
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out


@pytest.mark.slow
def test_broken_chunked_bodies_are_400s_that_change_nothing(service, make_env):
    svc = service(make_env())
    before = snapshot(svc.data_dir)
    answers = {}
    for path in ("/webhooks/tiktok", "/meta/data-deletion", "/deletion"):
        for body in BROKEN_CHUNKS:
            for close in (True, False):
                answers[path, body, close] = raw_chunked_post(svc.port, path, body, close)
    svc.stop()
    for (path, body, close), out in answers.items():
        head, _, page = out.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400 "), (path, body, close, out[:200])
        assert b" 500 " not in out and b"Traceback" not in out
        if path == "/deletion":
            assert b"text/html" in head and b"That request could not be used" in page
        else:
            assert b"application/json" in head and b'"error":"bad_request"' in page.replace(b" ", b"")
    assert snapshot(svc.data_dir) == before
    log = svc.output()
    assert "Traceback" not in log and "[ERROR]" not in log and "unexpected error" not in log, log[-3000:]


# -- one machine, two services --


def control_sockets(*places: Path) -> list[Path]:
    """Every gunicorn control socket under these directories."""
    return [p for place in places if place.exists() for p in place.rglob("*.ctl")]


@pytest.mark.slow
def test_stopping_one_service_leaves_the_other_its_control_socket(service, make_env, tmp_path):
    first, second = service(make_env("a")), service(make_env("b"))
    home, run = Path(first.env["HOME"]), Path(first.env["XDG_RUNTIME_DIR"])
    # gunicorn 25+ would put both at $XDG_RUNTIME_DIR/gunicorn.ctl (else ~/.gunicorn/): nothing may be shared.
    assert control_sockets(home, run) == []
    mine = {svc: control_sockets(svc.data_dir) for svc in (first, second)}
    first.stop()
    assert healthz(second.port, 5)[1].endswith(b" 200 OK")
    assert all(p.exists() for p in mine[second])  # if the config gives each its own socket, it survives
    assert control_sockets(home, run) == []
