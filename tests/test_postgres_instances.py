"""Two gunicorn instances on one PostgreSQL database, as behind a load balancer: every promise holds across them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from callback.data.backends import open_backend
from callback.sandbox.webhooks import send_webhook
from server_support import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET_KEY = "instances-test-secret-key"  # one for every instance: a session begun on one is read on the other


class Instances:
    """Two gunicorns (A and B) with their own data directories and one database; the facts' service URL is B's."""

    def __init__(self, env: dict, urls: list[str], procs: list[subprocess.Popen], settings: dict):
        self.env, self.urls, self.procs, self.settings = env, urls, procs, settings

    def backend(self):
        return open_backend(self.settings)


def start(env: dict, url: str, log: Path) -> subprocess.Popen:
    with open(log, "w") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.time() + 30
    while time.time() < deadline:
        assert proc.poll() is None, log.read_text()[-2000:]
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return proc
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not come up: " + log.read_text()[-2000:])


@pytest.fixture
def instances(pg_url, sandbox, app_config, facts_file, tmp_path):
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    # The facts declare the database (the policy prints where data lives): the service refuses a mismatch.
    facts = facts_file(urls__service=urls[1], platforms__tiktok__app_type="desktop", storage="database")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GREENLIGHT_", "TIKTOK_"))}
    base.update(
        GREENLIGHT_DATABASE_URL=pg_url,
        GREENLIGHT_FACTS=str(facts),
        GREENLIGHT_SECRET_KEY=SECRET_KEY,
        GREENLIGHT_WORKERS="2",
        GREENLIGHT_PURGE_INTERVAL_HOURS="0",
        TIKTOK_CLIENT_KEY=app_config["TIKTOK_CLIENT_KEY"],
        TIKTOK_CLIENT_SECRET=app_config["TIKTOK_CLIENT_SECRET"],
        GREENLIGHT_TIKTOK_AUTH_BASE=sandbox.url,
        GREENLIGHT_TIKTOK_API_BASE=sandbox.url,
        GREENLIGHT_HTTP_TIMEOUT="2",
        GREENLIGHT_HTTP_BACKOFF="0.01",
    )
    procs = []
    try:
        for name, port, url in zip("AB", ports, urls, strict=True):
            env = {
                **base,
                "GREENLIGHT_BIND": f"127.0.0.1:{port}",
                "GREENLIGHT_DATA_DIR": str(tmp_path / f"data-{name}"),
            }
            procs.append(start(env, url, tmp_path / f"gunicorn-{name}.log"))
        yield Instances(base, urls, procs, {"DATABASE_URL": pg_url})
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)


def test_a_connect_begun_on_one_instance_finishes_on_the_other_and_eight_processes_refresh_once(instances, sandbox):
    s = requests.Session()
    r = s.get(instances.urls[0] + "/connect/tiktok", allow_redirects=False, timeout=5)  # begun on A
    back = sandbox.approve(r.headers["Location"])
    assert back.startswith(instances.urls[1] + "/callback/tiktok")  # TikTok sends the browser to B
    final = s.get(back, timeout=10)
    assert final.status_code == 200 and "Connected as Sandbox Creator" in final.text
    assert s.get(back.replace(instances.urls[1], instances.urls[0]), timeout=10).status_code == 400  # used, on A too

    store = instances.backend().store
    (acc,) = store.list()
    store.update(acc["open_id"], expires_at=time.time() + 5)
    sandbox.state.calls.clear()
    sandbox.fault("token", "slow", count=1, delay=0.5)  # the one refresh is slow: the others queue behind it
    env = {**instances.env, "GREENLIGHT_DATA_DIR": "/nonexistent-data-dir"}  # the database is all they may use
    stop = threading.Event()

    def traffic() -> None:  # both instances busy with the same database meanwhile
        i = 0
        while not stop.is_set():
            send_webhook(
                instances.urls[i % 2] + "/webhooks/tiktok",
                sandbox.client.key,
                sandbox.client.secret,
                "post.publish.complete",
                acc["open_id"],
                {"publish_id": f"v_{i}"},
            )
            i += 1

    thread = threading.Thread(target=traffic)
    thread.start()
    try:
        procs = [
            subprocess.Popen(
                [str(BIN / "greenlight"), "token"],
                cwd=ROOT,
                env=env,
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(8)
        ]
        results = [p.communicate(timeout=60) for p in procs]
    finally:
        stop.set()
        thread.join(30)
    assert [p.returncode for p in procs] == [0] * 8, [err for _, err in results]
    tokens = {out.strip() for out, _ in results}
    assert len(tokens) == 1 and sandbox.calls("token.refresh_token") == 1
    (token,) = tokens
    assert token != acc["access_token"] and store.get(acc["open_id"])["access_token"] == token
    assert not Path("/nonexistent-data-dir").exists()


def test_the_same_webhook_to_both_instances_is_recorded_once(instances, sandbox):
    ts = int(time.time())

    def deliver(i: int) -> requests.Response:
        return send_webhook(
            instances.urls[i % 2] + "/webhooks/tiktok",
            sandbox.client.key,
            sandbox.client.secret,
            "post.publish.failed",
            "-000someone",
            {"publish_id": "v_dup", "reason": "x"},
            timestamp=ts,
        )

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(deliver, range(32)))
    assert [a.status_code for a in answers] == [200] * 32
    assert sorted(a.json()["status"] for a in answers) == ["duplicate"] * 31 + ["ok"]
    receipts = instances.backend().records.events.receipts()
    assert [r["content"]["publish_id"] for r in receipts] == ["v_dup"]


def test_killing_an_instance_during_concurrent_webhooks_loses_no_acknowledged_event(instances, sandbox):
    acked, stop = [], threading.Event()
    lock = threading.Lock()

    def sender(n: int) -> None:
        i = 0
        while not stop.is_set():
            url = instances.urls[(n + i) % 2] + "/webhooks/tiktok"
            try:
                r = send_webhook(
                    url,
                    sandbox.client.key,
                    sandbox.client.secret,
                    "post.publish.complete",
                    f"-000user{n}",
                    {"publish_id": f"v_{n}_{i}"},
                    timeout=5,
                )
                if r.status_code == 200 and r.json()["status"] == "ok":
                    with lock:
                        acked.append(r.json()["id"])
            except requests.RequestException:
                pass  # the killed instance: not acknowledged, so TikTok would deliver it again
            i += 1

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(32)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    os.killpg(instances.procs[0].pid, signal.SIGKILL)  # instance A, master and workers, mid-request
    killed_at = len(acked)
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join(30)
    instances.procs[0].wait(timeout=10)
    assert killed_at > 32 and len(acked) > killed_at  # B went on acknowledging
    stored = {r["id"] for r in instances.backend().records.events.receipts()}
    assert not set(acked) - stored, f"{len(set(acked) - stored)} acknowledged events lost"
    assert len(acked) == len(set(acked))
