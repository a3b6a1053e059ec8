"""`greenlight db`: versioned schema upgrades, the service refusing an older schema, moving a data directory in."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from callback.cli import cli
from callback.data.backends import open_backend
from callback.data.pg_db import Database
from callback.data.pg_schema import LATEST, upgrade, version
from callback.data.store import new_key
from callback.facts.settings import ConfigError

ROOT = Path(__file__).resolve().parent.parent
KEY = new_key()


def run(*args: str, url: str = "", key: str = KEY):
    env = {"GREENLIGHT_DATABASE_URL": url, "GREENLIGHT_ENCRYPTION_KEY": key}
    return CliRunner().invoke(cli, ["--facts", str(ROOT / "mkdocs.yml"), *args], env=env, catch_exceptions=False)


def test_upgrade_creates_the_schema_once(pg_empty_url):
    first = run("db", "upgrade", url=pg_empty_url)
    assert first.exit_code == 0 and f"schema is at version {LATEST}" in first.output
    assert "applied migration(s) 1, 2" in first.output
    again = run("db", "upgrade", url=pg_empty_url)
    assert again.exit_code == 0 and "nothing to do" in again.output


def test_db_commands_need_the_database_url(tmp_path):
    out = run("db", "upgrade")
    assert out.exit_code == 1 and "GREENLIGHT_DATABASE_URL is not set" in out.output


def test_the_service_refuses_an_older_schema_naming_the_command(pg_empty_url, app_config):
    from callback import create_app

    upgrade(Database(pg_empty_url), to=1)
    with pytest.raises(ConfigError, match=r"version 1, this Greenlight needs version 2: run `greenlight db upgrade`"):
        create_app({**app_config, "DATABASE_URL": pg_empty_url})
    out = run("deletions", "list", url=pg_empty_url)  # the CLI refuses too, with the same words
    assert out.exit_code == 1 and "greenlight db upgrade" in out.output
    upgrade(Database(pg_empty_url))
    app = create_app({**app_config, "DATABASE_URL": pg_empty_url})
    assert app.extensions["greenlight"]["backend"].kind == "postgresql"
    assert not Path(app_config["DATA_DIR"]).exists() or not any(Path(app_config["DATA_DIR"]).rglob("*.json*"))


def test_an_unreachable_database_is_named_without_its_url(tmp_path):
    url = f"postgresql://someone:hunter2@/nowhere?host={tmp_path}&port=1"
    with pytest.raises(ConfigError, match="cannot connect to the database in GREENLIGHT_DATABASE_URL") as exc:
        open_backend({"DATABASE_URL": url})
    assert "hunter2" not in str(exc.value)


def test_the_file_backend_stays_the_default(tmp_path):
    from callback.data.attempts import Attempts
    from callback.data.records import Records
    from callback.data.tokens import TokenStore

    backend = open_backend({"DATA_DIR": str(tmp_path / "d"), "DATABASE_URL": ""}, lock_timeout=5.0)
    assert backend.kind == "file" and backend.rate_limit is None
    assert not (tmp_path / "d").exists()  # nothing is created before it is used
    assert isinstance(backend.store, TokenStore) and backend.store.lock_timeout == 5.0
    assert isinstance(backend.records, Records) and isinstance(backend.attempts, Attempts)


def files_of(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock")
    }


def test_migrate_from_files_moves_everything_once_and_leaves_the_files(tmp_path, pg_url):
    data = tmp_path / "instance"
    files = open_backend({"DATA_DIR": str(data), "ENCRYPTION_KEY": KEY})
    now = time.time()
    for i in range(3):
        files.store.put(
            {
                "open_id": f"-000u{i}",
                "display_name": f"User {i}",
                "access_token": f"act.{i}",
                "refresh_token": f"rft.{i}",
                "expires_at": now + 60,
                "refresh_expires_at": now + 999,
            }
        )
    files.records.events.add(
        {
            "id": "e1",
            "at": 1.0,
            "event": "post.publish.complete",
            "user": "-000u1",
            "content": {"publish_id": "v1"},
            "done": True,
        }
    )
    files.records.events.add(
        {
            "id": "e2",
            "at": 2.0,
            "event": "authorization.removed",
            "user": "-000u2",
            "content": {"reason": 1},
            "done": False,
        }
    )
    files.records.events.mark_done("e2")
    req = files.records.deletions.add(now=3.0, key="k1", source="form", username="ann")
    subject = files.records.subject("-000u1")
    before = files_of(data)

    first = run("db", "migrate-from-files", str(data), url=pg_url)
    assert first.exit_code == 0, first.output
    assert "accounts (tokens): 3 in files, 3 copied now, 3 verified in the database" in first.output
    assert "webhook receipts: 2 in files, 2 copied now, 2 verified" in first.output
    assert "deletion requests: 1 in files, 1 copied now, 1 verified" in first.output
    assert "receipt salt: 1 in files, 1 copied now, 1 verified" in first.output
    db = open_backend({"DATABASE_URL": pg_url, "ENCRYPTION_KEY": KEY})
    db.store.update("-000u0", access_token="act.newer")  # the service moved on after the first run
    second = run("db", "migrate-from-files", str(data), url=pg_url)
    assert second.exit_code == 0 and "3 in files, 0 copied now, 3 verified" in second.output

    assert files_of(data) == before  # the files are untouched
    assert db.store.get("-000u0")["access_token"] == "act.newer"  # and nothing newer was overwritten
    assert [a["open_id"] for a in db.store.list()] == ["-000u0", "-000u1", "-000u2"]
    assert db.store.get("-000u1") == files.store.get("-000u1")
    assert db.records.events.receipts() == files.records.events.receipts()
    assert db.records.events.add({"id": "e2"}) == "done"
    assert db.records.deletions.all() == [req] and db.records.deletions.add(key="k1") == req
    assert db.records.subject("-000u1") == subject


def test_migrating_into_a_database_salted_otherwise_is_refused(tmp_path, pg_url):
    data = tmp_path / "instance"
    files = open_backend({"DATA_DIR": str(data)})
    files.records.deletions.add(source="form", username="ann")
    files.records.salt()
    db = open_backend({"DATABASE_URL": pg_url})
    db.records.deletions.add(source="form", username="bob")
    db.records.salt()
    out = run("db", "migrate-from-files", str(data), url=pg_url)
    assert out.exit_code == 1 and "another receipt salt" in out.output


def test_the_cli_works_on_the_database(pg_url):
    db = open_backend({"DATABASE_URL": pg_url, "ENCRYPTION_KEY": KEY})
    db.store.put(
        {
            "open_id": "-000a",
            "display_name": "Ann",
            "access_token": "act.a",
            "refresh_token": "rft.a",
            "expires_at": time.time() + 3600,
            "refresh_expires_at": time.time() + 90 * 86400,
        }
    )
    db.records.deletions.add(source="form", username="ann")
    out = run("tokens", "list", url=pg_url)
    assert out.exit_code == 0 and "Ann" in out.output and "act.a" not in out.output
    assert run("token", url=pg_url).output.strip() == "act.a"
    assert "ann" in run("deletions", "list", url=pg_url).output
    assert version_of(pg_url) == LATEST


def version_of(url: str) -> int:
    import psycopg

    with psycopg.connect(Database(url).conninfo(None)) as conn:
        return version(conn)
