"""The GitHub workflows: every supported Python, no duplicate runs, least privilege, current actions, a safe deploy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
# The newest major of each action confirmed from its releases; the workflows may use only these actions.
NEWEST = {
    "actions/checkout": 7,
    "actions/setup-python": 7,
    "actions/cache": 5,
    "actions/configure-pages": 6,
    "actions/upload-pages-artifact": 5,
    "actions/deploy-pages": 5,
}


def workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def runs(job: dict) -> str:
    return "\n".join(s.get("run", "") for s in steps(job))


def uses(job: dict, action: str) -> list[dict]:
    return [s for s in steps(job) if s.get("uses", "").split("@")[0] == action]


PYPROJECT = (ROOT / "pyproject.toml").read_text()  # read as text: tomllib is not in Python 3.10
MAKEFILE = (ROOT / "Makefile").read_text()


def make_recipe(target: str) -> list[str]:
    """The commands of a Makefile target's recipe, with the venv's `$(BIN)/` left out."""
    found = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", MAKEFILE, re.M)
    assert found, target
    return [line.strip().replace("$(BIN)/", "") for line in found.group(1).splitlines()]


def supported_pythons() -> list[str]:
    return re.findall(r'"Programming Language :: Python :: (3\.\d+)"', PYPROJECT)


@pytest.mark.parametrize("name", ["tests.yml", "pages.yml"])
def test_actions_are_first_party_at_their_newest_major(name):
    for job in workflow(name)["jobs"].values():
        for step in steps(job):
            if "uses" in step:
                action, _, ref = step["uses"].partition("@")
                assert action in NEWEST, step["uses"]
                assert re.fullmatch(r"v\d+", ref) and int(ref[1:]) >= NEWEST[action], step["uses"]


@pytest.mark.parametrize("name", ["tests.yml", "pages.yml"])
def test_every_job_has_a_timeout_and_the_top_level_only_reads(name):
    wf = workflow(name)
    assert wf["permissions"] == {"contents": "read"}
    for job_name, job in wf["jobs"].items():
        assert 0 < job["timeout-minutes"] <= 60, job_name


def test_tests_run_on_pushes_to_main_and_pull_requests_once():
    wf = workflow("tests.yml")
    assert set(wf["on"]) == {"push", "pull_request"}
    assert wf["on"]["push"] == {"branches": ["main"]}  # a branch push is tested through its pull request
    assert wf["concurrency"]["cancel-in-progress"] is True
    assert "github.event.pull_request.number || github.ref" in wf["concurrency"]["group"]
    assert all("permissions" not in job for job in wf["jobs"].values())


def test_tests_cover_every_supported_python_with_browser_tests_once():
    jobs = workflow("tests.yml")["jobs"]
    matrix = jobs["test"]["strategy"]["matrix"]["python"]
    assert matrix == ["3.10", "3.11", "3.12", "3.13"] == supported_pythons()
    assert jobs["test"]["strategy"]["fail-fast"] is False
    assert 'pytest -m "not browser"' in runs(jobs["test"])
    browser = [name for name, job in jobs.items() if re.search(r"pytest -m browser\b", runs(job))]
    assert browser == ["browser"] and "matrix" not in str(jobs["browser"])
    assert jobs["browser"]["container"].startswith("python:3.12-bookworm")  # Debian, for Debian's chromium
    assert re.search(r"apt-get install .*\bchromium\b", runs(jobs["browser"]))
    assert "postgresql" in runs(jobs["test"])  # the storage tests' throwaway cluster


def test_the_lint_job_runs_what_make_lint_runs_on_the_oldest_python():
    lint = workflow("tests.yml")["jobs"]["lint"]
    assert make_recipe("lint") == ["ruff check .", "ruff format --check .", "mypy"]
    checks = [s["run"] for s in steps(lint) if "run" in s and "pip install" not in s["run"]]
    # The workflow may ask ruff for annotations on the pull request; the commands stay the same.
    assert [re.sub(r" --output-format=\S+", "", c) for c in checks] == make_recipe("lint")
    oldest = supported_pythons()[0]
    setup = uses(lint, "actions/setup-python")[0]["with"]
    assert setup["python-version"] == oldest and setup["cache"] == "pip"
    assert f'python_version = "{oldest}"' in PYPROJECT  # mypy checks the code as the oldest Python reads it
    assert f'target-version = "py{oldest.replace(".", "")}"' in PYPROJECT
    assert "pytest" not in runs(lint)


def test_make_test_lints_before_the_suite():
    assert re.search(r"^test: lint\b", MAKEFILE, re.M)  # a lint failure stops `make test` before the suite
    assert make_recipe("test") == ["pytest -n 2"]  # the suite on two processes, as CI runs it


def test_tests_install_the_project_and_cache_pip():
    jobs = workflow("tests.yml")["jobs"]
    for name, job in jobs.items():
        assert "pip install -e '.[test,zensical]'" in runs(job), name
    setup = uses(jobs["test"], "actions/setup-python")[0]["with"]
    assert setup["cache"] == "pip" and setup["cache-dependency-path"] == "pyproject.toml"
    assert setup["python-version"] == "${{ matrix.python }}"
    assert uses(jobs["browser"], "actions/cache")[0]["with"]["path"] == "~/.cache/pip"


def test_pages_builds_for_production_with_pinned_generators():
    wf = workflow("pages.yml")
    assert wf["on"]["push"] == {"branches": ["main"]} and "pull_request" not in wf["on"]
    assert wf["concurrency"]["cancel-in-progress"] is False  # a deployment is never cut off halfway
    build = runs(wf["jobs"]["build"])
    assert "greenlight build --production --strict" in build
    install = next(line for line in build.splitlines() if "pip install" in line)
    assert "pip install . " in install  # the project itself, not bare generators
    for package, floor in (("mkdocs", "1.6"), ("mkdocs-material", "9.5")):
        assert f'"{package}>={floor}' in PYPROJECT  # the floor the project itself requires
        assert re.search(rf"'{package}>={re.escape(floor)},<\d+'", install), package
    assert uses(wf["jobs"]["build"], "actions/setup-python")[0]["with"]["cache"] == "pip"
    assert uses(wf["jobs"]["build"], "actions/upload-pages-artifact")[0]["with"]["path"] == "site"


def test_pages_permissions_are_the_least_each_job_needs():
    jobs = workflow("pages.yml")["jobs"]
    assert jobs["build"]["permissions"] == {"contents": "read", "pages": "read"}  # configure-pages reads Pages
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert jobs["deploy"]["needs"] == "build" and jobs["deploy"]["environment"]["name"] == "github-pages"
    assert jobs["deploy"]["environment"]["url"] == "${{ steps.deployment.outputs.page_url }}"


def test_configure_pages_outputs_are_used():
    build = workflow("pages.yml")["jobs"]["build"]
    configure = uses(build, "actions/configure-pages")[0]
    reads = [s for s in steps(build) if f"steps.{configure['id']}.outputs.base_url" in str(s.get("env", {}))]
    assert reads and steps(build).index(reads[0]) < next(
        i for i, s in enumerate(steps(build)) if "greenlight build" in s.get("run", "")
    )


@pytest.mark.parametrize(
    "pages_url, ok",
    [
        ("https://clipwise.example", True),
        ("https://clipwise.example/", True),
        ("https://octocat.github.io/clipwise", False),
    ],
)
def test_the_site_address_check_compares_the_facts_with_pages(pages_url, ok):
    check = next(s for s in steps(workflow("pages.yml")["jobs"]["build"]) if "PAGES_URL" in s.get("env", {}))
    script = re.search(r"<<'EOF'\n(.*?)\nEOF", check["run"], re.S).group(1)
    env = {**os.environ, "PAGES_URL": pages_url}
    env.pop("GREENLIGHT_FACTS", None)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode == 0) == ok, done.stdout + done.stderr
    assert ("::error::extra.app.urls.site is https://clipwise.example" in done.stdout) != ok
