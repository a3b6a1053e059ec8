"""A .env file means what python-dotenv says it means, for the service's settings and the secret guard alike."""

from __future__ import annotations

import re

import pytest

from callback.facts.settings import load_settings, read_env_file
from callback.site.audit import secret_values
from callback.site.build import SiteError
from site_support import build, project

# (form, the line(s) in .env, the value of KEY); an earlier line sets BASE=base for the interpolation form.
FORMS = [
    ("plain", "KEY=value", "value"),
    ("inline-comment", "KEY=v4lue # rotated in May", "v4lue"),
    ("hash-inside-a-word", "KEY=v#not-a-comment", "v#not-a-comment"),
    ("double-quoted-hash", 'KEY="quoted # not a comment"', "quoted # not a comment"),
    ("single-quoted-literal", r"KEY='single \n kept'", r"single \n kept"),
    ("double-quoted-escapes", r'KEY="tab\there\nline \"q\" back\\slash"', 'tab\there\nline "q" back\\slash'),
    ("export", "export KEY=exported", "exported"),
    ("spaces-around", "  KEY  =   spaced value   ", "spaced value"),
    ("empty", "KEY=", ""),
    ("equals-in-value", "KEY=a=b=c", "a=b=c"),
    ("multi-line-double", 'KEY="first line\nsecond line"', "first line\nsecond line"),
    ("multi-line-single", "KEY='one\ntwo'", "one\ntwo"),
    ("interpolation", "KEY=${BASE}-x", "base-x"),
    ("padded-quotes", 'KEY="  padded  "', "  padded  "),
    ("quotes-inside-unquoted", 'KEY=it\'s "fine"', 'it\'s "fine"'),
]


@pytest.mark.parametrize("line, expected", [f[1:] for f in FORMS], ids=[f[0] for f in FORMS])
def test_each_common_form_reads_as_python_dotenv_reads_it(tmp_path, line, expected):
    env = tmp_path / ".env"
    env.write_text(f"# settings\nBASE=base\n\n{line}\nAFTER=after\n", encoding="utf-8")
    assert read_env_file(env) == {"BASE": "base", "KEY": expected, "AFTER": "after"}


def test_crlf_lines_a_bare_name_and_a_missing_file(tmp_path):
    env = tmp_path / ".env"
    env.write_bytes(b"A=one\r\nBARE\r\nB='two'\r\n")
    assert read_env_file(env) == {"A": "one", "B": "two"}  # a name without "=" sets nothing
    assert read_env_file(tmp_path / "missing.env") == {}


def test_the_service_reads_dotenv_the_same_way(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text('GREENLIGHT_STATE_TTL=120 # two minutes\nTIKTOK_CLIENT_KEY="ck # 1"\n')
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings["STATE_TTL"] == 120 and settings["TIKTOK_CLIENT_KEY"] == "ck # 1"


def test_the_secret_guard_reads_the_values_the_service_reads(tmp_path):
    env = tmp_path / ".env"
    env.write_text(
        "TIKTOK_CLIENT_SECRET=s3cr3t-value-123 # rotated 2026-05\n"
        "META_APP_SECRET=\"multi\\nline-secret\"\nexport GREENLIGHT_SECRET_KEY='exported-key-99'\n"
    )
    read = read_env_file(env)
    assert secret_values({}, env) == {f"value of {k} from .env": v for k, v in sorted(read.items())}
    assert read["TIKTOK_CLIENT_SECRET"] == "s3cr3t-value-123" and read["META_APP_SECRET"] == "multi\nline-secret"


def test_a_secret_followed_by_a_comment_stops_the_build(tmp_path, facts_file):
    config = project(tmp_path, facts_file)
    (tmp_path / ".env").write_text("TIKTOK_CLIENT_SECRET=s3cr3t-value-123 # rotated 2026-05\n")
    terms = tmp_path / "docs" / "terms.md"
    terms.write_text(terms.read_text() + "\nDebug: s3cr3t-value-123\n")
    with pytest.raises(SiteError, match=re.escape("terms/index.html: value of TIKTOK_CLIENT_SECRET from .env")):
        build(config=config)
