"""Shared by the benchmarks: one output format, one results folder, the machine it ran on."""

from __future__ import annotations

import gzip
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = Path(os.environ.get("QA_CORPUS_DIR", ROOT.parent / "shared" / "corpus"))
RESULTS = ROOT / "bench" / "results"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} CPU, {platform.python_implementation()} {platform.python_version()}"


def corpus_records(name: str, limit: int, skip: int = 0) -> list[dict]:
    out = []
    with gzip.open(CORPUS / name / "articles.jsonl.gz", "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if number < skip:
                continue
            if len(out) >= limit:
                break
            record = json.loads(line)
            record.pop("abstract", None)  # never let the answer key reach the tool
            out.append(record)
    return out


def write_results(name: str, figures: dict, notes: str = "") -> Path:
    """Print ``bench <name>: key=value ...`` lines and save them to bench/results/<name>.json."""
    payload = {"bench": name, "date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine(), **figures}
    if notes:
        payload["notes"] = notes
    for key, value in figures.items():
        shown = f"{value:.4g}" if isinstance(value, float) else value
        print(f"bench {name}: {key} = {shown}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"bench {name}: written to {path.relative_to(ROOT)}")
    return path
