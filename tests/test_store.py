"""The token store on a real file system: modes, encryption, crashes, concurrent processes."""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callback.data.store import ReconnectNeeded, StoreError, apply_tokens, new_key
from callback.data.tokens import TokenStore

ROOT = Path(__file__).resolve().parent.parent


def account(open_id: str = "-000alice", **extra) -> dict:
    acc = {"open_id": open_id, "display_name": extra.pop("display_name", "Alice")}
    apply_tokens(
        acc,
        {
            "access_token": f"act.{open_id}-access-0123456789",
            "refresh_token": f"rft.{open_id}-refresh-0123456789",
            "expires_in": 86400,
            "refresh_expires_in": 31536000,
            "scope": "user.info.basic,video.publish",
        },
        time.time(),
    )
    acc.update(extra)
    return acc


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_files_are_private(tmp_path):
    data = tmp_path / "instance"
    data.mkdir(mode=0o755)
    store = TokenStore(data, compact_every=64)
    store.put(account())
    store.update("-000alice", last_used_at=1.0)  # goes to the journal
    assert mode(data) == 0o700  # tightened even though it existed
    for name in ("tokens.json", "tokens.journal", "tokens.json.lock"):
        assert mode(data / name) == 0o600, name


def test_round_trip_and_absolute_expiry(tmp_path):
    store = TokenStore(tmp_path)
    before = time.time()
    store.put(account())
    got = TokenStore(tmp_path).get("-000alice")  # a second process's view
    assert got["scope"] == ["user.info.basic", "video.publish"]
    assert before + 86400 <= got["expires_at"] <= time.time() + 86400
    assert got["needs_reconnect"] is None and got["connected_at"] == got["refreshed_at"]


def test_plaintext_when_encryption_is_off(tmp_path):
    store = TokenStore(tmp_path)
    store.put(account())
    store.update("-000alice", last_used_at=1.0)
    text = (tmp_path / "tokens.json").read_text() + (tmp_path / "tokens.journal").read_text()
    assert "act.-000alice-access" in text  # what encryption must prevent (proves the next test can fail)


def test_no_token_in_any_file_when_encryption_is_on(tmp_path):
    key = new_key()
    store = TokenStore(tmp_path, key, compact_every=3)
    for i in range(7):  # both compacted snapshot and journal entries
        store.put(account(f"-000user{i}"))
    store.update("-000user1", last_used_at=5.0)
    for path in tmp_path.iterdir():
        if path.is_file():
            text = path.read_text()
            assert "act." not in text and "rft." not in text, path.name
    assert "fernet:" in (tmp_path / "tokens.json").read_text()
    got = TokenStore(tmp_path, key).get("-000user3")
    assert got["access_token"] == "act.-000user3-access-0123456789"
    assert got["display_name"] == "Alice"  # only the secret fields are sealed


def test_wrong_or_missing_key_is_a_clear_error(tmp_path):
    TokenStore(tmp_path, new_key()).put(account())
    with pytest.raises(StoreError, match="does not decrypt"):
        TokenStore(tmp_path, new_key()).get("-000alice")
    with pytest.raises(StoreError, match="set GREENLIGHT_ENCRYPTION_KEY"):
        TokenStore(tmp_path).list()
    with pytest.raises(ValueError):
        TokenStore(tmp_path, "not-a-fernet-key")


def test_corrupt_file_is_a_clear_error_and_is_left_alone(tmp_path):
    (tmp_path / "tokens.json").write_text('{"version": 1, "accounts": {')
    with pytest.raises(StoreError, match=r"not valid JSON.*backup"):
        TokenStore(tmp_path).list()
    assert (tmp_path / "tokens.json").read_text() == '{"version": 1, "accounts": {'
    (tmp_path / "tokens.json").write_text('{"version": 7}')
    with pytest.raises(StoreError, match="not a version 1"):
        TokenStore(tmp_path).get("x")


def test_torn_journal_line_is_ignored_then_overwritten(tmp_path):
    store = TokenStore(tmp_path)
    store.put(account())
    store.update("-000alice", display_name="Alice B")
    with open(tmp_path / "tokens.journal", "ab") as fh:
        fh.write(b'{"put":{"open_id":"-000ghost"')  # a writer killed mid-append
    fresh = TokenStore(tmp_path)
    assert [a["open_id"] for a in fresh.list()] == ["-000alice"]
    fresh.update("-000alice", display_name="Alice C")
    lines = (tmp_path / "tokens.journal").read_text().splitlines()
    assert all(json.loads(line) for line in lines) and "ghost" not in "".join(lines)
    assert TokenStore(tmp_path).get("-000alice")["display_name"] == "Alice C"


def test_refresh_marks_an_account_whose_refresh_token_expired(tmp_path):
    store = TokenStore(tmp_path)
    store.put(account(expires_at=0, refresh_expires_at=time.time() - 1))
    with pytest.raises(ReconnectNeeded, match="expired"):
        store.refresh("-000alice", lambda acc: pytest.fail("must not call the platform"))
    assert "expired" in TokenStore(tmp_path).get("-000alice")["needs_reconnect"]
    with pytest.raises(ReconnectNeeded):  # and stays marked, without calling the platform again
        store.refresh("-000alice", lambda acc: pytest.fail("must not call the platform"))


def test_refresh_persists_the_rotated_token_before_returning(tmp_path):
    store = TokenStore(tmp_path)
    store.put(account(expires_at=time.time() + 10))
    new = {
        "access_token": "act.new-access-token-1234",
        "refresh_token": "rft.new-refresh-token-1234",
        "expires_in": 7200,
        "refresh_expires_in": 15552000,
        "scope": "user.info.basic",
    }
    got = store.refresh("-000alice", lambda acc: new, margin=300)
    on_disk = TokenStore(tmp_path).get("-000alice")
    assert got["refresh_token"] == on_disk["refresh_token"] == "rft.new-refresh-token-1234"
    assert (
        store.refresh("-000alice", lambda acc: pytest.fail("still fresh"), margin=300)["access_token"]
        == "act.new-access-token-1234"
    )


# -- a model-based check: any sequence of changes reads back the same, from a fresh process view --

ops = st.lists(
    st.tuples(st.sampled_from(["put", "delete", "update"]), st.integers(0, 5), st.integers(0, 99)), max_size=25
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=ops, compact_every=st.integers(1, 6), encrypted=st.booleans())
def test_any_sequence_of_changes_reads_back(tmp_path_factory, ops, compact_every, encrypted):
    data = tmp_path_factory.mktemp("model")
    key = new_key() if encrypted else None
    store, model = TokenStore(data, key, compact_every=compact_every), {}
    for op, i, value in ops:
        oid = f"-000u{i}"
        if op == "put":
            model[oid] = account(oid, n=value)
            store.put(model[oid])
        elif op == "delete":
            assert store.delete(oid) == (model.pop(oid, None) is not None)
        elif store.update(oid, n=value) is not None:
            model[oid]["n"] = value
        else:
            assert oid not in model
    assert {a["open_id"]: a for a in TokenStore(data, key).list()} == model
    json.loads((data / "tokens.json").read_text()) if (data / "tokens.json").exists() else None


# -- crashes and concurrency, with real processes --

WRITER = textwrap.dedent("""
    import sys, time
    from callback.data.tokens import TokenStore
    store = TokenStore(sys.argv[1], compact_every=int(sys.argv[2]))
    i = int(sys.argv[3])
    while True:
        i += 1
        acc = {"open_id": "-000hot", "n": i, "access_token": "act.%d" % i, "refresh_token": "rft.%d" % i,
               "pad": "x" * (i % 700)}
        store.put(acc)
        if i % 5 == 0:
            store.put({"open_id": "-000u%d" % (i % 40), "n": i})
        if i % 7 == 0:
            store.delete("-000u%d" % (i % 40))
        print(i, flush=True)  # acknowledged: durable from here on
""")


@pytest.mark.slow
def test_kill_9_during_writes_leaves_a_valid_loadable_store(tmp_path):
    rng = random.Random(1234)
    last = 0
    for round_ in range(12):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), str(rng.choice([2, 5, 16])), str(last)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        first = child.stdout.readline()
        assert first  # running and writing
        time.sleep(rng.uniform(0.005, 0.12))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        acked = [int(x) for x in (first + out).split()]
        last = max([*acked, last])
        doc = json.loads((tmp_path / "tokens.json").read_text())  # never torn
        assert doc["version"] == 1
        hot = TokenStore(tmp_path).get("-000hot")
        # Everything acknowledged survived; at most the one write in flight went further.
        assert last <= hot["n"] <= last + 1, (round_, last, hot["n"])
        assert hot["access_token"] == f"act.{hot['n']}"
        last = hot["n"]
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) <= 12  # a kill between mkstemp and rename may leave a temp file, never a torn store


CONCURRENT = textwrap.dedent("""
    import sys
    from callback.data.tokens import TokenStore
    store, me = TokenStore(sys.argv[1], compact_every=7), sys.argv[2]
    for j in range(40):
        store.put({"open_id": "-000p%s-%d" % (me, j), "n": j})
        store.update("-000shared", **{"f%s_%d" % (me, j): j})
""")


@pytest.mark.slow
def test_concurrent_processes_lose_no_change(tmp_path):
    TokenStore(tmp_path).put({"open_id": "-000shared"})
    procs = [subprocess.Popen([sys.executable, "-c", CONCURRENT, str(tmp_path), str(p)], cwd=ROOT) for p in range(4)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0, 0]
    store = TokenStore(tmp_path)
    assert len(store.list()) == 1 + 4 * 40
    shared = store.get("-000shared")
    assert all(shared[f"f{p}_{j}"] == j for p in range(4) for j in range(40))
