"""Benchmark signed webhooks under gunicorn against baselines served side by side in the same run.

Run: .venv/bin/python benchmarks/webhooks.py   (exits 1 when a target is missed)

Three gunicorns, each with the repository's gunicorn.conf.py (same worker class and count), serve on
127.0.0.1, each with a fresh data directory:
- Greenlight (`callback:create_app()`);
- Flask's hello world (benchmarks/baselines.py `hello`), GET /healthz;
- a naive durable signed webhook (baselines.py `naive`): verify, append, fsync, 200.
wrk drives 32 connections for a fixed time, in alternating rounds so that whatever else the machine is
doing weighs on all alike: each ratio compares two runs of one round, taken in turn (baseline first in even
rounds, Greenlight first in odd ones, so that a drift over the round favours neither). On a shared 2-core VM
one round's ratio of two identical servers ranges over about +-15 %, hence many short rounds and the median.
Webhook requests are each a different signed `post.publish.complete` event
(pre-signed here, read by a Lua script as sent). Targets, on the median round:
- Greenlight's webhook throughput >= 1.0 x the naive webhook's;
- Greenlight's /healthz throughput >= 0.9 x the hello world's;
- Greenlight's webhook p99 <= 1.5 x the hello world's p99;
- every event Greenlight acknowledged with 200 ("ok", id echoed) is in its receipt log.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callback.sandbox.webhooks import signature, webhook_body  # noqa: E402

CONNECTIONS, THREADS, SECONDS, WARMUP, ROUNDS = 32, 2, 3, 2, 15
TARGET_NAIVE, TARGET_HELLO, TARGET_P99 = 1.0, 0.9, 1.5
EVENTS_PER_THREAD = 100_000  # more than a thread can send in all rounds: every request is a new event
CLIENT_KEY, CLIENT_SECRET = "benchclientkey", "bench-client-secret-0123456789"

LUA_COMMON = r"""
local threads, counter = {}, 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function done(summary, latency, requests)
  local ok, dup, bad, sent = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    ok = ok + (t:get("ok") or 0); dup = dup + (t:get("dup") or 0); bad = bad + (t:get("bad") or 0)
    sent = math.max(sent, t:get("n") or 0)
  end
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %d, "seconds": %.3f, "p50_us": %d, "p99_us": %d, ' ..
    '"ok": %d, "dup": %d, "bad": %d, "sent": %d, "socket_errors": %d, "status_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    ok, dup, bad, sent, e.connect + e.read + e.write + e.timeout, e.status))
end
"""

LUA_WEBHOOKS = (
    LUA_COMMON
    + r"""
function init(args)
  -- Each request is built from the next line of this thread's file when it is sent: building all of them
  -- up front would cost the load generator (on the same cores as the service) a large heap to scan.
  acks, n, ok, dup, bad = {}, 0, 0, 0, 0
  lines = io.lines(args[1] .. "/events-" .. id .. ".txt")
  for _ = 1, tonumber(args[2]) do lines() end  -- events already sent by earlier rounds are skipped
end
function request()
  n = n + 1
  local line = lines() or error("out of pre-signed events: raise EVENTS_PER_THREAD")
  local tab = line:find("\t", 1, true)
  return wrk.format("POST", "/webhooks/tiktok",
    {["Content-Type"] = "application/json", ["TikTok-Signature"] = line:sub(1, tab - 1)}, line:sub(tab + 1))
end
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1; return end
  if body:find('"status":"ok"', 1, true) then
    ok = ok + 1
    acks[ok] = body:match('"id":"(%x+)"')
  else
    dup = dup + 1
  end
end
"""
)
# `done` runs in wrk's main thread: it collects each thread's acknowledged ids into one file.
LUA_WEBHOOKS = LUA_WEBHOOKS.replace(
    "function done(summary, latency, requests)",
    """function done(summary, latency, requests)
  local out = io.open(ack_path, "w")
  for _, t in ipairs(threads) do
    for _, ack in ipairs(t:get("acks")) do out:write(ack, "\\n") end
  end
  out:close()""",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_service(work: Path, name: str, app: str) -> tuple[subprocess.Popen, str]:
    """Start gunicorn with the repository's config serving `app`; return it and its base URL once it answers."""
    port, data = free_port(), work / name
    env = {
        **os.environ,
        "GREENLIGHT_BIND": f"127.0.0.1:{port}",
        "GREENLIGHT_DATA_DIR": str(data),
        "GREENLIGHT_FACTS": str(ROOT / "mkdocs.yml"),
        "GREENLIGHT_SECRET_KEY": "bench-" + "k" * 32,
        "TIKTOK_CLIENT_KEY": CLIENT_KEY,
        "TIKTOK_CLIENT_SECRET": CLIENT_SECRET,
        "GREENLIGHT_ACCESS_LOG": str(work / f"{name}-access.log"),
        "PYTHONPATH": str(ROOT),
    }
    out = work / f"{name}.out"
    with open(out, "w") as stdout:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "gunicorn.conf.py", app],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    probe = "/healthz" if name != "naive" else "/"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=1).read()
            return proc, f"http://127.0.0.1:{port}"
        except urllib.error.HTTPError:
            return proc, f"http://127.0.0.1:{port}"  # it answers (the naive app has no / route)
        except OSError:
            if proc.poll() is not None:
                sys.exit(f"gunicorn ({name}) did not start:\n" + out.read_text()[-2000:])
            time.sleep(0.2)
    proc.kill()
    sys.exit(f"gunicorn ({name}) did not answer within 30 s")


def write_events(work: Path) -> None:
    """Pre-sign unique events, one file per wrk thread: `<signature>\\t<body>` per line."""
    now = int(time.time())
    for thread in range(THREADS):
        with open(work / f"events-{thread}.txt", "w") as fh:
            for i in range(EVENTS_PER_THREAD):
                body = webhook_body(
                    CLIENT_KEY,
                    "post.publish.complete",
                    f"-000bench{i % 97}",
                    {"publish_id": f"v_pub_bench_{thread}_{i}"},
                    now,
                )
                fh.write(signature(CLIENT_SECRET, now, body) + "\t" + body.decode() + "\n")


def wrk(url: str, script: Path, seconds: int, *args: str) -> dict:
    """Run wrk; return the RESULT line its Lua `done` prints."""
    out = subprocess.run(
        [
            "wrk",
            f"-t{THREADS}",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(script),
            url,
            *(["--", *args] if args else []),
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        sys.exit(f"wrk failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(line[len("RESULT ") :])


def on_disk(data_dir: Path) -> list[str]:
    """Event ids in the receipt log (what survives: the file the service fsync'd before each 200)."""
    return [json.loads(x)["id"] for x in (data_dir / "webhooks.jsonl").read_text().splitlines() if '"id"' in x]


def rate(result: dict) -> float:
    return result["requests"] / result["seconds"]


def main() -> int:
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: run `make system-deps`")
    work = Path(tempfile.mkdtemp(prefix="greenlight-bench-"))
    servers = {}
    try:
        (work / "health.lua").write_text(
            LUA_COMMON
            + (
                "function init(args) ok, dup, bad = 0, 0, 0 end\n"
                "function response(status) if status == 200 then ok = ok + 1 "
                "else bad = bad + 1 end end\n"
            )
        )
        (work / "webhooks.lua").write_text(f"ack_path = {json.dumps(str(work / 'acks.txt'))}\n" + LUA_WEBHOOKS)
        write_events(work)
        for name, app in (
            ("greenlight", "callback:create_app()"),
            ("hello", "benchmarks.baselines:hello()"),
            ("naive", "benchmarks.baselines:naive()"),
        ):
            servers[name] = start_service(work, name, app)
        url = {name: base for name, (_, base) in servers.items()}
        rounds, sent = [], {"greenlight": 0, "naive": 0}
        for name in ("hello", "greenlight"):
            wrk(url[name] + "/healthz", work / "health.lua", WARMUP)
        for i in range(ROUNDS):
            order = -1 if i % 2 else 1
            r = {}
            for name, base in (("hello", "hello"), ("health", "greenlight"))[::order]:
                r[name] = wrk(url[base] + "/healthz", work / "health.lua", SECONDS)
            for name in ("naive", "greenlight")[::order]:
                r[name] = wrk(
                    url[name] + "/webhooks/tiktok", work / "webhooks.lua", SECONDS, str(work), str(sent[name])
                )
                sent[name] += r[name]["sent"]  # the next round starts after the events this one took
                if name == "greenlight":
                    (work / f"acks-{i}.txt").write_text((work / "acks.txt").read_text())
            rounds.append(r)
    finally:
        for proc, _ in servers.values():
            os.killpg(proc.pid, signal.SIGTERM)
        for proc, _ in servers.values():
            proc.wait(timeout=30)
    try:
        acked = [x for i in range(len(rounds)) for x in (work / f"acks-{i}.txt").read_text().split()]
        stored = on_disk(work / "greenlight")
        lost = set(acked) - set(stored)
        print(
            f"gunicorn.conf.py ({os.environ.get('GREENLIGHT_WORKER_CLASS', 'gevent')} workers) for all three, "
            f"{CONNECTIONS} connections, wrk {THREADS} threads, {ROUNDS} rounds of 4 x {SECONDS} s (medians below)"
        )
        ratios = []
        for i, r in enumerate(rounds, 1):
            naive, hook = r["naive"], r["greenlight"]
            ratios.append(
                (
                    rate(hook) / rate(naive),
                    rate(r["health"]) / rate(r["hello"]),
                    hook["p99_us"] / max(r["hello"]["p99_us"], 1),
                )
            )
            print(
                f"round {i}: hello {rate(r['hello']):6.0f}/s p99 {r['hello']['p99_us'] / 1000:6.2f} ms | "
                f"healthz {rate(r['health']):6.0f}/s | naive webhook {rate(naive):6.0f}/s p99 "
                f"{naive['p99_us'] / 1000:6.2f} ms | webhook {rate(hook):6.0f}/s p99 {hook['p99_us'] / 1000:6.2f} ms"
            )
        vs_naive = statistics.median(x for x, _, _ in ratios)
        vs_hello = statistics.median(y for _, y, _ in ratios)
        p99 = statistics.median(z for _, _, z in ratios)
        dup = sum(r["greenlight"]["dup"] for r in rounds)
        bad = sum(r["greenlight"]["bad"] for r in rounds)
        print(f"webhook throughput / naive durable webhook: {vs_naive:.2f}  (target >= {TARGET_NAIVE})")
        print(f"/healthz throughput / Flask hello world:    {vs_hello:.2f}  (target >= {TARGET_HELLO})")
        print(f"webhook p99 / hello-world p99:              {p99:.2f}  (target <= {TARGET_P99})")
        print(
            f"acknowledged {len(acked)}, on disk {len(stored)} ({len(set(stored))} distinct), lost {len(lost)}, "
            f"duplicates answered {dup}, non-200 {bad}"
        )
        missed = []
        if vs_naive < TARGET_NAIVE:
            missed.append(f"webhook / naive {vs_naive:.2f} < {TARGET_NAIVE}")
        if vs_hello < TARGET_HELLO:
            missed.append(f"healthz / hello {vs_hello:.2f} < {TARGET_HELLO}")
        if p99 > TARGET_P99:
            missed.append(f"webhook p99 / hello p99 {p99:.2f} > {TARGET_P99}")
        if lost or not acked:
            missed.append(f"{len(lost)} acknowledged event(s) missing on disk" if lost else "no event acknowledged")
        if bad or dup or len(stored) != len(set(stored)):
            missed.append("errors, duplicates or repeated receipts during the run")
        for m in missed:
            print("MISSED:", m)
        return 1 if missed else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
