from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
SAMPLES = ROOT / "data" / "samples"
SEED = SAMPLES / "otan-guerre-nucleaire-fr.txt"


def corpus_records(name: str, limit: int | None = None, skip: int = 0) -> list[dict]:
    path = CORPUS / name / "articles.jsonl.gz"
    if not path.exists():
        pytest.skip(f"corpus {path} not available")
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if number < skip:
                continue
            if limit is not None and len(out) >= limit:
                break
            record = json.loads(line)
            record.pop("abstract", None)
            out.append(record)
    return out


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def settings(tmp_path):
    from qa.settings import get_settings

    return get_settings().model_copy(update={"store_dir": tmp_path / "store"})


@pytest.fixture
def assistant(settings):
    from qa import Assistant

    return Assistant(settings)


def run_cli(*args: str, store: Path, timeout: float = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``python ingest.py ...`` or ``python -m qa ...`` as a user would."""
    full_env = {**os.environ, "QA_STORE_DIR": str(store), **(env or {})}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=full_env, capture_output=True, text=True,
                          timeout=timeout)
