"""Benchmark signed webhooks under gunicorn: throughput against /healthz, p99 latency, zero lost events.

Run: .venv/bin/python benchmarks/webhooks.py   (exits 1 when a target is missed)

One gunicorn (the repository's gunicorn.conf.py, unchanged) serves both runs on 127.0.0.1, with a fresh
data directory. wrk drives 32 connections for a fixed time, in alternating rounds so that whatever else
the machine is doing weighs on both alike:
- baseline: GET /healthz, the same app's hello-world route;
- webhooks: POST /webhooks/tiktok, every request a different signed `post.publish.complete` event
  (pre-signed here, replayed by a Lua script), each one fsync'd to disk before its 200.
The targets are checked on the median round. Then every event acknowledged with 200 ("ok", with its
id echoed) in any round must be found in the receipt log.
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
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callback.sandbox.webhooks import signature, webhook_body  # noqa: E402

CONNECTIONS, THREADS, SECONDS, WARMUP, ROUNDS = 32, 2, 4, 2, 5
TARGET_RATIO, TARGET_P99_MS = 0.5, 30.0
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

LUA_WEBHOOKS = LUA_COMMON + r"""
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
# `done` runs in wrk's main thread: it collects each thread's acknowledged ids into one file.
LUA_WEBHOOKS = LUA_WEBHOOKS.replace("function done(summary, latency, requests)", """function done(summary, latency, requests)
  local out = io.open(ack_path, "w")
  for _, t in ipairs(threads) do
    for _, ack in ipairs(t:get("acks")) do out:write(ack, "\\n") end
  end
  out:close()""")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_service(work: Path, port: int) -> subprocess.Popen:
    """Start gunicorn with the repository's config; return once /healthz answers."""
    env = {**os.environ, "GREENLIGHT_BIND": f"127.0.0.1:{port}", "GREENLIGHT_DATA_DIR": str(work / "data"),
           "GREENLIGHT_FACTS": str(ROOT / "mkdocs.yml"), "GREENLIGHT_SECRET_KEY": "bench-" + "k" * 32,
           "TIKTOK_CLIENT_KEY": CLIENT_KEY, "TIKTOK_CLIENT_SECRET": CLIENT_SECRET,
           "GREENLIGHT_ACCESS_LOG": str(work / "access.log")}
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "gunicorn.conf.py"], cwd=ROOT, env=env,
                            stdout=open(work / "gunicorn.out", "w"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return proc
        except OSError:
            if proc.poll() is not None:
                sys.exit("gunicorn did not start:\n" + (work / "gunicorn.out").read_text()[-2000:])
            time.sleep(0.2)
    proc.kill()
    sys.exit("gunicorn did not answer /healthz within 30 s")


def write_events(work: Path) -> None:
    """Pre-sign unique events, one file per wrk thread: `<signature>\\t<body>` per line."""
    now = int(time.time())
    for thread in range(THREADS):
        with open(work / f"events-{thread}.txt", "w") as fh:
            for i in range(EVENTS_PER_THREAD):
                body = webhook_body(CLIENT_KEY, "post.publish.complete", f"-000bench{i % 97}",
                                    {"publish_id": f"v_pub_bench_{thread}_{i}"}, now)
                fh.write(signature(CLIENT_SECRET, now, body) + "\t" + body.decode() + "\n")


def wrk(url: str, script: Path, seconds: int, *args: str) -> dict:
    """Run wrk; return the RESULT line its Lua `done` prints."""
    out = subprocess.run(["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "5s",
                          "-s", str(script), url, *(["--", *args] if args else [])],
                         capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        sys.exit(f"wrk failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(line[len("RESULT "):])


def on_disk(data_dir: Path) -> list[str]:
    """Event ids in the receipt log (what survives: the file the service fsync'd before each 200)."""
    return [json.loads(x)["id"] for x in (data_dir / "webhooks.jsonl").read_text().splitlines() if '"id"' in x]


def main() -> int:
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: run `make system-deps`")
    work = Path(tempfile.mkdtemp(prefix="greenlight-bench-"))
    try:
        (work / "health.lua").write_text(LUA_COMMON + "function init(args) ok, dup, bad = 0, 0, 0 end\n"
                                         "function response(status) if status == 200 then ok = ok + 1 "
                                         "else bad = bad + 1 end end\n")
        (work / "webhooks.lua").write_text(f"ack_path = {json.dumps(str(work / 'acks.txt'))}\n" + LUA_WEBHOOKS)
        write_events(work)
        port = free_port()
        proc = start_service(work, port)
        base = f"http://127.0.0.1:{port}"
        rounds, sent = [], 0
        try:
            wrk(base + "/healthz", work / "health.lua", WARMUP)
            for _ in range(ROUNDS):
                health = wrk(base + "/healthz", work / "health.lua", SECONDS)
                hooks = wrk(base + "/webhooks/tiktok", work / "webhooks.lua", SECONDS, str(work), str(sent))
                sent += hooks["sent"]  # the most any thread took from its list: the next round starts after it
                (work / f"acks-{len(rounds)}.txt").write_text((work / "acks.txt").read_text())
                rounds.append((health, hooks))
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        acked = [x for i in range(ROUNDS) for x in (work / f"acks-{i}.txt").read_text().split()]
        stored = on_disk(work / "data")
        lost = set(acked) - set(stored)

        print(f"gunicorn.conf.py, {CONNECTIONS} connections, wrk {THREADS} threads, {ROUNDS} rounds of {SECONDS} s + "
              f"{SECONDS} s")
        results = []
        for i, (health, hooks) in enumerate(rounds, 1):
            health_rps = health["requests"] / health["seconds"]
            hook_rps = hooks["requests"] / hooks["seconds"]
            results.append((hook_rps / health_rps, hooks["p99_us"] / 1000))
            print(f"round {i}: GET /healthz {health_rps:6.0f} req/s (p99 {health['p99_us'] / 1000:6.2f} ms)   "
                  f"POST /webhooks/tiktok {hook_rps:6.0f} req/s (p50 {hooks['p50_us'] / 1000:5.2f} ms, "
                  f"p99 {hooks['p99_us'] / 1000:6.2f} ms)   ratio {hook_rps / health_rps:.2f}")
        ratio = statistics.median(r for r, _ in results)
        p99 = statistics.median(p for _, p in results)
        dup = sum(h["dup"] for _, h in rounds)
        bad = sum(h["bad"] for _, h in rounds)
        errors = sum(h["socket_errors"] for _, h in rounds)
        print(f"throughput ratio webhooks/healthz (median round): {ratio:.2f}  (target >= {TARGET_RATIO}); "
              "every webhook fsync'd before its 200")
        print(f"p99 latency of webhooks (median round): {p99:.2f} ms  (target <= {TARGET_P99_MS:.0f} ms)")
        print(f"acknowledged {len(acked)}, on disk {len(stored)} ({len(set(stored))} distinct), lost {len(lost)}, "
              f"duplicates answered {dup}, non-200 {bad}, socket errors {errors}")
        missed = []
        if ratio < TARGET_RATIO:
            missed.append(f"throughput ratio {ratio:.2f} < {TARGET_RATIO}")
        if p99 > TARGET_P99_MS:
            missed.append(f"p99 {p99:.1f} ms > {TARGET_P99_MS:.0f} ms")
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
