"""Reading articles from files: one table from file kind to the function that reads it.

Every reader yields :class:`Article` or :class:`Failure` records; a failure never stops the others.
Adding a format is one entry in :data:`READERS`.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from qa.store.articles import Article, Failure, printable
from qa.text.cleaning import clean_text, normalize_date, without_title
from qa.ingest.front_matter import front_matter
from qa.text.language import detect_language

Record = Article | Failure


@dataclass(frozen=True)
class Limits:
    """What a file may hold: its size on disk, its size once decompressed, the length of one line."""

    file_bytes: int = 200_000_000
    expanded_bytes: int = 1_000_000_000
    line_bytes: int = 1_048_576
    max_ratio: int = 100  # a .gz expanding more than this many times its size is refused (a gzip bomb)
    listed_failures: int = 50  # failures listed per file; the rest are counted in one last line

    @classmethod
    def from_settings(cls, settings) -> Limits:
        return cls(file_bytes=int(settings.max_file_mb * 1e6), expanded_bytes=int(settings.max_expanded_mb * 1e6),
                   line_bytes=int(settings.max_line_kb * 1024))


Reader = Callable[[Path, Limits], Iterator[Record]]


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 1e6 else f"{n / 1024:,.0f} KB"


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
    lang = meta.pop("lang", None) or detect_language(f"{title}\n{text}")
    date = normalize_date(meta.pop("date", None))
    return Article(id=printable(id), title=title, text=text, lang=lang, date=date, warnings=warnings, **meta)


def _title_from(text: str) -> str:
    first = re.split(r"(?<=[.!?])\s", text.strip().split("\n", 1)[0], maxsplit=1)[0]
    return first if len(first) <= 120 else first[:117].rsplit(" ", 1)[0] + "…"


def read_text(path: Path, limits: Limits) -> Iterator[Record]:
    """Plain text or Markdown: the first non-empty line is the title."""
    data = path.read_bytes()
    longest = max(len(line) for line in data.split(b"\n"))
    if longest > limits.line_bytes:
        yield Failure(path=str(path), reason=f"a line of {_mb(longest)} is longer than the limit of "
                                             f"{_mb(limits.line_bytes)} (QA_MAX_LINE_KB): not an article")
        return
    text, warning = decode(data)
    meta, text = front_matter(text)
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
                 path=str(path), **{"source": None, **meta})


def _strip_markdown(text: str) -> str:
    text = re.sub(r"^#{1,6}\s*", "", text, flags=re.M)  # headings
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)  # images
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)  # bold
    return re.sub(r"^\s*[-*+]\s+", "", text, flags=re.M)  # bullets


def read_html(path: Path, limits: Limits) -> Iterator[Record]:
    """A saved web page: main text, title, date and language, without menus, ads or scripts."""
    import trafilatura

    html, warning = decode(path.read_bytes())
    doc = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True,
    )
    body = without_title((doc.text if doc else "") or "", doc.title if doc else None)
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


def read_jsonl(path: Path, limits: Limits) -> Iterator[Record]:
    """A collection, one JSON object a line: ``text`` required; ``id``, ``title``, ``date``,
    ``source``, ``url``, ``lang`` optional. Read as a stream (``.gz`` decompressed on the way), so the
    records before a corrupt or oversized part are kept; the first ``limits.listed_failures`` failures
    are listed, the others counted."""
    failures = 0
    for number, line in _lines(path, limits):
        record = line if isinstance(line, Failure) else _json_record(path, number, line)
        if isinstance(record, Failure) and record.line is not None and not record.reason.startswith("corrupt"):
            failures += 1
            if failures > limits.listed_failures:
                continue
        if record is not None:
            yield record
    if failures > limits.listed_failures:
        yield Failure(path=str(path), reason=f"{failures - limits.listed_failures:,} more records failed (not listed)")


def _json_record(path: Path, number: int, line: bytes) -> Record | None:
    if not line.strip():
        return None
    try:
        text, warning = decode(line)
    except DecodeError as exc:
        return Failure(path=str(path), line=number, reason=str(exc))
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        return Failure(path=str(path), line=number, reason=f"bad JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(record, dict):
        return Failure(path=str(path), line=number, reason="not a JSON object")
    body = record.get("text")
    if body is not None and not isinstance(body, str):
        kind = {bool: "true/false", int: "a number", float: "a number", list: "a list", dict: "an object"}.get(
            type(body), type(body).__name__)
        return Failure(path=str(path), line=number, reason=f"its 'text' is {kind}, not a string")
    if not isinstance(body, str) or not body.strip():
        return Failure(path=str(path), line=number, reason="record has no 'text'")
    ident = record.get("id") or record.get("url") or f"{path}#{number}"
    meta = {k: str(record[k]) for k in _JSON_FIELDS if record.get(k) not in (None, "")}
    return _build(path, id=str(ident), title=record.get("title"), text=body,
                  warnings=[warning] if warning else [], path=str(path), line=number, **meta)


def _lines(path: Path, limits: Limits) -> Iterator[tuple[int, bytes | Failure]]:
    """(line number, bytes) of a file, decompressed as it streams when it is a ``.gz``; the bounds of
    ``limits`` are counted as it goes. A line over the bound is one Failure (and skipped); a file that
    expands beyond its bound, or corrupt gzip data, ends the file with a Failure."""
    compressed = path.name.lower().endswith(".gz")
    number = expanded = 0
    with open(path, "rb") as raw:
        stream = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
        try:
            while line := stream.readline(limits.line_bytes + 1):
                number += 1
                expanded += len(line)
                if len(line) > limits.line_bytes and not line.endswith(b"\n"):
                    while (more := stream.readline(limits.line_bytes + 1)) and not more.endswith(b"\n"):
                        expanded += len(more)
                        if expanded > limits.expanded_bytes:
                            break
                    expanded += len(more)
                    yield number, Failure(path=str(path), line=number, reason=(
                        f"line longer than the limit of {_mb(limits.line_bytes)} (QA_MAX_LINE_KB): skipped"))
                else:
                    yield number, line
                if expanded > limits.expanded_bytes:
                    yield number, Failure(path=str(path), reason=(
                        f"expands beyond the limit of {_mb(limits.expanded_bytes)} (QA_MAX_EXPANDED_MB): "
                        f"reading stopped after line {number:,}"))
                    return
                if compressed and expanded > 1_000_000 and expanded > limits.max_ratio * raw.tell():
                    yield number, Failure(path=str(path), reason=(
                        f"expands more than {limits.max_ratio} times its size (a gzip bomb?): reading stopped "
                        f"after line {number:,}"))
                    return
        except (OSError, EOFError, zlib.error) as exc:
            yield number + 1, Failure(path=str(path), line=number + 1, reason=(
                f"corrupt {'gzip data' if compressed else 'file'} ({exc}): reading stopped; the "
                f"{number:,} lines before were read"))


FOLDER_NOTES = re.compile(r"(?i)(readme|license|licence|changelog|notice|copying)(\.[a-z]+)?$")

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
    """Files under the given paths, folders recursively and in a stable order. Inside folders, hidden files
    and a folder's own notes (README, LICENSE, CHANGELOG, NOTICE) are skipped: they are not articles."""
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            yield from _walk(path)
        elif path.is_file():
            yield path
        else:
            yield Failure(path=str(path), reason="no such file or folder")


def _walk(top: Path) -> Iterator[Path | Failure]:
    """The files under ``top``, sorted, following links to folders once each; a link back to a folder already
    read (a loop) and a link to nothing are one Failure each, never followed or skipped silently."""
    found: list[Path | Failure] = []
    seen = {os.path.realpath(top)}

    def visit(folder: Path) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            found.append(Failure(path=str(folder), reason=f"cannot read this folder ({exc.strerror or exc})"))
            return
        for entry in entries:
            child = Path(entry.path)
            if entry.name.startswith("."):
                continue
            if entry.is_symlink() and not child.exists():
                found.append(Failure(path=str(child), reason="a link to nothing (broken link): skipped"))
            elif entry.is_dir():
                real = os.path.realpath(child)
                if real in seen:
                    found.append(Failure(path=str(child), reason=f"a link to {real}, a folder already read (a loop): "
                                                                 "not followed"))
                    continue
                seen.add(real)
                visit(child)
            elif entry.is_file() and not FOLDER_NOTES.match(entry.name):
                found.append(child)

    visit(top)
    yield from sorted(found, key=lambda item: Path(item.path).parts if isinstance(item, Failure) else item.parts)


def read_file(path: Path, limits: Limits, *, identity: str | None = None) -> Iterator[Record]:
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
    if size > limits.file_bytes:
        yield Failure(path=str(path), reason=f"file too large ({size / 1e6:.1f} MB > limit "
                                            f"{limits.file_bytes / 1e6:.1f} MB; raise QA_MAX_FILE_MB to allow it)")
        return
    try:
        for record in reader(path, limits):
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


def iter_records(paths: Iterable[str | Path], limits: Limits) -> Iterator[Record]:
    """The records of the files under ``paths``; a file without an id of its own (a .txt or .md article, a
    page without its address) is named by :func:`relative_id`, not by where this machine keeps it."""
    for raw in paths:
        for item in expand([raw]):
            if isinstance(item, Failure):
                yield item
            else:
                yield from read_file(item, limits, identity=relative_id(Path(raw).expanduser(), item))


def relative_id(given: Path, path: Path) -> str:
    """The id of a file found under ``given`` (a folder or the file itself): its path from the folder's
    parent, ``samples/otan.txt`` for ``ingest.py data/samples``, ``samples/otan.txt`` for
    ``ingest.py data/samples/otan.txt`` too; the same on every machine."""
    base = given if given.is_dir() else given.parent
    try:
        inside = path.relative_to(base)
    except ValueError:  # a link followed out of the folder
        inside = Path(path.name)
    return (Path(base.resolve().name or "files") / inside).as_posix()


def count_records(paths: Iterable[str | Path], limits: Limits) -> int:
    """A cheap count of the records under ``paths`` (for progress bars): the lines of collections (within
    their bounds), one for any other file."""
    total = 0
    for item in expand(paths):
        if not isinstance(item, Failure) and reader_for(item) is read_jsonl and item.stat().st_size <= limits.file_bytes:
            total += sum(1 for _, line in _lines(item, limits) if isinstance(line, Failure) or line.strip())
        else:
            total += 1
    return total
