"""``make run`` once set up: nothing installed again, nothing printed but the app's own lines. The setup
script runs in a copy of the repository with a stand-in ``.venv/bin/python`` that records what it is asked
(no install happens); the samples are ingested twice by the real ``ingest.py``."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess

from tests.conftest import ROOT, SAMPLES, copy_store, run_process

RECORDER = """#!/bin/sh
echo "$*" >> "$(dirname "$0")/../calls.log"
"""


def _setup_copy(tmp_path, stamp_suffix: str):
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "setup.sh", repo / "scripts" / "setup.sh")
    shutil.copy(ROOT / "pyproject.toml", repo / "pyproject.toml")
    python = repo / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(RECORDER)
    python.chmod(0o755)
    digest = hashlib.sha256((repo / "pyproject.toml").read_bytes() + (repo / "scripts/setup.sh").read_bytes())
    (repo / ".venv" / ".setup-stamp").write_text(digest.hexdigest()[:16] + stamp_suffix + "\n")
    return repo


def test_setup_when_done_installs_nothing_and_prints_nothing(tmp_path):
    env = {**os.environ, "PATH": f"{tmp_path}/nochromium:{os.environ['PATH']}"}
    for suffix in ("", "-dev"):  # set up by `make run` or by `make test`
        repo = _setup_copy(tmp_path / suffix.strip("-") or tmp_path / "plain", suffix)
        done = subprocess.run(["bash", "scripts/setup.sh"], cwd=repo, env=env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        assert (done.stdout, done.stderr) == ("", "")
        assert (repo / ".venv" / "calls.log").read_text().splitlines() == ["-m qa setup --quiet"]
    stale = _setup_copy(tmp_path / "stale", "")
    (stale / ".venv" / ".setup-stamp").write_text("0000000000000000\n")  # pyproject.toml changed: install again
    done = subprocess.run(["bash", "scripts/setup.sh"], cwd=stale, env=env, capture_output=True, text=True, timeout=60)
    assert "installing dependencies" in done.stdout
    assert any("pip install" in line for line in (stale / ".venv" / "calls.log").read_text().splitlines())


def test_ingesting_the_samples_again_prints_nothing(samples_run, tmp_path):
    samples, first = samples_run  # the first run, as make run's
    store = copy_store(samples, tmp_path)
    assert first.returncode == 0 and "53 added" in first.stdout, first.stdout + first.stderr
    assert first.stderr == ""  # no duplicate, no warning in the project's own samples
    again = run_process("ingest.py", "--quiet", "--only-changes", str(SAMPLES), store=store)
    assert again.returncode == 0 and (again.stdout, again.stderr) == ("", "")
    assert "53 unchanged" in run_process("ingest.py", "--quiet", str(SAMPLES), store=store).stdout  # without the flag
