"""The Chroma side of a store: a client of a Chroma server (:func:`chroma_client`), the collection of chunks
(``COLLECTION``) and the metadata a chunk is stored with there (:func:`chunk_metadata`, read back by
:meth:`~qa.store.articles.StoredChunk.from_chroma`)."""

from __future__ import annotations

from urllib.parse import urlsplit

import chromadb
from chromadb.config import Settings as ChromaSettings

from qa.store.articles import Article, Chunk
from qa.store.errors import ServerUnavailableError, StoreError, first_line

COLLECTION = "chunks"


def chroma_client(url: str):
    """A client of the Chroma server at ``url``, checked to answer: ``http://host:port`` (the server's default
    database) or ``http://host:port/NAME`` (the database NAME, created when missing: one server, several stores)."""
    parts = urlsplit(url if "//" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreError(f"QA_CHROMA_URL={url!r} is not a server address: give http://HOST:PORT")
    host, port, ssl = parts.hostname, parts.port or (443 if parts.scheme == "https" else 8000), parts.scheme == "https"
    database = parts.path.strip("/") or chromadb.DEFAULT_DATABASE
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if database != chromadb.DEFAULT_DATABASE:
            admin = chromadb.AdminClient(ChromaSettings(
                chroma_api_impl="chromadb.api.fastapi.FastAPI", chroma_server_host=host, chroma_server_http_port=port,
                chroma_server_ssl_enabled=ssl, anonymized_telemetry=False))
            try:
                admin.get_database(database)
            except Exception:  # noqa: BLE001  (chromadb raises NotFoundError, or others by version)
                admin.create_database(database)
        client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=settings, database=database)
        client.heartbeat()
    except Exception as exc:  # noqa: BLE001  (httpx, chromadb and socket errors alike)
        raise ServerUnavailableError(
            f"Cannot reach the Chroma server at {url} ({first_line(exc)}). Start it (chroma run --host HOST --port "
            "PORT --path DIR) or check QA_CHROMA_URL; unset QA_CHROMA_URL to use the embedded store.") from exc
    return client


def chunk_metadata(article: Article, chunk: Chunk, story: str) -> dict:
    meta = {
        "article_id": article.id, "title": article.title, "source": article.source, "url": article.url,
        "date": article.date, "date_int": article.date_int, "lang": article.lang,
        "chunk_index": chunk.index, "start": chunk.start, "end": chunk.end, "content_hash": article.content_hash,
        "story": story,
    }
    return {k: v for k, v in meta.items() if v is not None}
