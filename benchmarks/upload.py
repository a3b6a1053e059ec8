"""How fast the chunked upload path sends a video, and whether its memory grows with the file.

Prints every number against a baseline measured in the same run, and exits non-zero when a target is missed:
  - throughput of callback.platform.posting.upload() (10 MB chunks, each with its Content-Range) for a
    200 MB file, as a ratio to one plain `requests` PUT of the same bytes to the same local server
    (target: at least 0.8), median of 3 alternating rounds;
  - peak memory of a process uploading 50 MB and 200 MB through the chunked path (tracemalloc peak and
    ru_maxrss): the 200 MB peak must not exceed the 50 MB one by more than 1 MB (tracemalloc) and 4 MB (RSS).
The server is a tiny receiver in a process of its own that answers as TikTok's upload host does
(206 while chunks are due, 201 once every byte is in); it only counts bytes, so both paths pay the same.
Run: .venv/bin/python benchmarks/upload.py
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from callback.platform.media import sample_mp4  # noqa: E402
from callback.platform.posting import chunk_plan, upload  # noqa: E402
from callback.platform.tiktok import TikTok  # noqa: E402

MB = 1024 * 1024
RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
ROUNDS = 3


class Receiver(BaseHTTPRequestHandler):
    """Take a PUT, drain its body in 1 MB reads, answer like TikTok's upload host."""

    protocol_version = "HTTP/1.1"
    # Answer at once: with Nagle's algorithm the body of each answer would wait for the client's delayed ACK
    # of its headers (40 ms), a cost per request that real upload hosts do not charge.
    disable_nagle_algorithm = True

    def do_PUT(self) -> None:
        left = int(self.headers["Content-Length"])
        while left:
            left -= len(self.rfile.read(min(MB, left)))
        m = RANGE.match(self.headers.get("Content-Range", ""))
        done = m is not None and int(m[2]) == int(m[3]) - 1
        body = json.dumps({"data": {}, "error": {"code": "ok", "message": "", "log_id": "bench"}}).encode()
        self.send_response(201 if done else 206)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def serve() -> None:
    """Run the receiver on a free loopback port, printing the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def measure_memory(url: str, path: str) -> None:
    """Upload one file through the chunked path in this (fresh) process; print its memory peaks."""
    import resource
    import tracemalloc

    size, client = Path(path).stat().st_size, TikTok("bench", "bench", timeout=60)
    _ = client.http  # the HTTP library loads on first use: before the count, which is about the upload
    tracemalloc.start()
    upload(client, url, Path(path), size, *chunk_plan(size))
    peak = tracemalloc.get_traced_memory()[1]
    print(json.dumps({"tracemalloc": peak, "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


def chunked(url: str, path: Path, client: TikTok) -> float:
    size = path.stat().st_size
    start = time.perf_counter()
    upload(client, url, path, size, *chunk_plan(size))
    return time.perf_counter() - start


def plain(url: str, path: Path, session: requests.Session) -> float:
    size = path.stat().st_size
    start = time.perf_counter()
    with open(path, "rb") as f:
        r = session.put(
            url,
            data=f,
            timeout=60,
            headers={"Content-Type": "video/mp4", "Content-Range": f"bytes 0-{size - 1}/{size}"},
        )
    r.raise_for_status()
    return time.perf_counter() - start


def main() -> int:
    receiver = subprocess.Popen([sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{receiver.stdout.readline().strip()}/upload/bench"
        with tempfile.TemporaryDirectory() as tmp:
            files = {n: Path(tmp) / f"{n}mb.mp4" for n in (50, 200)}
            for n, path in files.items():
                sample_mp4(path, seconds=30, size=n * MB)
            big = files[200]
            client, session = TikTok("bench", "bench", timeout=60), requests.Session()
            chunked(url, files[50], client), plain(url, files[50], session)  # warm up connections and caches
            ours, theirs = [], []
            for _ in range(ROUNDS):
                ours.append(chunked(url, big, client))
                theirs.append(plain(url, big, session))
            rate_ours, rate_theirs = 200 / statistics.median(ours), 200 / statistics.median(theirs)
            ratio = rate_ours / rate_theirs
            count = chunk_plan(200 * MB)[1]
            print(
                f"upload 200 MB: chunked ({count} chunks) {rate_ours:7.1f} MB/s, plain PUT {rate_theirs:7.1f} MB/s"
                f" -> ratio {ratio:.2f} (target >= 0.80)"
            )
            peaks = {}
            for n, path in files.items():
                run = subprocess.run(
                    [sys.executable, __file__, "--memory", url, str(path)], capture_output=True, text=True, check=True
                )
                peaks[n] = json.loads(run.stdout)
                print(
                    f"peak memory, {n:3d} MB file: tracemalloc {peaks[n]['tracemalloc'] / MB:6.2f} MB, "
                    f"ru_maxrss {peaks[n]['maxrss'] / MB:6.1f} MB"
                )
    finally:
        receiver.terminate()
        receiver.wait(5)
    grew_traced = (peaks[200]["tracemalloc"] - peaks[50]["tracemalloc"]) / MB
    grew_rss = (peaks[200]["maxrss"] - peaks[50]["maxrss"]) / MB
    print(
        f"growth from 50 MB to 200 MB: tracemalloc {grew_traced:+.2f} MB (target <= 1), "
        f"ru_maxrss {grew_rss:+.1f} MB (target <= 4)"
    )
    ok = ratio >= 0.8 and grew_traced <= 1 and grew_rss <= 4
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve()
    elif sys.argv[1:2] == ["--memory"]:
        measure_memory(sys.argv[2], sys.argv[3])
    else:
        sys.exit(main())
