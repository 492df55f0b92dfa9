"""Articles from the web: article pages and the pages of RSS/Atom feeds' items, fetched politely and only when
they changed.

- :class:`WebReader` turns URLs into :class:`~qa.store.articles.Article` / :class:`~qa.store.articles.Failure` records, like
  the file readers of :mod:`qa.ingest.readers`: a page is read by the same HTML reader as a saved ``.html`` file; a
  feed (``feedparser``) yields the pages of its items. A failure is one record with its reason, never an
  exception that stops the others.
- Politeness: one ``User-Agent`` naming newsdesk-qa, the site's ``robots.txt`` (``urllib.robotparser``, its
  ``Crawl-delay`` too), at most one request per ``fetch_host_delay`` seconds to a site, a time limit for a whole
  download, redirects followed one by one (each hop checked) up to ``fetch_max_redirects``, bodies streamed and
  refused past ``max_file_mb``.
- Incremental: :class:`FetchState` (``<store>/fetch.sqlite3``) keeps each URL's ``ETag``/``Last-Modified`` and
  each feed's seen item ids. A re-run asks with ``If-None-Match``/``If-Modified-Since`` (a 304 is "unchanged")
  and fetches only the items it has not seen (or whose date changed). What a run read is remembered only
  once it is stored (:meth:`WebReader.commit`), and only while its article is still in the store.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import tempfile
import time
import urllib.robotparser
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from email.message import Message
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from qa.store.articles import Article, Failure, printable
from qa.text.cleaning import normalize_date
from qa.ingest.readers import Limits, Record, read_html

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+xml",
              "application/xml", "text/xml")
PAGE_TYPES = ("text/html", "application/xhtml+xml")
ROBOTS_BYTES = 500 * 1024  # RFC 9309: a crawler may ignore what a robots.txt holds past 500 KiB
REDIRECTS = frozenset({301, 302, 303, 307, 308})
STATE_FILE = "fetch.sqlite3"
_URL = re.compile(r"(?i)^https?://\S+$")

log = logging.getLogger(__name__)


def is_url(text: str) -> bool:
    """Whether ``text`` is written as an http(s) address (what the command line sends to the web)."""
    return bool(_URL.match(text.strip()))


def canonical_url(url: str) -> str:
    """The form of ``url`` an article is known by: scheme and host lower-cased, default port, fragment and
    tracking parameters (utm_*, fbclid...) dropped, the query sorted (``courlan``, trafilatura's own)."""
    from courlan import normalize_url

    return normalize_url(urldefrag(url).url, strict=False)


class FetchError(Exception):
    """Why a URL could not be fetched, in words a user understands."""


class Unreachable(FetchError):
    """The site did not answer (in time)."""


@dataclass(frozen=True)
class Policy:
    """How the web is fetched (from the ``fetch_*`` settings and ``max_file_mb``)."""

    timeout: float
    host_delay: float
    user_agent: str
    max_redirects: int
    max_bytes: int

    @classmethod
    def from_settings(cls, settings) -> Policy:
        return cls(timeout=settings.fetch_timeout, host_delay=settings.fetch_host_delay,
                   user_agent=settings.fetch_user_agent, max_redirects=settings.fetch_max_redirects,
                   max_bytes=int(settings.max_file_mb * 1e6))

    @property
    def robots_agent(self) -> str:
        """The product token robots.txt rules are matched against (``newsdesk-qa``)."""
        return self.user_agent.split("/")[0].split()[0]


@dataclass(frozen=True)
class Fetched:
    """A response that was read: its final URL (after redirects), status, body and validators."""

    url: str
    status: int
    body: bytes = b""
    content_type: str = ""
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Validators:
    """What a URL's last response said about its version, and the article it gave (a page's)."""

    etag: str | None
    last_modified: str | None
    article_id: str | None

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


# ================================================================ what was fetched before


_SCHEMA = """
CREATE TABLE IF NOT EXISTS urls (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, article_id TEXT,
                                 fetched_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS items (feed TEXT NOT NULL, item TEXT NOT NULL, stamp TEXT NOT NULL,
                                  article_id TEXT NOT NULL, PRIMARY KEY (feed, item));
"""


class FetchState:
    """``<store>/fetch.sqlite3``: each URL's validators (``ETag``, ``Last-Modified``) and each feed's items seen.
    It only saves fetching: deleted, the next run fetches everything again and the store skips what it holds."""

    def __init__(self, directory: Path):
        from qa.store.errors import StoreError

        self.path = Path(directory) / STATE_FILE
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)  # a store on a Chroma server: kept here all the same
            self.db = sqlite3.connect(self.path, timeout=30)
            with self.db:
                self.db.executescript(_SCHEMA)
        except OSError as exc:
            raise StoreError(f"Cannot create {self.path}: {exc.strerror or exc}") from None
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"Cannot use {self.path} ({exc}): it only remembers what was fetched; delete it "
                             "and the next run fetches everything again.") from None

    def close(self) -> None:
        self.db.close()

    def validators(self, url: str) -> Validators | None:
        row = self.db.execute("SELECT etag, last_modified, article_id FROM urls WHERE url = ?", (url,)).fetchone()
        return Validators(*row) if row else None

    def item(self, feed: str, item: str) -> tuple[str, str] | None:
        """(its date stamp, its article id) of a feed item seen before."""
        row = self.db.execute("SELECT stamp, article_id FROM items WHERE feed = ? AND item = ?", (feed, item))
        return row.fetchone()

    def items(self, feed: str) -> list[str]:
        """The article ids of a feed's items seen before."""
        return [r[0] for r in self.db.execute("SELECT article_id FROM items WHERE feed = ?", (feed,))]

    def save(self, urls: Iterable[tuple[str, Validators]], items: Iterable[tuple[str, str, str, str]]) -> None:
        """Remember URLs' validators and feed items (feed, item id, date stamp, article id), in one transaction."""
        now = time.time()
        with self.db:
            self.db.executemany(
                "INSERT INTO urls VALUES (?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, "
                "last_modified = excluded.last_modified, article_id = excluded.article_id, "
                "fetched_at = excluded.fetched_at",
                [(url, v.etag, v.last_modified, v.article_id, now) for url, v in urls])
            self.db.executemany(
                "INSERT INTO items VALUES (?, ?, ?, ?) ON CONFLICT(feed, item) DO UPDATE SET stamp = excluded.stamp, "
                "article_id = excluded.article_id", list(items))


# ================================================================ fetching


class Fetcher:
    """GET with the :class:`Policy`: robots.txt, the per-site delay, bounded redirects, time and size limits."""

    def __init__(self, policy: Policy, client: httpx.Client | None = None):
        self.policy = policy
        self.client = client or httpx.Client(
            headers={"User-Agent": policy.user_agent},
            timeout=httpx.Timeout(policy.timeout), follow_redirects=False)
        self._robots: dict[str, urllib.robotparser.RobotFileParser | FetchError] = {}
        self._next: dict[str, float] = {}  # site -> when the next request to it may start (time.monotonic)

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, headers: dict[str, str] | None = None) -> Fetched:
        """The response to ``url`` (a 304 has no body), following redirects. Only a web page or a feed is
        downloaded: another content type (an image, a PDF) is refused before its body is read."""
        seen = [url]
        for _ in range(self.policy.max_redirects + 1):
            self._allowed(url)
            response = self._send(url, headers, readable=_readable)
            if response.status in REDIRECTS:
                target = response.url
                if target in seen:
                    raise FetchError(f"redirect loop ({' → '.join([*seen[seen.index(target):], target])})")
                seen.append(target)
                url = target
                continue
            if response.status == 304:
                if not headers:
                    raise FetchError("HTTP 304 Not Modified, though it was not asked whether it changed")
                return response
            if response.status >= 400:
                raise FetchError(f"HTTP {response.status} {_reason(response.status)}")
            return response
        raise FetchError(f"more than {self.policy.max_redirects} redirects (QA_FETCH_MAX_REDIRECTS): "
                         f"{' → '.join(seen)}")

    def _send(self, url: str, headers: dict[str, str] | None, *, limit: int | None = None,
              readable: Callable[[str], bool] | None = None) -> Fetched:
        """One request (no redirect followed): a redirect's ``url`` is its target; the body of a 2xx is read
        when ``readable(content_type)`` (or no check is asked)."""
        limit = self.policy.max_bytes if limit is None else limit
        self._wait_turn(url)
        started = time.monotonic()
        try:
            with self.client.stream("GET", url, headers=headers or {}) as response:
                status = response.status_code
                if status in REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError(f"HTTP {status} redirect without a Location")
                    target = urljoin(url, location.strip())
                    if not is_url(target):
                        raise FetchError(f"redirected to {printable(target)!r}, not an http(s) address")
                    return Fetched(url=target, status=status)
                if status == 304 or status >= 400:
                    return Fetched(url=url, status=status)
                content_type, charset = _content_type(response.headers.get("content-type", ""))
                if readable is not None and not readable(content_type):
                    raise FetchError(f"neither a web page nor an RSS/Atom feed (content type {content_type}): "
                                     "not downloaded")
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > limit:
                    raise FetchError(f"larger than the limit of {_mb(limit)} ({_mb(int(declared))}, "
                                     "QA_MAX_FILE_MB): not downloaded")
                body = bytearray()
                for piece in response.iter_bytes():
                    body += piece
                    if len(body) > limit:
                        raise FetchError(f"larger than the limit of {_mb(limit)} (QA_MAX_FILE_MB): download stopped")
                    if time.monotonic() - started > self.policy.timeout:
                        raise httpx.ReadTimeout("the download took too long")
                return Fetched(url=url, status=status, body=bytes(body), content_type=content_type,
                               charset=charset, etag=response.headers.get("etag"),
                               last_modified=response.headers.get("last-modified"))
        except httpx.TimeoutException:
            raise Unreachable(f"no complete answer within {self.policy.timeout:g} s (QA_FETCH_TIMEOUT)") from None
        except httpx.InvalidURL as exc:
            raise FetchError(f"not a valid web address ({exc})") from None
        except httpx.HTTPError as exc:
            raise Unreachable(f"cannot be reached ({_network_error(exc)})") from None

    def _wait_turn(self, url: str) -> None:
        """Sleep until this site may be asked again (``host_delay``, or its robots.txt's Crawl-delay if longer)."""
        site = _site(url)
        wait = self._next.get(site, 0.0) - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        delay = self.policy.host_delay
        robots = self._robots.get(site)
        if isinstance(robots, urllib.robotparser.RobotFileParser):
            delay = max(delay, float(robots.crawl_delay(self.policy.robots_agent) or 0))
        self._next[site] = time.monotonic() + delay

    def _allowed(self, url: str) -> None:
        """Raise :class:`FetchError` when the site's robots.txt disallows ``url`` to newsdesk-qa (or cannot be read)."""
        site = _site(url)
        if site not in self._robots:
            self._robots[site] = self._read_robots(site)
        robots = self._robots[site]
        if isinstance(robots, FetchError):
            raise robots
        if not robots.can_fetch(self.policy.robots_agent, url):
            raise FetchError("disallowed by the site's robots.txt: not fetched")

    def _read_robots(self, site: str) -> urllib.robotparser.RobotFileParser | FetchError:
        """The site's robots.txt (RFC 9309): missing (4xx) allows everything; 401/403 like the standard library,
        and a server or network error, disallow everything (the site is not asked further in this run)."""
        robots = urllib.robotparser.RobotFileParser(f"{site}/robots.txt")
        url = f"{site}/robots.txt"
        try:
            for _ in range(self.policy.max_redirects + 1):
                response = self._send(url, None, limit=ROBOTS_BYTES * 4)
                if response.status not in REDIRECTS:
                    break
                url = response.url
        except Unreachable as exc:  # the site is down: said as such
            return exc
        except FetchError as exc:
            return FetchError(f"the site's robots.txt could not be read ({exc}): not fetched")
        if response.status in (401, 403):
            robots.disallow_all = True
        elif response.status >= 500:
            return FetchError(f"the site's robots.txt answered HTTP {response.status}: not fetched")
        elif response.status >= 300:
            robots.allow_all = True
        else:
            text = response.body[:ROBOTS_BYTES].decode("utf-8", errors="replace")
            robots.parse(text.splitlines())
        return robots


def _site(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _content_type(header: str) -> tuple[str, str | None]:
    message = Message()
    message["content-type"] = header
    return message.get_content_type().lower() if header else "", message.get_param("charset")


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _network_error(exc: httpx.HTTPError) -> str:
    cause = exc.__cause__ or exc.__context__
    detail = str(exc) or str(cause or "") or type(exc).__name__
    return f"{type(exc).__name__}: {detail}"


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 1e6 else f"{n / 1024:,.0f} KB"


# ================================================================ reading


def _readable(content_type: str) -> bool:
    """Whether a response of this content type may be a page or a feed (those without one are sniffed)."""
    return (content_type in (*PAGE_TYPES, *FEED_TYPES, "", "text/plain", "application/octet-stream")
            or content_type.endswith(("+xml", "/rss", "/atom")))


def _kind(fetched: Fetched) -> str | None:
    """'feed', 'page', or None, from the content type (sniffed from the body's start when it says nothing)."""
    if fetched.content_type in PAGE_TYPES:
        return "page"
    if fetched.content_type in FEED_TYPES or fetched.content_type.endswith(("+xml", "/rss", "/atom")):
        return "feed"
    if fetched.content_type in ("", "text/plain", "application/octet-stream"):
        start = fetched.body[:1024].lstrip().lower()
        if start.startswith((b"<!doctype html", b"<html")):
            return "page"
        if re.match(rb"(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(rss|feed|rdf:rdf)\b", start, re.S):
            return "feed"
    return None


def _html_utf8(fetched: Fetched) -> bytes:
    """The page's bytes in UTF-8 (as the HTML reader expects), from the charset its response or page declares."""
    charset = fetched.charset
    if not charset:
        match = re.search(rb"<meta[^>]+charset=[\"']?([\w-]+)", fetched.body[:4096], re.I)
        charset = match.group(1).decode("ascii") if match else None
    if not charset or charset.lower().replace("_", "-") in ("utf-8", "utf8"):
        return fetched.body
    try:
        return fetched.body.decode(charset, errors="replace").encode("utf-8")
    except LookupError:  # an unknown charset: the reader tries UTF-8, then Windows-1252
        return fetched.body


class WebReader:
    """Records of web pages and feeds. ``known(article_id)`` says whether the store holds an article: only
    then is its page asked "only if changed". Use as a context manager; call :meth:`commit` once the records
    are stored."""

    def __init__(self, settings, state_dir: Path, known: Callable[[str], bool], *,
                 client: httpx.Client | None = None):
        self.policy = Policy.from_settings(settings)
        self.limits = Limits.from_settings(settings)
        self.state = FetchState(state_dir)
        self.fetcher = Fetcher(self.policy, client)
        self.known = known
        self.unchanged = 0  # pages not fetched again: unchanged (304) or feed items seen before
        self.warnings: list[str] = []
        self._urls: dict[str, Validators] = {}  # to remember once stored
        self._items: dict[tuple[str, str], tuple[str, str]] = {}

    def __enter__(self) -> WebReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.fetcher.close()
        self.state.close()

    def commit(self) -> None:
        """Remember the validators and feed items of what this run read (call it once those are stored)."""
        self.state.save(self._urls.items(), [(f, i, s, a) for (f, i), (s, a) in self._items.items()])
        self._urls.clear()
        self._items.clear()

    # ------------------------------------------------------------ records
    def records(self, urls: Iterable[str]) -> Iterator[Record]:
        """The articles of ``urls`` (pages, or feeds whose items' pages are read), or why not, one by one."""
        for url in urls:
            url = url.strip()
            if not is_url(url):
                yield Failure(path=url, reason="not a web address (http:// or https://)")
                continue
            try:
                yield from self._read(url)
            except FetchError as exc:
                yield Failure(path=url, reason=str(exc))
            except Exception as exc:  # noqa: BLE001  (one URL's surprise must not stop the others)
                log.exception("reading %s", url)
                yield Failure(path=url, reason=f"unexpected error ({type(exc).__name__}: {exc})")

    def _read(self, url: str) -> Iterator[Record]:
        previous = self.state.validators(url)
        ask = self._conditional(url, previous)
        fetched = self.fetcher.get(url, ask)
        if fetched.status == 304:
            self.unchanged += len(self.state.items(url)) if previous.article_id is None else 1
            return
        kind = _kind(fetched)
        if kind == "page":
            record = self._page(url, fetched)
            if isinstance(record, Article):
                self._urls[url] = Validators(fetched.etag, fetched.last_modified, record.id)
            yield record
        elif kind == "feed":
            yield from self._feed(url, fetched)
        else:
            raise FetchError(f"neither a web page nor an RSS/Atom feed (content type "
                             f"{fetched.content_type or 'not given'})")

    def _conditional(self, url: str, previous: Validators | None) -> dict[str, str]:
        """``If-None-Match``/``If-Modified-Since`` when what ``url`` gave last time is still stored: a page's
        article, or every article of a feed's items seen."""
        if previous is None:
            return {}
        held = [previous.article_id] if previous.article_id else self.state.items(url)
        return previous.headers() if all(self.known(a) for a in held) else {}

    def _page(self, url: str, fetched: Fetched, item=None) -> Record:
        """The article of a fetched page, read by the HTML reader of saved pages. Its id is its canonical URL:
        the page's ``<link rel=canonical>`` when on the same site (a page cannot claim another site's article),
        else the address it was fetched from."""
        from courlan import is_external

        with tempfile.TemporaryDirectory(prefix="newsdesk-web-") as folder:
            path = Path(folder) / "page.html"
            path.write_bytes(_html_utf8(fetched))
            record = next(iter(read_html(path, self.limits)), None)
        if not isinstance(record, Article):
            return Failure(path=url, reason=record.reason if record else "no article text found in the page")
        declared = record.url if record.url and not is_external(record.url, fetched.url, ignore_suffix=False) else None
        record.id = record.url = canonical_url(declared or fetched.url)
        record.path = url
        record.source = record.source or urlsplit(fetched.url).hostname
        stamp = item and (item.get("published_parsed") or item.get("updated_parsed"))
        if stamp and not record.date:
            record.date = normalize_date(date(*stamp[:3]))
        return record

    def _feed(self, url: str, fetched: Fetched) -> Iterator[Record]:
        """The pages of a feed's items: only those not seen before (or whose date changed)."""
        import feedparser

        # its type as XML whatever the server said (a feed served as text/plain was sniffed), with its charset
        charset = f"; charset={fetched.charset}" if fetched.charset else ""
        feed = feedparser.parse(fetched.body, response_headers={
            "content-location": fetched.url, "content-type": f"application/xml{charset}"})
        if not feed.entries:
            if feed.bozo:
                raise FetchError(f"not a readable RSS/Atom feed ({feed.get('bozo_exception')})")
            if not feed.version:
                raise FetchError("not an RSS/Atom feed")
            self.warnings.append(printable(f"{url}: the feed has no items"))
        elif feed.bozo:
            self.warnings.append(printable(f"{url}: the feed is not well-formed ({feed.get('bozo_exception')}); "
                                           "its readable items were read"))
        complete, done = True, set()
        for entry in feed.entries:
            link = entry.get("link")
            if not link:  # said once: the feed is remembered all the same
                yield Failure(path=url, reason=f"the feed item “{printable(entry.get('title') or '?')}” has no link")
                continue
            link = urljoin(fetched.url, link)
            if link in done:  # the same page twice in one feed
                continue
            done.add(link)
            item = entry.get("id") or link
            stamp = entry.get("updated") or entry.get("published") or ""
            seen = self.state.item(url, item)
            if seen is not None and seen[0] == stamp and self.known(seen[1]):
                self.unchanged += 1
                continue
            record = self._item(link, entry)
            if isinstance(record, Article):
                self._items[(url, item)] = (stamp, record.id)
            elif record is not None:
                complete = False
                yield record
                continue
            else:  # not modified since it was fetched
                self._items[(url, item)] = (stamp, self.state.validators(link).article_id)
                continue
            yield record
        if complete:  # an item that failed is asked again next time, so the feed is too
            self._urls[url] = Validators(fetched.etag, fetched.last_modified, None)

    def _item(self, link: str, entry) -> Record | None:
        """A feed item's page; None when it has not changed since it was stored."""
        try:
            previous = self.state.validators(link)
            fetched = self.fetcher.get(link, self._conditional(link, previous))
            if fetched.status == 304:
                self.unchanged += 1
                return None
            if _kind(fetched) != "page":
                raise FetchError(f"not a web page (content type {fetched.content_type or 'not given'})")
        except FetchError as exc:
            return Failure(path=link, reason=str(exc))
        record = self._page(link, fetched, entry)
        if isinstance(record, Article):
            self._urls[link] = Validators(fetched.etag, fetched.last_modified, record.id)
        return record
