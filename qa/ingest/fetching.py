"""Fetching the web politely, for :class:`~qa.ingest.web.WebReader`: one ``User-Agent`` naming newsdesk-qa, the
site's ``robots.txt`` (``urllib.robotparser``, its ``Crawl-delay`` too), at most one request per ``fetch_host_delay``
seconds to a site, a time limit for a whole download, redirects followed one by one (each hop checked) up to
``fetch_max_redirects``, bodies streamed and refused past ``max_file_mb``. Only a web page or a feed is downloaded:
another content type (an image, a PDF) is refused before its body is read. Why a URL could not be fetched is a
:class:`FetchError`, in words a user understands.
"""

from __future__ import annotations

import re
import time
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urljoin, urlsplit

import httpx

from qa.store.articles import printable

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+xml",
              "application/xml", "text/xml")
PAGE_TYPES = ("text/html", "application/xhtml+xml")
ROBOTS_BYTES = 500 * 1024  # RFC 9309: a crawler may ignore what a robots.txt holds past 500 KiB
REDIRECTS = frozenset({301, 302, 303, 307, 308})
_URL = re.compile(r"(?i)^https?://\S+$")


def is_url(text: str) -> bool:
    """Whether ``text`` is written as an http(s) address (what the command line sends to the web)."""
    return bool(_URL.match(text.strip()))


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


def _readable(content_type: str) -> bool:
    """Whether a response of this content type may be a page or a feed (those without one are sniffed)."""
    return (content_type in (*PAGE_TYPES, *FEED_TYPES, "", "text/plain", "application/octet-stream")
            or content_type.endswith(("+xml", "/rss", "/atom")))
