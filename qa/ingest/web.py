"""Articles from the web: article pages and the pages of RSS/Atom feeds' items, fetched politely and only when
they changed.

- :class:`WebReader` turns URLs into :class:`~qa.store.articles.Article` / :class:`~qa.store.articles.Failure` records, like
  the file readers of :mod:`qa.ingest.readers`: a page is read by the same HTML reader as a saved ``.html`` file; a
  feed (``feedparser``) yields the pages of its items. A failure is one record with its reason, never an
  exception that stops the others.
- Politeness (:mod:`qa.ingest.fetching`): one ``User-Agent`` naming newsdesk-qa, the site's ``robots.txt``
  (``urllib.robotparser``, its ``Crawl-delay`` too), at most one request per ``fetch_host_delay`` seconds to a site,
  a time limit for a whole download, redirects followed one by one (each hop checked) up to
  ``fetch_max_redirects``, bodies streamed and refused past ``max_file_mb``.
- Incremental (:mod:`qa.ingest.fetch_state`): :class:`~qa.ingest.fetch_state.FetchState` (``<store>/fetch.sqlite3``)
  keeps each URL's ``ETag``/``Last-Modified`` and each feed's seen item ids. A re-run asks with
  ``If-None-Match``/``If-Modified-Since`` (a 304 is "unchanged") and fetches only the items it has not seen (or whose
  date changed). What a run read is remembered only once it is stored (:meth:`WebReader.commit`), and only while its
  article is still in the store.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from qa.ingest.fetch_state import FetchState, Validators
from qa.ingest.fetching import FEED_TYPES, PAGE_TYPES, Fetched, Fetcher, FetchError, Policy, is_url
from qa.ingest.readers import Limits, Record, read_html
from qa.store.articles import Article, Failure, printable
from qa.text.cleaning import normalize_date

log = logging.getLogger(__name__)


def canonical_url(url: str) -> str:
    """The form of ``url`` an article is known by: scheme and host lower-cased, default port, fragment and
    tracking parameters (utm_*, fbclid...) dropped, the query sorted (``courlan``, trafilatura's own)."""
    from courlan import normalize_url

    return normalize_url(urldefrag(url).url, strict=False)


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
