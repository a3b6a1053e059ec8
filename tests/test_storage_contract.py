"""The storage contract, run against both backends: the file backend (the default) and PostgreSQL.

Every call the rest of Greenlight makes on its stores is checked here once, with the `backend` fixture
parametrized over ["file", "postgresql"]; `Kit.open()` opens the same storage again, as another instance
(or another CLI process) would.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from callback.data.attempts import AttemptError, AttemptsFull
from callback.data.backends import open_backend
from callback.data.erasure import erase_user
from callback.data.files import FileLock, LockTimeout
from callback.data.store import ReconnectNeeded, StoreError, new_key

ROOT = Path(__file__).resolve().parent.parent
KEY = new_key()
DAY = 86400


class Kit:
    """One storage (a data directory or a database) and the settings that open it."""

    def __init__(self, kind: str, settings: dict):
        self.kind, self.settings = kind, settings
        self.main = self.open()

    def open(self, lock_timeout: float | None = None, **changes):
        """Open the storage again, as another instance or process would."""
        return open_backend({**self.settings, **changes}, lock_timeout=lock_timeout)

    def limiter(self, limit: int, window: float = 60.0, backend=None):
        """The deletion form's rate limit on this storage (the file backend's lives in memory)."""
        backend = backend or self.main
        if backend.rate_limit is not None:
            return backend.rate_limit("deletion", limit, window)
        from callback.service.limits import RateLimit

        Path(self.settings["DATA_DIR"]).mkdir(parents=True, exist_ok=True)
        return RateLimit(limit, Path(self.settings["DATA_DIR"]) / "ratelimit-deletion", window)

    def everything(self) -> str:
        """All the text the storage holds: every file, or every row of every table as text."""
        if self.kind == "file":
            return "\n".join(
                p.read_bytes().decode("utf-8", "replace")
                for p in Path(self.settings["DATA_DIR"]).rglob("*")
                if p.is_file()
            )
        return "\n".join(row for table in self.tables() for row in self.rows(table))

    def tables(self) -> list[str]:
        with self.main.records.db.connection() as conn:
            return [
                t
                for (t,) in conn.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                ).fetchall()
            ]

    def rows(self, table: str) -> list[str]:
        with self.main.records.db.connection() as conn:
            return [r for (r,) in conn.execute(f"SELECT t::text FROM {table} t").fetchall()]


def make_kit(kind: str, tmp_path: Path, url: str = "") -> Kit:
    return Kit(
        kind,
        {
            "DATA_DIR": str(tmp_path / "instance"),
            "DATABASE_URL": url,
            "ENCRYPTION_KEY": KEY,
            "SECRET_KEY": "contract-secret",
            "STATE_TTL": 600,
            "CONNECT_MAX_PENDING": 10_000,
        },
    )


@pytest.fixture(params=["file", "postgresql"])
def kit(request, tmp_path) -> Kit:
    """The storage under test, empty, with tokens encrypted at rest."""
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else ""
    return make_kit(request.param, tmp_path, url)


def everything_on_disk(kit: Kit) -> str:
    """Every file under the data directory, which both backends keep queued videos in."""
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in Path(kit.settings["DATA_DIR"]).rglob("*") if p.is_file()
    )


def account(open_id: str, name: str = "", expires_in: float = DAY, **extra) -> dict:
    now = time.time()
    return {
        "open_id": open_id,
        "display_name": name,
        "access_token": f"act.{open_id}.1",
        "refresh_token": f"rft.{open_id}.1",
        "expires_at": now + expires_in,
        "refresh_expires_at": now + 365 * DAY,
        "scope": ["user.info.basic"],
        "connected_at": now,
        **extra,
    }


def rotated(acc: dict, n: int = 2) -> dict:
    return {
        "access_token": f"act.{acc['open_id']}.{n}",
        "refresh_token": f"rft.{acc['open_id']}.{n}",
        "expires_in": DAY,
        "refresh_expires_in": 365 * DAY,
        "open_id": acc["open_id"],
    }


# -- tokens --


def test_the_backend_says_what_it_is(kit):
    assert kit.main.kind == kit.kind


def test_put_get_update_delete(kit):
    store = kit.main.store
    assert store.get("-000a") is None and store.update("-000a", x=1) is None and store.delete("-000a") is False
    store.put(account("-000a", "Ann"))
    assert kit.open().store.get("-000a")["access_token"] == "act.-000a.1"
    assert store.update("-000a", last_used_at=5.0)["last_used_at"] == 5.0
    assert kit.open().store.get("-000a")["last_used_at"] == 5.0
    store.put(account("-000a", "Ann B"))  # put replaces the whole account
    assert "last_used_at" not in store.get("-000a") and store.get("-000a")["display_name"] == "Ann B"
    assert store.delete("-000a") is True and store.get("-000a") is None and store.list() == []


def test_list_is_ordered_by_display_name_then_open_id(kit):
    for oid, name in [("-000c", "bob"), ("-000b", "Bob"), ("-000a", "bob"), ("-000d", ""), ("-000e", "Äda")]:
        kit.main.store.put(account(oid, name))
    assert [a["open_id"] for a in kit.open().store.list()] == ["-000d", "-000b", "-000a", "-000c", "-000e"]


def test_tokens_are_encrypted_at_rest_and_need_the_key(kit):
    kit.main.store.put(account("-000a", "Ann"))
    assert "act.-000a" not in kit.everything() and "rft.-000a" not in kit.everything()
    assert "fernet:" in kit.everything()
    with pytest.raises(StoreError, match="GREENLIGHT_ENCRYPTION_KEY"):
        kit.open(ENCRYPTION_KEY="").store.get("-000a")
    with pytest.raises(StoreError, match="does not decrypt"):
        kit.open(ENCRYPTION_KEY=new_key()).store.get("-000a")


def test_both_backends_seal_tokens_alike(tmp_path):
    from callback.data.sealing import Sealer
    from callback.data.tokens import TokenStore

    file_store, acc = TokenStore(tmp_path, KEY), account("-000a")
    file_store.put(acc)
    file_store.compact()
    raw = json.loads((tmp_path / "tokens.json").read_text())["accounts"]["-000a"]
    assert acc["access_token"] not in json.dumps(raw)
    assert Sealer(KEY).open(raw) == acc  # what the database backend opens, the file store wrote


def test_a_fresh_token_is_handed_out_without_a_refresh(kit):
    kit.main.store.put(account("-000a"))
    assert (
        kit.main.store.refresh("-000a", lambda a: pytest.fail("refreshed"), margin=300)["access_token"] == "act.-000a.1"
    )
    with pytest.raises(KeyError):
        kit.main.store.refresh("-000missing", lambda a: pytest.fail("refreshed"))


def test_a_refresh_is_persisted_before_the_new_token_is_handed_out(kit):
    kit.main.store.put(account("-000a", expires_in=10))
    seen = []
    got = kit.main.store.refresh("-000a", lambda a: seen.append(a["refresh_token"]) or rotated(a), margin=300)
    assert seen == ["rft.-000a.1"] and got["access_token"] == "act.-000a.2"
    stored = kit.open().store.get("-000a")
    assert stored["refresh_token"] == "rft.-000a.2" and stored["refreshed_at"] and stored["needs_reconnect"] is None


def test_a_rejected_or_expired_refresh_token_marks_the_account_for_reconnect(kit):
    kit.main.store.put(account("-000a", expires_in=10))
    kit.main.store.put({**account("-000b", expires_in=10), "refresh_expires_at": time.time() - 1})

    def reject(acc):
        raise ReconnectNeeded(acc["open_id"], "invalid_grant")

    with pytest.raises(ReconnectNeeded):
        kit.main.store.refresh("-000a", reject)
    with pytest.raises(ReconnectNeeded, match="has expired"):
        kit.main.store.refresh("-000b", lambda a: pytest.fail("refreshed"))
    assert kit.open().store.get("-000a")["needs_reconnect"] == "invalid_grant"
    with pytest.raises(ReconnectNeeded):  # marked: no more calls that cannot succeed
        kit.main.store.refresh("-000a", lambda a: pytest.fail("refreshed"))


def test_an_account_erased_during_its_refresh_stays_erased(kit):
    kit.main.store.put(account("-000a", expires_in=10))
    other = kit.open(lock_timeout=5)

    def refresher(acc):
        assert other.store.delete("-000a")
        return rotated(acc)

    with pytest.raises(KeyError):
        kit.main.store.refresh("-000a", refresher)
    assert kit.open().store.get("-000a") is None and "-000a" not in kit.everything()


def test_a_hanging_refresh_holds_up_no_other_account_or_request(kit):
    for oid in ("-000a", "-000b"):
        kit.main.store.put(account(oid, expires_in=10))
    entered, release = threading.Event(), threading.Event()

    def slow(acc):
        entered.set()
        release.wait(10)
        return rotated(acc)

    thread = threading.Thread(target=kit.main.store.refresh, args=("-000a", slow))
    thread.start()
    try:
        assert entered.wait(5)
        other = kit.open(lock_timeout=1)
        start = time.monotonic()
        assert other.store.refresh("-000b", rotated)["access_token"] == "act.-000b.2"
        assert other.store.update("-000a", last_used_at=1.0)["last_used_at"] == 1.0
        assert other.store.get("-000a")["access_token"] == "act.-000a.1" and time.monotonic() - start < 1
    finally:
        release.set()
        thread.join(10)
    assert kit.main.store.get("-000a")["last_used_at"] == 1.0  # the refresh kept the concurrent update
    assert kit.main.store.get("-000a")["access_token"] == "act.-000a.2"


def test_store_waits_are_bounded_by_lock_timeout(kit):
    kit.main.store.put(account("-000a"))
    bounded = kit.open(lock_timeout=0.3)
    start = time.monotonic()
    with hold_account(kit, "-000a"), pytest.raises(LockTimeout):
        bounded.store.update("-000a", last_used_at=1.0)
    assert 0.25 < time.monotonic() - start < 3
    assert bounded.store.update("-000a", last_used_at=2.0)["last_used_at"] == 2.0


class hold_account:
    """Hold the lock a store change must wait for: the file store's lock, or the account's row lock."""

    def __init__(self, kit: Kit, open_id: str):
        self.kit, self.open_id = kit, open_id

    def __enter__(self):
        if self.kit.kind == "file":
            self._held = FileLock(Path(self.kit.settings["DATA_DIR"]) / "tokens.json").held()
            self._held.__enter__()
        else:
            import psycopg

            self._conn = psycopg.connect(self.kit.main.store.db.conninfo(None))
            self._conn.execute("SELECT 1 FROM tokens WHERE open_id = %s FOR UPDATE", (self.open_id,))

    def __exit__(self, *exc):
        if self.kit.kind == "file":
            self._held.__exit__(None, None, None)
        else:
            self._conn.rollback()
            self._conn.close()


RACER = textwrap.dedent("""
    import json, sys, time
    from callback.data.backends import open_backend
    settings, start_at, calls = json.loads(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    store = open_backend(settings).store

    def refresher(acc):
        with open(calls, "a") as fh:
            fh.write(acc["refresh_token"] + "\\n")
        time.sleep(0.5)  # the one refresh is slow, so the others are sure to queue behind it
        return {"access_token": "act.new", "refresh_token": "rft.new", "expires_in": 86400,
                "refresh_expires_in": 86400 * 365}

    time.sleep(max(0, start_at - time.time()))
    print(store.refresh("-000a", refresher, margin=300)["access_token"])
""")


@pytest.mark.slow
def test_eight_processes_racing_a_refresh_cause_exactly_one_call(kit, tmp_path):
    kit.main.store.put(account("-000a", expires_in=10))
    calls = tmp_path / "calls.txt"
    start_at = time.time() + 2.5  # after every interpreter has started
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, json.dumps(kit.settings), str(start_at), str(calls)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for _ in range(8)
    ]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [err for _, err in results]
    assert {out.strip() for out, _ in results} == {"act.new"}
    assert calls.read_text().split() == ["rft.-000a.1"]
    assert kit.open().store.get("-000a")["refresh_token"] == "rft.new"


# -- webhook receipts --


def receipt(eid: str, at: float = 1.0, done: bool = True, **extra) -> dict:
    return {
        "id": eid,
        "at": at,
        "event": "post.publish.complete",
        "create_time": int(at),
        "user": "-000u",
        "content": {"publish_id": f"v_pub_{eid}"},
        "done": done,
        **extra,
    }


def test_receipts_are_deduplicated_and_done_is_folded_in(kit):
    events = kit.main.records.events
    assert events.add(receipt("e1", 1.0, done=False)) == "new"
    assert events.add(receipt("e2", 2.0)) == "new"
    assert kit.open().records.events.add(receipt("e1", 9.0)) == "pending"
    events.mark_done("e1")
    assert kit.open().records.events.add(receipt("e1")) == "done" and events.add(receipt("e2")) == "done"
    got = kit.open().records.events.receipts()
    assert [(r["id"], r["at"], r["done"]) for r in got] == [("e1", 1.0, True), ("e2", 2.0, True)]
    assert got[1] == receipt("e2", 2.0)  # stored as given
    events.mark_done("e3")  # a mark without its receipt: a later delivery of it is already done
    assert events.add(receipt("e3")) == "done" and len(events.receipts()) == 2


def test_rewrite_changes_drops_and_counts(kit):
    events = kit.main.records.events
    for i in range(4):
        events.add(receipt(f"e{i}", float(i), done=False))
    events.mark_done("e1")
    seen = []

    def keep(r):
        seen.append(dict(r))
        return None if r["id"] in ("e1", "e2") else {**r, "user": "", "erased": True} if r["id"] == "e3" else r

    assert kit.open().records.events.rewrite(keep) == 3
    assert [r["id"] for r in seen] == ["e0", "e1", "e2", "e3"] and seen[1]["done"] is False  # as written
    got = events.receipts()
    assert [r["id"] for r in got] == ["e0", "e3"] and got[1]["erased"] and got[1]["user"] == ""
    assert events.rewrite(lambda r: r) == 0
    assert events.add(receipt("e1", 7.0, done=False)) == "new"  # its done mark went with it
    assert [r["id"] for r in events.receipts()] == ["e0", "e3", "e1"]


def test_one_receipt_from_many_concurrent_deliveries_to_two_instances(kit):
    logs = [kit.main.records.events, kit.open().records.events]
    with ThreadPoolExecutor(16) as pool:
        states = list(pool.map(lambda i: logs[i % 2].add(receipt("same", float(i))), range(32)))
    assert states.count("new") == 1 and set(states) == {"new", "done"}
    assert [r["id"] for r in kit.open().records.events.receipts()] == ["same"]


# -- deletion requests and the salt --


def test_deletion_requests_add_get_all_update(kit):
    dels = kit.main.records.deletions
    first = dels.add(now=10.0, key="evt-1", source="tiktok", open_id="-000a", email="")
    assert set(first) == {"code", "status", "received_at", "source", "open_id", "key"}
    assert first["status"] == "received" and len(first["code"]) == 14
    assert kit.open().records.deletions.add(now=99.0, key="evt-1", source="other") == first  # idempotent by key
    second = dels.add(now=5.0, source="form", username="ann", status="completed")
    assert [r["code"] for r in kit.open().records.deletions.all()] == [second["code"], first["code"]]
    assert dels.get(first["code"]) == first and dels.get("NOPE-NOPE-NOPE") is None
    changed = dels.update(first["code"], status="rejected", reason="not yours", open_id=None)
    assert changed["reason"] == "not yours" and "open_id" not in changed
    assert kit.open().records.deletions.get(first["code"]) == changed
    assert dels.update("NOPE-NOPE-NOPE", status="x") is None


def test_concurrent_adds_with_one_key_make_one_request(kit):
    logs = [kit.main.records.deletions, kit.open().records.deletions]
    with ThreadPoolExecutor(8) as pool:
        codes = set(pool.map(lambda i: logs[i % 2].add(key="signed-1", source="meta")["code"], range(16)))
    assert len(codes) == 1 and len(kit.main.records.deletions.all()) == 1


def test_deletion_rewrite(kit):
    dels = kit.main.records.deletions
    a, b = dels.add(now=1.0, source="form"), dels.add(now=2.0, source="form")
    assert dels.rewrite(lambda r: None if r["code"] == a["code"] else {**r, "status": "completed"}) == 2
    assert [(r["code"], r["status"]) for r in kit.open().records.deletions.all()] == [(b["code"], "completed")]
    assert dels.rewrite(lambda r: r) == 0


def test_erase_matches_only_proven_identifiers(kit):
    dels = kit.main.records.deletions
    verified = dels.add(now=1.0, source="form", username="ann", email="ann@example.com")
    by_open_id = dels.add(now=2.0, source="tiktok", open_id="-000a")
    by_meta = dels.add(now=3.0, source="meta", meta_user_id="-000a")
    same_name = dels.add(now=4.0, source="form", username="ann")
    other = dels.add(now=5.0, source="form", open_id="-000b")
    assert (
        kit.open().records.deletions.erase("-000a", code=verified["code"], subject="h" * 64, now=9.0, note="done") == 3
    )
    got = {r["code"]: r for r in dels.all()}
    for req in (verified, by_open_id, by_meta):
        r = got[req["code"]]
        assert r["status"] == "completed" and r["closed_at"] == 9.0 and r["subject"] == "h" * 64 and r["note"] == "done"
        assert not {"open_id", "username", "email", "meta_user_id"} & set(r)
    assert got[same_name["code"]] == same_name and got[other["code"]] == other
    assert dels.erase("", code=None, subject="x", now=1.0) == 0


def test_the_salt_is_one_per_install(kit):
    a, b = kit.main.records, kit.open().records
    assert a.salt() == b.salt() and len(a.salt()) == 32 and a.subject("-000a") == b.subject("-000a")
    assert a.subject("-000a") != a.subject("-000b")


# -- connect attempts --


def test_connect_attempts_finish_once_on_any_instance(kit):
    mine, theirs = kit.main.attempts, kit.open().attempts
    state = mine.begin("verifier-1", purpose="connect", request=None)
    assert theirs.status(state) == "pending"
    record = theirs.finish(state)
    assert record["verifier"] == "verifier-1" and record["purpose"] == "connect"
    assert mine.status(state) == "used" and "verifier-1" not in kit.everything()
    for attempts, reason, st in ((mine, "replayed", state), (theirs, "unknown", "no-such-state")):
        with pytest.raises(AttemptError) as exc:
            attempts.finish(st)
        assert exc.value.reason == reason
    assert mine.status("no-such-state") == "unknown"


def test_exactly_one_of_concurrent_finishes_wins(kit):
    instances = [kit.main.attempts, kit.open().attempts]
    state = instances[0].begin("v")

    def finish(i):
        try:
            return instances[i % 2].finish(state)["verifier"]
        except AttemptError as exc:
            return exc.reason

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(finish, range(16)))
    assert results.count("v") == 1 and results.count("replayed") == 15


def test_expired_attempts_and_the_pending_bound_and_sweep(kit):
    short = kit.open(STATE_TTL=0.2, CONNECT_MAX_PENDING=2).attempts
    old = short.begin("v1")
    short.begin("v2")
    with pytest.raises(AttemptsFull):
        short.begin("v3")
    time.sleep(0.25)
    with pytest.raises(AttemptError) as exc:
        short.finish(old)
    assert exc.value.reason == "expired"
    time.sleep(0.45)
    assert short.sweep() == 2  # the other attempt and the tombstone, both older than twice the TTL
    assert short.status(old) == "unknown"
    short.begin("v4")  # the sweep recounted what is pending


# -- the deletion form's rate limit --


def test_rate_limit_counts_hits_per_client_in_a_window(kit):
    limit = kit.limiter(3, window=60)
    assert [limit.allow("10.0.0.1", now=100.0 + i) for i in range(4)] == [True, True, True, False]
    assert limit.allow("10.0.0.2", now=104.0) is True
    assert limit.allow("10.0.0.1", now=161.5) is True  # the first hit has left the window


def test_rate_limit_is_shared_by_instances_and_keeps_no_address(pg_url, tmp_path):
    # PostgreSQL only: the file backend's count is shared by one machine's workers (tests/test_security.py).
    kit = make_kit("postgresql", tmp_path, pg_url)
    a, b = kit.limiter(2, window=60), kit.limiter(2, window=60, backend=kit.open(lock_timeout=5))
    assert [
        a.allow("203.0.113.9", now=1000.0),
        b.allow("203.0.113.9", now=1001.0),
        a.allow("203.0.113.9", now=1002.0),
        b.allow("203.0.113.9", now=1003.0),
    ] == [True, True, False, False]
    assert "203.0.113.9" not in kit.everything() and len(kit.rows("rate_hits")) == 1
    b.allow("198.51.100.7", now=1100.0)  # a window later: the first client's row is deleted
    assert len(kit.rows("rate_hits")) == 1


# -- erasure --


def test_erasure_leaves_nothing_naming_the_account(kit):
    victim, bystander = "-000victim", "-000bystander"
    backend = kit.main
    backend.store.put(account(victim, "Victim Name", username="victim_user"))
    backend.store.put(account(bystander, "Bystander"))
    recs = backend.records
    recs.events.add({**receipt("pub-1"), "user": victim})
    recs.events.add({**receipt("pub-2"), "user": bystander})
    removal = {
        "id": "rm-1",
        "at": 3.0,
        "event": "authorization.removed",
        "create_time": 3,
        "user": victim,
        "subject": recs.subject(victim),
        "content": {"reason": 1},
        "done": False,
    }
    assert recs.events.add(removal) == "new"
    recs.deletions.add(now=1.0, source="tiktok", open_id=victim)
    recs.deletions.add(now=2.0, source="meta", meta_user_id=victim)
    kept = recs.deletions.add(now=2.5, source="form", open_id=bystander)
    backend.attempts.begin("v", purpose="deletion", request=kept["code"])
    kit.limiter(5).allow("192.0.2.1")
    from callback.data.queue import PostQueue

    queue = PostQueue(kit.settings["DATA_DIR"])  # queued videos are files beside either backend
    video = Path(kit.settings["DATA_DIR"]) / "victim.mp4"
    video.parent.mkdir(parents=True, exist_ok=True)
    video.write_bytes(b"not much of a video")
    queue.add(open_id=victim, title="Victim's video", path=video)
    video.unlink()
    assert victim in kit.everything()

    again = kit.open(lock_timeout=5)  # another instance erases: all it knows is in the shared storage
    out = erase_user(victim, store=again.store, recs=again.records, source="tiktok", key="rm-1", reason="gone")
    again.records.events.mark_done("rm-1")
    assert out["tokens"] is True and out["events"] == 2 and out["requests"] == 2
    everything = kit.everything()
    for name in (victim, "Victim Name", "victim_user", f"act.{victim}"):
        assert name not in everything, name
    assert queue.for_account(victim) == [] and "Victim's video" not in everything_on_disk(kit)
    assert bystander in everything and backend.store.get(bystander)
    assert [r["done"] for r in recs.events.receipts() if r["id"] == "rm-1"] == [True]
    # Retried (a crash before mark_done): every step is idempotent and the receipt is the same one.
    again_out = erase_user(victim, store=backend.store, recs=recs, source="tiktok", key="rm-1", reason="gone")
    assert again_out["code"] == out["code"] and again_out["tokens"] is False and victim not in kit.everything()
