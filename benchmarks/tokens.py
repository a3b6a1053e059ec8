"""How much handing out a token costs, and how store updates scale with the number of accounts.

Prints every number as a ratio against a baseline measured in the same run, and exits non-zero
when a target is missed:
  - `greenlight token` (fresh token, whole process) within 4x `python -c pass` (it imports only what
    handing out a stored token needs: no HTTP client, no facts, no YAML, no cryptography without a key);
  - in-process fresh_token() median under 10 ms;
  - a store update at 10,000 accounts: median under 5 ms, and no worse than linear growth
    (median ratio at most 10 per 10x more accounts).
Run: .venv/bin/python benchmarks/tokens.py
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callback.data.files import private_dir, write_atomic  # noqa: E402
from callback.data.tokens import TokenStore  # noqa: E402
from callback.tokens import fresh_token  # noqa: E402

BIN = Path(sys.executable).parent


def account(i: int, now: float) -> dict:
    return {
        "open_id": f"-000{i:08d}",
        "display_name": f"Creator {i}",
        "scope": ["user.info.basic", "video.publish"],
        "access_token": f"act.{i:08d}" + "a" * 60,
        "refresh_token": f"rft.{i:08d}" + "r" * 60,
        "expires_at": now + 86400,
        "refresh_expires_at": now + 31536000,
        "connected_at": now,
        "refreshed_at": now,
        "needs_reconnect": None,
    }


def seed(data_dir: Path, n: int) -> None:
    """Write a store of n fresh accounts directly (as a compaction would), without n journal appends."""
    now = time.time()
    private_dir(data_dir)
    doc = {"version": 1, "accounts": {a["open_id"]: a for a in (account(i, now) for i in range(n))}}
    write_atomic(data_dir / "tokens.json", json.dumps(doc))


def run_times(cmd: list[str], env: dict, n: int) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def main() -> int:
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "one"
        seed(data, 1)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("GREENLIGHT_", "TIKTOK_"))},
            "GREENLIGHT_DATA_DIR": str(data),
            "TIKTOK_CLIENT_KEY": "bench",
            "TIKTOK_CLIENT_SECRET": "bench-secret",
            "GREENLIGHT_TIKTOK_API_BASE": "http://127.0.0.1:9",
        }  # never called: the token is fresh

        print("== greenlight token on a fresh token (whole process, median of 15)")
        python = statistics.median(run_times([sys.executable, "-c", "pass"], env, 15))
        help_ = statistics.median(run_times([str(BIN / "greenlight"), "--help"], env, 15))
        token = statistics.median(run_times([str(BIN / "greenlight"), "token"], env, 15))
        print(f"  python -c pass     {ms(python)}   1.00x")
        print(f"  greenlight --help  {ms(help_)}   {help_ / python:5.2f}x python")
        print(f"  greenlight token   {ms(token)}   {token / python:5.2f}x python, {token / help_:4.2f}x --help")
        if token > 4 * python:
            failures.append(f"greenlight token takes {token / python:.2f}x python -c pass (target <= 4x)")

        print("== fresh_token() in process (fresh token; median of 300)")
        settings = {"DATA_DIR": str(data), "TIKTOK_CLIENT_KEY": "bench", "TIKTOK_CLIENT_SECRET": "bench-secret"}
        times = []
        for _ in range(300):
            start = time.perf_counter()
            fresh_token(settings=settings)
            times.append(time.perf_counter() - start)
        inproc = statistics.median(times)
        print(
            f"  fresh_token()      {ms(inproc)}   {inproc / python:5.3f}x python -c pass,"
            f" {token / inproc:6.1f}x cheaper than the CLI"
        )
        if inproc > 0.010:
            failures.append(f"fresh_token() median {inproc * 1000:.2f} ms (target < 10 ms)")

        print("== store update (one account's field, journal + periodic compaction; 640 updates)")
        medians, means = {}, {}
        for n in (100, 1000, 10000):
            d = tmp / f"n{n}"
            seed(d, n)
            store = TokenStore(d)
            store.get("-00000000000")  # warm: this process has read the snapshot once
            rng, times = random.Random(n), []
            for _ in range(640):
                oid = f"-000{rng.randrange(n):08d}"
                start = time.perf_counter()
                store.update(oid, last_used_at=time.time())
                times.append(time.perf_counter() - start)
            medians[n], means[n] = statistics.median(times), statistics.mean(times)
            print(
                f"  {n:6d} accounts   median {ms(medians[n])}   mean {ms(means[n])}"
                f"   ({medians[n] / medians[100]:5.2f}x the 100-account median)"
            )
        for small, big in ((100, 1000), (1000, 10000)):
            ratio, mean_ratio = medians[big] / medians[small], means[big] / means[small]
            print(
                f"  growth {small} -> {big}: median {ratio:5.2f}x, mean {mean_ratio:5.2f}x per 10x accounts"
                " (linear would be 10x)"
            )
            if max(ratio, mean_ratio) > 10:
                failures.append(
                    f"store update grows {max(ratio, mean_ratio):.1f}x from {small} to {big} accounts (target <= 10x)"
                )
        if medians[10000] > 0.005:
            failures.append(f"store update median at 10,000 accounts is {medians[10000] * 1000:.2f} ms (< 5 ms)")

    for failure in failures:
        print("MISSED:", failure)
    print("all targets met" if not failures else f"{len(failures)} target(s) missed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
