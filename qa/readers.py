"""Reading articles from files: one table from file kind to the function that reads it.

Every reader yields :class:`Article` or :class:`Failure` records; a failure never stops the others.
Adding a format is one entry in :data:`READERS`.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from qa.articles import Article, Failure
from qa.cleaning import clean_text, normalize_date
from qa.language import detect_language

Record = Article | Failure
Reader = Callable[[Path, bytes], Iterator[Record]]


class DecodeError(ValueError):
    pass


def decode(data: bytes) -> tuple[str, str | None]:
    """Bytes to text: UTF-8, else the legacy Windows-1252/Latin-1 of old French files (with a warning)."""
    if b"\x00" in data[:8192]:
        raise DecodeError("binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise DecodeError("cannot be decoded as UTF-8 or Windows-1252/Latin-1") from None
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t")
    if controls > max(2, len(text) // 100):
        raise DecodeError("binary file (control bytes), not text")
    return text, "not UTF-8: decoded as Windows-1252/Latin-1"


def _build(origin: Path, *, id: str, title: str | None, text: str, warnings: list[str], **meta) -> Record:
    text = clean_text(text)
    title = clean_text(title or "")
    if not text:
        return Failure(path=str(origin), line=meta.pop("line", None), reason="no text")
    if not title:
        title = _title_from(text)
    meta.pop("line", None)
    lang = meta.pop("lang", None) or detect_language(f"{title}\n{text}")
    date = normalize_date(meta.pop("date", None))
    return Article(id=id, title=title, text=text, lang=lang, date=date, warnings=warnings, **meta)


def _title_from(text: str) -> str:
    first = re.split(r"(?<=[.!?])\s", text.strip().split("\n", 1)[0], maxsplit=1)[0]
    return first if len(first) <= 120 else first[:117].rsplit(" ", 1)[0] + "…"


def read_text(path: Path, data: bytes) -> Iterator[Record]:
    """Plain text or Markdown: the first non-empty line is the title."""
    text, warning = decode(data)
    lines = text.strip().split("\n", 1)
    title = lines[0].strip()
    body = lines[1] if len(lines) > 1 else ""
    if path.suffix.lower() == ".md":
        title = title.lstrip("#").strip()
        body = _strip_markdown(body)
    if not body.strip():
        yield Failure(path=str(path), reason="empty file" if not title else "no text after the title line")
        return
    yield _build(path, id=str(path.resolve()), title=title, text=body, warnings=[warning] if warning else [],
                 path=str(path), source=None)


def _strip_markdown(text: str) -> str:
    text = re.sub(r"^#{1,6}\s*", "", text, flags=re.M)  # headings
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)  # images
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)  # bold
    return re.sub(r"^\s*[-*+]\s+", "", text, flags=re.M)  # bullets


def read_html(path: Path, data: bytes) -> Iterator[Record]:
    """A saved web page: main text, title, date and language, without menus, ads or scripts."""
    import trafilatura

    html, warning = decode(data)
    doc = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True,
    )
    body = (doc.text if doc else "") or ""
    if not body.strip():
        yield Failure(path=str(path), reason="no article text found in the HTML page")
        return
    url = getattr(doc, "url", None)
    yield _build(
        path, id=url or str(path.resolve()), title=doc.title, text=body, warnings=[warning] if warning else [],
        url=url, date=doc.date, lang=_html_lang(html) or getattr(doc, "language", None),
        source=getattr(doc, "sitename", None) or getattr(doc, "hostname", None), path=str(path),
    )


def _html_lang(html: str) -> str | None:
    match = re.search(r"<html[^>]*\slang=[\"']?([a-zA-Z]{2})", html[:5000])
    return match.group(1).lower() if match else None


_JSON_FIELDS = ("source", "url", "date", "lang")


def read_jsonl(path: Path, data: bytes) -> Iterator[Record]:
    """A collection, one JSON object a line: ``text`` required; ``id``, ``title``, ``date``,
    ``source``, ``url``, ``lang`` optional."""
    if path.name.lower().endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            yield Failure(path=str(path), reason=f"not a valid gzip file ({exc})")
            return
    text, warning = decode(data)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Failure(path=str(path), line=number, reason=f"bad JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(record, dict):
            yield Failure(path=str(path), line=number, reason="not a JSON object")
            continue
        body = record.get("text")
        if not isinstance(body, str) or not body.strip():
            yield Failure(path=str(path), line=number, reason="record has no 'text'")
            continue
        ident = record.get("id") or record.get("url") or f"{path}#{number}"
        meta = {k: str(record[k]) for k in _JSON_FIELDS if record.get(k) not in (None, "")}
        yield _build(path, id=str(ident), title=record.get("title"), text=body,
                     warnings=[warning] if warning else [], path=str(path), line=number, **meta)


READERS: dict[str, Reader] = {
    ".txt": read_text,
    ".md": read_text,
    ".markdown": read_text,
    ".html": read_html,
    ".htm": read_html,
    ".jsonl": read_jsonl,
    ".jsonl.gz": read_jsonl,
}


def reader_for(path: Path) -> Reader | None:
    name = path.name.lower()
    for suffix in sorted(READERS, key=len, reverse=True):
        if name.endswith(suffix):
            return READERS[suffix]
    return None


def expand(paths: Iterable[str | Path]) -> Iterator[Path | Failure]:
    """Files under the given paths, folders recursively and in a stable order; hidden files skipped."""
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not any(part.startswith(".") for part in child.relative_to(path).parts):
                    yield child
        elif path.is_file():
            yield path
        else:
            yield Failure(path=str(path), reason="no such file or folder")


def read_file(path: Path, max_bytes: int, *, identity: str | None = None) -> Iterator[Record]:
    """All records of one file; ``identity`` replaces the path as the id (uploads use their name)."""
    reader = reader_for(path)
    if reader is None:
        known = ", ".join(sorted(READERS))
        yield Failure(path=str(path), reason=f"unsupported file type '{path.suffix or path.name}' (supported: {known})")
        return
    size = path.stat().st_size
    if size == 0:
        yield Failure(path=str(path), reason="empty file")
        return
    if size > max_bytes:
        yield Failure(path=str(path), reason=f"file too large ({size / 1e6:.1f} MB > limit {max_bytes / 1e6:.1f} MB; "
                                            "raise QA_MAX_FILE_MB to allow it)")
        return
    try:
        for record in reader(path, path.read_bytes()):
            if identity and isinstance(record, Article):
                if record.id in (str(path), str(path.resolve()), record.url):
                    record.id = identity
                elif record.id.startswith(f"{path}#"):  # a collection line without id or url
                    record.id = identity + record.id[len(str(path)):]
                record.path = identity
            yield record
    except DecodeError as exc:
        yield Failure(path=str(path), reason=str(exc))
    except OSError as exc:
        yield Failure(path=str(path), reason=f"cannot read ({exc.strerror or exc})")


def iter_records(paths: Iterable[str | Path], max_bytes: int) -> Iterator[Record]:
    for item in expand(paths):
        if isinstance(item, Failure):
            yield item
        else:
            yield from read_file(item, max_bytes)
