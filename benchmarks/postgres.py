"""Benchmark the PostgreSQL backend against the file backend, in one run on the same machine.

Run: .venv/bin/python benchmarks/postgres.py   (exits 1 when a target is missed)

A throwaway PostgreSQL (Debian's binaries, tests/pg_support.py, fsync on: a commit is on disk like the
file backend's fsync'd line) and two gunicorns with the repository's gunicorn.conf.py on 127.0.0.1, one
per backend. wrk drives each with 32 connections of signed, all different webhooks (benchmarks/webhooks.py),
in alternating rounds, so whatever else the machine does weighs on both alike. Then:
- webhook throughput on PostgreSQL as a ratio to the file backend (median round; target >= 0.8), p99 of
  both, and acknowledged events missing from each store (target 0);
- a token-store update (one account's field, committed) among 10,000 accounts (median < 5 ms).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import webhooks as bench  # noqa: E402  (benchmarks/webhooks.py: its Lua scripts, events and wrk driver)
from callback.data.pg_db import Database, dumps  # noqa: E402
from callback.data.pg_schema import upgrade  # noqa: E402
from callback.data.pg_tokens import PgTokenStore  # noqa: E402
from pg_support import start_cluster  # noqa: E402
from tokens import account  # noqa: E402  (benchmarks/tokens.py: the same account shape)

TARGET_RATIO, TARGET_UPDATE_MS, ACCOUNTS, UPDATES = 0.8, 5.0, 10_000, 640


def database_facts(work: Path) -> Path:
    """A copy of the repository's facts declaring `storage: database`, as a PostgreSQL deployment's must."""
    import yaml

    data = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    data["extra"]["app"]["storage"] = "database"
    (work / "mkdocs-database.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    return work / "mkdocs-database.yml"


def start(work: Path, name: str, port: int, extra: dict) -> subprocess.Popen:
    """Start gunicorn for one backend; return once /healthz answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GREENLIGHT_", "TIKTOK_"))}
    env.update(
        GREENLIGHT_BIND=f"127.0.0.1:{port}",
        GREENLIGHT_DATA_DIR=str(work / f"data-{name}"),
        GREENLIGHT_FACTS=str(ROOT / "mkdocs.yml"),
        GREENLIGHT_SECRET_KEY="bench-" + "k" * 32,
        TIKTOK_CLIENT_KEY=bench.CLIENT_KEY,
        TIKTOK_CLIENT_SECRET=bench.CLIENT_SECRET,
        GREENLIGHT_ACCESS_LOG=str(work / f"access-{name}.log"),
    )
    env.update(extra)
    with open(work / f"gunicorn-{name}.out", "w") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return proc
        except OSError:
            if proc.poll() is not None:
                sys.exit(f"gunicorn ({name}) did not start:\n" + (work / f"gunicorn-{name}.out").read_text()[-2000:])
            time.sleep(0.2)
    proc.kill()
    sys.exit(f"gunicorn ({name}) did not answer /healthz within 30 s")


def webhook_rounds(work: Path, url: str) -> tuple[list[dict], list[dict], list[str], list[str]]:
    """Alternate wrk rounds on both services; return each one's results and acknowledged ids."""
    ports = {name: bench.free_port() for name in ("file", "postgresql")}
    procs = {
        "file": start(work, "file", ports["file"], {}),
        "postgresql": start(
            work,
            "postgresql",
            ports["postgresql"],
            {"GREENLIGHT_DATABASE_URL": url, "GREENLIGHT_FACTS": str(database_facts(work))},
        ),
    }
    rounds: dict[str, list[dict]] = {"file": [], "postgresql": []}
    sent, acks = {"file": 0, "postgresql": 0}, {"file": [], "postgresql": []}
    try:
        for port in ports.values():  # warm both: imports, connections, the page cache
            bench.wrk(f"http://127.0.0.1:{port}/healthz", work / "health.lua", bench.WARMUP)
        for i in range(bench.ROUNDS):
            for name in ("file", "postgresql") if i % 2 == 0 else ("postgresql", "file"):
                out = bench.wrk(
                    f"http://127.0.0.1:{ports[name]}/webhooks/tiktok",
                    work / "webhooks.lua",
                    bench.SECONDS,
                    str(work),
                    str(sent[name]),
                )
                sent[name] += out["sent"]
                acks[name] += (work / "acks.txt").read_text().split()
                rounds[name].append(out)
    finally:
        for proc in procs.values():
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
    return rounds["file"], rounds["postgresql"], acks["file"], acks["postgresql"]


def stored_in_database(url: str) -> list[str]:
    with Database(url).connection() as conn:
        return [i for (i,) in conn.execute("SELECT id FROM webhook_events WHERE receipt IS NOT NULL").fetchall()]


def update_cost(url: str) -> list[float]:
    """Time committed updates of one account's field among ACCOUNTS accounts (tokens sealed, as in service)."""
    from callback.data.store import new_key

    db, key, now = Database(url), new_key(), time.time()
    store = PgTokenStore(db, key)
    accounts = [account(i, now) for i in range(ACCOUNTS)]
    with db.transaction() as conn, conn.cursor() as cur:  # seeded in one transaction, as a migration would
        cur.executemany(
            "INSERT INTO tokens (open_id, account, updated_at) VALUES (%s, %s, %s)",
            [(a["open_id"], dumps(store._sealer.seal(a)), now) for a in accounts],
        )
    with db.connection() as conn:
        conn.execute("ANALYZE tokens")
    rng, times = random.Random(ACCOUNTS), []
    store.get("-00000000000")  # warm: the pool holds a connection
    for _ in range(UPDATES):
        oid = f"-000{rng.randrange(ACCOUNTS):08d}"
        start = time.perf_counter()
        store.update(oid, last_used_at=time.time())
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: run `make system-deps`")
    work = Path(tempfile.mkdtemp(prefix="greenlight-bench-pg-"))
    cluster = start_cluster(fsync=True)
    try:
        url = cluster.create("bench")
        upgrade(Database(url))
        (work / "health.lua").write_text(
            bench.LUA_COMMON
            + (
                "function init(args) ok, dup, bad = 0, 0, 0 end\n"
                "function response(status) if status == 200 then ok = ok + 1 "
                "else bad = bad + 1 end end\n"
            )
        )
        (work / "webhooks.lua").write_text(f"ack_path = {json.dumps(str(work / 'acks.txt'))}\n" + bench.LUA_WEBHOOKS)
        bench.write_events(work)
        files, pg, file_acks, pg_acks = webhook_rounds(work, url)
        lost_file = set(file_acks) - set(bench.on_disk(work / "data-file"))
        lost_pg = set(pg_acks) - set(stored_in_database(url))

        print(
            f"gunicorn.conf.py, {bench.CONNECTIONS} connections, wrk {bench.THREADS} threads, {bench.ROUNDS} "
            f"alternating rounds of {bench.SECONDS} s per backend; PostgreSQL with fsync on, over a Unix socket"
        )
        ratios, p99 = [], {"file": [], "postgresql": []}
        for i, (f, p) in enumerate(zip(files, pg, strict=True), 1):
            f_rps, p_rps = f["requests"] / f["seconds"], p["requests"] / p["seconds"]
            ratios.append(p_rps / f_rps)
            p99["file"].append(f["p99_us"] / 1000)
            p99["postgresql"].append(p["p99_us"] / 1000)
            print(
                f"round {i}: file {f_rps:6.0f} req/s (p99 {f['p99_us'] / 1000:6.2f} ms)   "
                f"postgresql {p_rps:6.0f} req/s (p99 {p['p99_us'] / 1000:6.2f} ms)   ratio {p_rps / f_rps:.2f}"
            )
        ratio = statistics.median(ratios)
        print(f"webhook throughput postgresql/file (median round): {ratio:.2f}  (target >= {TARGET_RATIO})")
        print(
            f"p99 latency (median round): file {statistics.median(p99['file']):.2f} ms, "
            f"postgresql {statistics.median(p99['postgresql']):.2f} ms"
        )
        bad = sum(r["bad"] + r["dup"] for r in files + pg)
        print(
            f"acknowledged: file {len(file_acks)} (lost {len(lost_file)}), postgresql {len(pg_acks)} "
            f"(lost {len(lost_pg)}); non-200 or duplicate answers {bad}"
        )

        times = update_cost(url)
        median = statistics.median(times) * 1000
        print(
            f"token-store update among {ACCOUNTS:,} accounts on postgresql ({UPDATES} committed updates): "
            f"median {median:.2f} ms, p99 {sorted(times)[int(len(times) * 0.99)] * 1000:.2f} ms  "
            f"(target median < {TARGET_UPDATE_MS:.0f} ms)"
        )
        missed = []
        if ratio < TARGET_RATIO:
            missed.append(f"throughput ratio {ratio:.2f} < {TARGET_RATIO}")
        if lost_file or lost_pg or not file_acks or not pg_acks:
            missed.append("acknowledged events missing, or none acknowledged")
        if bad:
            missed.append(f"{bad} non-200 or duplicate answers")
        if median >= TARGET_UPDATE_MS:
            missed.append(f"update median {median:.2f} ms >= {TARGET_UPDATE_MS} ms")
        for m in missed:
            print("MISSED:", m)
        return 1 if missed else 0
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
