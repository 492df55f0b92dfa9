"""Articles from the web (qa/ingest/web.py, fetching.py, fetch_state.py, ``Assistant.ingest_urls``, ``ingest.py URL``,
the app's address box), against a real HTTP server on 127.0.0.1 that these tests run: article pages (two OrangeSum
pages from data/samples and pages written here), RSS and Atom feeds generated here, and the ways a site goes wrong
(broken feed, slow page, redirect loop and chain, huge page, robots.txt, 304s). Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qa.store.articles import Article, Failure
from qa.ingest.fetch_state import STATE_FILE
from qa.ingest.fetching import is_url
from qa.ingest.web import WebReader, canonical_url
from tests.conftest import ROOT, SAMPLES, ctrl_c_as_in_a_terminal

ORANGE_PAGE = SAMPLES / "orangesum-10647.html"  # CC BY-SA 4.0 (data/samples/README.md)
ORANGE_TITLE = "Côtes-d'Armor : une facture de gaz de 78.000 euros pour un local vide"

STORIES = {
    "trams": ("Trams return to Portwen after two years of works", "2023-03-06", [
        "The trams of Portwen run again from Monday, two years after the works on the old line began, the operator "
        "Portwen Transit said on Friday.",
        "The new line crosses the city from the harbour to the university in twenty-two minutes, eight minutes "
        "faster than the buses that replaced the trams during the works.",
        "The works cost 310 million euros, of which the region paid a third and the city the rest, according to "
        "the budget published by the city council in January.",
        "Shopkeepers of the old town, who had complained of losing customers during the works, welcomed the "
        "return of the trams but asked for more parking near the stations.",
    ]),
    "bridge": ("Riverton bridge closes for three months of repairs", "2023-04-11", [
        "The Riverton suspension bridge will close to cars on the first of May for three months of repairs to "
        "its cables, the county engineers announced on Tuesday.",
        "Pedestrians and cyclists will keep one lane, and a ferry will cross the river every twenty minutes "
        "between six in the morning and ten at night while the bridge is closed.",
        "The engineers found rust on four of the twelve main cables during an inspection last autumn; the repairs "
        "are expected to cost 18 million euros.",
        "Drivers are advised to use the northern bypass, which adds about fifteen minutes to a crossing at peak "
        "hours, according to the county's traffic office.",
    ]),
    "library": ("Portwen library opens its new reading room", "", [
        "The public library of Portwen opened its new reading room on Saturday, with two hundred seats and a "
        "view over the harbour, after a year of building works.",
        "The room holds the local newspaper archive, from 1872 to today, which readers can now consult on "
        "screens instead of asking the librarians for the bound volumes.",
        "The library also lends tablets and laptops for three weeks, and will open on Sunday afternoons from "
        "September, the head librarian said at the opening.",
        "More than six hundred people visited the room on its first day, the library said, many of them "
        "students preparing their exams.",
    ]),
}


def story_page(base: str, slug: str, *, extra: str = "") -> bytes:
    """An article page as news sites write them: a menu, the article, a footer; its canonical link, site name
    and (except for the library) publication date in the head."""
    title, day, paragraphs = STORIES[slug]
    dated = f'<meta property="article:published_time" content="{day}T08:00:00+00:00">' if day else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} | Portwen Post</title>'
            f'<link rel="canonical" href="{base}/news/{slug}.html"><meta property="og:site_name" '
            f'content="Portwen Post">{dated}</head><body><nav><a href="/">Home</a> <a href="/world">World</a> '
            f'<a href="/sport">Sport</a></nav><article><h1>{title}</h1>{body}{extra}</article>'
            '<footer>© Portwen Post. All rights reserved. Contact us.</footer></body></html>').encode()


def rss(base: str, items: list[tuple[str, str, str]], *, title: str = "Portwen Post") -> bytes:
    """An RSS 2.0 feed of (guid, link, pubDate) items."""
    entries = "".join(f"<item><title>Item {guid}</title><link>{link}</link><guid isPermaLink=\"false\">{guid}</guid>"
                      f"<pubDate>{day}</pubDate></item>" for guid, link, day in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
            f"<link>{base}/</link><description>News of Portwen</description>{entries}</channel></rss>").encode()


def atom(base: str, items: list[tuple[str, str, str]]) -> bytes:
    """An Atom feed of (id, link, updated) entries."""
    entries = "".join(f'<entry><title>Entry {ident}</title><id>{ident}</id><link href="{link}"/>'
                      f"<updated>{day}</updated></entry>" for ident, link, day in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Portwen Post</title><id>{base}/atom</id><updated>2023-04-11T08:00:00Z</updated>"
            f"{entries}</feed>").encode()


# ---------------------------------------------------------------- the test site


@dataclass
class Hit:
    path: str
    headers: dict
    at: float


@dataclass
class Site:
    """A web site on 127.0.0.1 (a real ThreadingHTTPServer, port 0): ``routes`` maps a path (without its
    query) to a responder; every request is logged in ``hits``; ``sent`` counts the body bytes of streams."""

    routes: dict[str, Callable] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)
    base: str = ""

    def requests(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path.split("?")[0] == path]

    def url(self, path: str) -> str:
        return self.base + path

    # ------------------------------------------------------------ responders
    def page(self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8", *, etag: bool = True,
             last_modified: str | None = None) -> str:
        """Serve ``body`` at ``path``, answering 304 to a matching If-None-Match (its ETag: a hash of the body)
        or If-Modified-Since; returns its URL."""
        tag = f'"{hashlib.sha1(body).hexdigest()[:12]}"' if etag else None

        def respond(handler):
            if (tag and handler.headers.get("If-None-Match") == tag) or (
                    last_modified and handler.headers.get("If-Modified-Since") == last_modified):
                handler.send_response(304)
                handler.end_headers()
                return
            handler.send_response(200)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            if tag:
                handler.send_header("ETag", tag)
            if last_modified:
                handler.send_header("Last-Modified", last_modified)
            handler.end_headers()
            handler.wfile.write(body)

        self.routes[path] = respond
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        def respond(handler):
            handler.send_response(status)
            handler.send_header("Location", location)
            handler.end_headers()

        self.routes[path] = respond
        return self.url(path)

    def status(self, path: str, code: int) -> str:
        def respond(handler):
            handler.send_error(code)

        self.routes[path] = respond
        return self.url(path)

    def slow(self, path: str, seconds: float) -> str:
        def respond(handler):
            time.sleep(seconds)
            try:
                handler.send_response(200)
                handler.send_header("Content-Type", "text/html")
                handler.end_headers()
                handler.wfile.write(b"<html><body><p>Too late.</p></body></html>")
            except OSError:  # the client gave up
                pass

        self.routes[path] = respond
        return self.url(path)

    def drip(self, path: str, every: float, pieces: int) -> str:
        """A page whose bytes come one piece every ``every`` seconds: each read is quick, the whole is not."""
        def respond(handler):
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html")
            handler.end_headers()
            try:
                for _ in range(pieces):
                    handler.wfile.write(b"<p>.</p>")
                    handler.wfile.flush()
                    time.sleep(every)
            except OSError:  # the client gave up
                pass

        self.routes[path] = respond
        return self.url(path)

    def stream(self, path: str, total: int, *, declare: bool = False,
               content_type: str = "text/html; charset=utf-8") -> str:
        """``total`` bytes of HTML, written as long as the client reads them (counted in ``sent[path]``);
        ``declare``: with a Content-Length."""
        chunk = b"<p>" + b"x" * 65_529 + b"</p>"

        def respond(handler):
            handler.send_response(200)
            handler.send_header("Content-Type", content_type)
            if declare:
                handler.send_header("Content-Length", str(total))
            handler.end_headers()
            self.sent[path] = 0
            try:
                while self.sent[path] < total:
                    handler.wfile.write(chunk)
                    self.sent[path] += len(chunk)
            except OSError:  # the client hung up
                pass

        self.routes[path] = respond
        return self.url(path)


class _Handler(BaseHTTPRequestHandler):
    site: Site

    def do_GET(self):  # noqa: N802  (http.server's name)
        self.site.hits.append(Hit(self.path, dict(self.headers), time.monotonic()))
        respond = self.site.routes.get(self.path.split("?")[0])
        if respond is None:
            self.send_error(404)
        else:
            respond(self)

    def log_message(self, *args):  # quiet
        pass


def serve(site: Site):
    handler = type("Handler", (_Handler,), {"site": site})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture
def site():
    site = Site()
    server = serve(site)
    site.page("/robots.txt", b"User-agent: *\nDisallow: /private/\n", "text/plain")
    yield site
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """Requests to 127.0.0.1 go straight to the test site, whatever proxy this machine is set to use."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


FAST = {"fetch_timeout": 1.0, "fetch_host_delay": 0.0, "fetch_max_redirects": 3}


@pytest.fixture
def web_settings(settings):
    return settings.model_copy(update=FAST)


def read(settings, urls: list[str], *, known=lambda article_id: True) -> tuple[list, WebReader]:
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    with WebReader(settings, settings.store_dir, known) as web:
        records = list(web.records(urls))
        web.commit()
    return records, web


def reasons(records) -> dict[str, str]:
    return {r.path: r.reason for r in records if isinstance(r, Failure)}


# ---------------------------------------------------------------- pages


def test_addresses_and_their_canonical_form():
    assert is_url("https://example.org/a") and is_url(" HTTP://example.org ") and not is_url("example.org/a")
    assert not is_url("ftp://example.org/a") and not is_url("data/samples")
    assert canonical_url("HTTP://Example.ORG:80/news/a.html?utm_source=rss&b=2&a=1#comments") == \
        "http://example.org/news/a.html?a=1&b=2"


def test_a_page_becomes_an_article_known_by_its_canonical_address(site, web_settings):
    trams = site.page("/news/trams.html", story_page(site.base, "trams"))
    orange = site.page("/orange/10647.html", ORANGE_PAGE.read_bytes())
    records, _ = read(web_settings, [trams + "?utm_source=feed&utm_medium=rss#top", orange])

    article, french = records
    assert isinstance(article, Article) and isinstance(french, Article)
    assert article.id == article.url == trams  # the page's canonical link, on its own site
    assert article.path == trams + "?utm_source=feed&utm_medium=rss#top"  # where it was asked for
    assert (article.title, article.source, article.date, article.lang) == (
        STORIES["trams"][0], "Portwen Post", "2023-03-06", "en")
    assert "310 million euros" in article.text and "Home" not in article.text and "rights reserved" not in article.text
    # the OrangeSum page's canonical link is on another site: it is known by where it was fetched from
    assert french.id == french.url == orange and french.title == ORANGE_TITLE
    assert (french.source, french.lang, french.date) == ("Orange Actualités", "fr", "2017-09-11")


def test_robots_txt_the_user_agent_and_the_delay_between_requests_to_a_site(site, web_settings):
    pages = [site.page(f"/news/{slug}.html", story_page(site.base, slug)) for slug in STORIES]
    secret = site.page("/private/memo.html", story_page(site.base, "bridge"))
    started = time.monotonic()
    records, _ = read(web_settings.model_copy(update={"fetch_host_delay": 0.3}), [pages[0], secret, *pages[1:]])

    assert reasons(records) == {secret: "disallowed by the site's robots.txt: not fetched"}
    assert [r.id for r in records if isinstance(r, Article)] == pages
    assert not site.requests("/private/memo.html") and len(site.requests("/robots.txt")) == 1
    assert all(h.headers["User-Agent"].startswith("newsdesk-qa/") for h in site.hits)
    times = [h.at for h in site.hits]
    # robots.txt, then 3 pages, each sent 0.3 s after the one before began; the times are when the test server saw
    # them, late by each one's own latency (tens of ms on a loaded machine): a gap is 0.3 s less that jitter at worst
    assert len(times) == 4 and all(b - a >= 0.25 for a, b in zip(times, times[1:], strict=False)), times
    assert time.monotonic() - started < 5


def test_a_crawl_delay_longer_than_the_setting_wins_and_a_failing_robots_txt_stops_the_site(site, web_settings):
    site.page("/robots.txt", b"User-agent: newsdesk-qa\nCrawl-delay: 1\n\nUser-agent: *\nDisallow: /\n", "text/plain")
    pages = [site.page(f"/news/{slug}.html", story_page(site.base, slug)) for slug in ("trams", "bridge")]
    records, _ = read(web_settings, pages)
    assert all(isinstance(r, Article) for r in records)  # "Disallow: /" is for the other robots
    first, second = (site.requests(f"/news/{slug}.html")[0].at for slug in ("trams", "bridge"))
    assert second - first >= 0.99

    down = Site()
    server = serve(down)
    try:
        down.status("/robots.txt", 503)
        page = down.page("/news/trams.html", story_page(down.base, "trams"))
        records, _ = read(web_settings, [page])
        assert reasons(records) == {page: "the site's robots.txt answered HTTP 503: not fetched"}
        assert not down.requests("/news/trams.html")
    finally:
        server.shutdown()
        server.server_close()


def test_slow_pages_redirects_and_errors_each_get_one_line(site, web_settings):
    final = site.page("/news/trams.html", story_page(site.base, "trams"))
    urls = {
        "slow": site.slow("/slow.html", 3.0),
        "drip": site.drip("/drip.html", every=0.3, pieces=10),
        "loop": site.redirect("/loop/a", "/loop/b"),
        "chain": site.redirect("/chain/1", "/chain/2", 301),
        "long chain": site.redirect("/long/1", "/long/2"),
        "elsewhere": site.redirect("/ftp", "ftp://example.org/file.html"),
        "missing": site.url("/missing.html"),
        "image": site.page("/photo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 5000, "image/png"),
        "no text": site.page("/empty.html", b"<html><head><title>Portwen</title></head><body><script>let a = 1;"
                                            b"</script></body></html>"),
        "closed": "http://127.0.0.1:9/news.html",
        "not a url": "www.example.org/news.html",
    }
    site.redirect("/loop/b", "/loop/a")
    site.redirect("/chain/2", "/chain/3", 307)
    site.redirect("/chain/3", "/news/trams.html", 308)
    for n in range(2, 5):
        site.redirect(f"/long/{n}", f"/long/{n + 1}")
    site.redirect("/long/5", "/news/trams.html")

    started = time.monotonic()
    records, _ = read(web_settings, list(urls.values()))
    assert time.monotonic() - started < 8

    failed = reasons(records)
    [chained] = [r for r in records if isinstance(r, Article)]
    assert chained.id == final and chained.path == urls["chain"]  # 3 redirects: within the limit of 3
    assert failed[urls["slow"]] == "no complete answer within 1 s (QA_FETCH_TIMEOUT)"
    assert failed[urls["drip"]] == "no complete answer within 1 s (QA_FETCH_TIMEOUT)"
    assert failed[urls["loop"]] == f"redirect loop ({urls['loop']} → {site.url('/loop/b')} → {urls['loop']})"
    assert failed[urls["long chain"]].startswith("more than 3 redirects (QA_FETCH_MAX_REDIRECTS): ")
    assert len(site.requests("/long/4")) == 1 and not site.requests("/long/5")
    assert failed[urls["elsewhere"]] == "redirected to 'ftp://example.org/file.html', not an http(s) address"
    assert failed[urls["missing"]] == "HTTP 404 Not Found"
    assert failed[urls["image"]] == ("neither a web page nor an RSS/Atom feed (content type image/png): "
                                     "not downloaded")
    assert failed[urls["no text"]] == "no article text found in the HTML page"
    assert failed[urls["closed"]].startswith("cannot be reached (ConnectError: ")
    assert failed[urls["not a url"]] == "not a web address (http:// or https://)"
    assert len(failed) == len(urls) - 1


def test_a_page_over_the_size_limit_is_refused_without_reading_it_all(site, web_settings):
    small = web_settings.model_copy(update={"max_file_mb": 0.2, "fetch_timeout": 10.0})  # 195 KB
    endless = site.stream("/huge.html", 500_000_000)
    declared = site.stream("/declared.html", 500_000_000, declare=True)
    huge_feed = site.stream("/huge.xml", 500_000_000, content_type="application/rss+xml")
    records, _ = read(small, [endless, declared, huge_feed])

    assert reasons(records) == {
        endless: "larger than the limit of 195 KB (QA_MAX_FILE_MB): download stopped",
        declared: "larger than the limit of 195 KB (500.0 MB, QA_MAX_FILE_MB): not downloaded",
        huge_feed: "larger than the limit of 195 KB (QA_MAX_FILE_MB): download stopped",
    }
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(site.sent) < 3:
        time.sleep(0.05)
    # what the server could write before the client hung up: socket buffers, not the 500 MB
    assert site.sent and all(sent < 20_000_000 for sent in site.sent.values()), site.sent


# ---------------------------------------------------------------- feeds


def test_rss_and_atom_feeds_give_the_pages_of_their_items(site, web_settings):
    pages = {slug: site.page(f"/news/{slug}.html", story_page(site.base, slug)) for slug in STORIES}
    feed = site.page("/feed.rss", rss(site.base, [
        ("t-1", pages["trams"], "Mon, 06 Mar 2023 08:00:00 +0000"),
        ("l-1", "/news/library.html", "Sat, 15 Apr 2023 09:30:00 +0000"),  # a relative link
        ("gone", site.url("/news/gone.html"), "Sun, 16 Apr 2023 09:30:00 +0000"),
        ("t-1-again", pages["trams"], "Mon, 06 Mar 2023 08:00:00 +0000"),  # the same page twice
    ]).replace(b"<item><title>Item gone", b"<item><title>No link</title></item><item><title>Item gone"),
        "application/rss+xml")
    atom_feed = site.page("/atom.xml", atom(site.base, [
        ("urn:portwen:bridge", pages["bridge"], "2023-04-11T08:00:00Z"),
        ("urn:portwen:orange", site.page("/orange/10647.html", ORANGE_PAGE.read_bytes()), "2020-07-03T13:36:23Z"),
    ]), "application/atom+xml; charset=utf-8")
    records, web = read(web_settings, [feed, atom_feed])

    articles = {r.id: r for r in records if isinstance(r, Article)}
    assert sorted(articles) == sorted([*pages.values(), site.url("/orange/10647.html")])
    assert articles[pages["library"]].date == "2023-04-15"  # the page has no date: its item's
    assert articles[pages["trams"]].date == "2023-03-06" and articles[pages["library"]].path == pages["library"]
    assert reasons(records) == {feed: "the feed item “No link” has no link",
                                site.url("/news/gone.html"): "HTTP 404 Not Found"}
    assert len(site.requests("/news/trams.html")) == 1 and web.unchanged == 0


def test_broken_empty_and_not_feeds(site, web_settings):
    broken = site.page("/broken.rss", b'<?xml version="1.0"?><rss version="2.0"><channel><title>Port</ti',
                       "application/rss+xml")
    not_a_feed = site.page("/data.xml", b'<?xml version="1.0"?><catalog><book id="1"/></catalog>', "text/xml")
    empty = site.page("/empty.rss", rss(site.base, []), "application/rss+xml")
    sniffed = site.page("/feed.txt", rss(site.base, [("b", site.url("/news/bridge.html"), "")]), "text/plain")
    site.page("/news/bridge.html", story_page(site.base, "bridge"))
    records, web = read(web_settings, [broken, not_a_feed, empty, sniffed])

    failed = reasons(records)
    assert failed[broken] == "not a readable RSS/Atom feed (<unknown>:1:77: unclosed token)"
    assert failed[not_a_feed] == "not an RSS/Atom feed"
    assert len(failed) == 2 and [r.id for r in records if isinstance(r, Article)] == [site.url("/news/bridge.html")]
    assert web.warnings == [f"{empty}: the feed has no items"]


# ---------------------------------------------------------------- re-runs


def test_a_rerun_fetches_only_what_changed(site, settings):
    from qa import Assistant

    assistant = Assistant(settings.model_copy(update=FAST))
    pages = {slug: site.page(f"/news/{slug}.html", story_page(site.base, slug)) for slug in ("trams", "bridge")}
    items = [("t", pages["trams"], "Mon, 06 Mar 2023 08:00:00 +0000"),
             ("b", pages["bridge"], "Tue, 11 Apr 2023 08:00:00 +0000")]
    feed = site.page("/feed.rss", rss(site.base, items), "application/rss+xml", etag=True)
    library = site.page("/news/library.html", story_page(site.base, "library"), etag=False,
                        last_modified="Sat, 15 Apr 2023 09:30:00 GMT")

    first = assistant.ingest_urls([feed, library])
    assert (first.added, first.unchanged, first.failures) == (3, 0, [])
    assert (settings.store_dir / STATE_FILE).is_file()
    assert {a.id for a in assistant.articles()} == {*pages.values(), library}

    # nothing changed: the feed and the page answer 304, no item page is asked for
    site.hits.clear()
    again = assistant.ingest_urls([feed, library])
    assert (again.added, again.updated, again.unchanged, again.failures) == (0, 0, 3, [])
    assert [h.path for h in site.hits] == ["/robots.txt", "/feed.rss", "/news/library.html"]
    assert site.hits[1].headers["If-None-Match"] and site.hits[2].headers["If-Modified-Since"]

    # a new item, an item whose page is gone, and a changed page: only those are fetched
    site.page("/news/library.html", story_page(site.base, "library", extra="<p>The room is open every day of "
              "the week, from nine in the morning to eight in the evening, except on public holidays.</p>"),
              etag=False, last_modified="Sun, 16 Apr 2023 10:00:00 GMT")
    site.page("/feed.rss", rss(site.base, [*items, ("r", site.url("/news/reading.html"), "Sun, 16 Apr 2023 08:00:00 "
                                                     "+0000")]), "application/rss+xml")
    site.hits.clear()
    changed = assistant.ingest_urls([feed, library])
    assert (changed.added, changed.updated, changed.unchanged) == (0, 1, 2)
    assert [str(f) for f in changed.failures] == [f"{site.url('/news/reading.html')}: HTTP 404 Not Found"]
    assert sorted(h.path for h in site.hits) == ["/feed.rss", "/news/library.html", "/news/reading.html",
                                                 "/robots.txt"]

    # the failed item is asked for again: the feed's new version was not remembered while one of its items
    # failed, so the feed is asked for with the first run's ETag, which no longer matches
    site.page("/news/reading.html", story_page(site.base, "library").replace(b"Portwen library", b"Reading room")
              .replace(b"/news/library.html", b"/news/reading.html"))
    site.hits.clear()
    fixed = assistant.ingest_urls([feed])
    assert (fixed.added, fixed.unchanged, fixed.failures) == (1, 2, [])
    first_etag = f'"{hashlib.sha1(rss(site.base, items)).hexdigest()[:12]}"'
    assert site.requests("/feed.rss")[0].headers["If-None-Match"] == first_etag
    assert [h.path for h in site.hits if h.path.startswith("/news/")] == ["/news/reading.html"]

    # an article deleted from the store is fetched again (unconditionally) and stored again
    assert assistant.delete(pages["bridge"])
    site.hits.clear()
    restored = assistant.ingest_urls([feed])
    assert (restored.added, restored.unchanged) == (1, 2)
    [bridge] = site.requests("/news/bridge.html")
    assert "If-None-Match" not in bridge.headers and assistant.article(pages["bridge"]) is not None


def test_a_damaged_state_file_is_one_line_and_loses_nothing(site, settings):
    from qa import Assistant
    from qa.store.errors import StoreError

    page = site.page("/news/trams.html", story_page(site.base, "trams"))
    assistant = Assistant(settings.model_copy(update=FAST))
    assert assistant.ingest_urls([page]).added == 1
    (settings.store_dir / STATE_FILE).write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match=r"fetch.sqlite3 .*delete it and the next run fetches everything again"):
        assistant.ingest_urls([page])
    assert assistant.article(page) is not None  # nothing stored is lost


# ---------------------------------------------------------------- the command line and the app


@pytest.mark.slow
def test_ingest_py_takes_urls_and_watches_them(site, tmp_path):
    pages = {slug: site.page(f"/news/{slug}.html", story_page(site.base, slug)) for slug in ("trams", "bridge")}
    feed = site.page("/feed.rss", rss(site.base, [("t", pages["trams"], ""), ("b", pages["bridge"], "")]),
                     "application/rss+xml")
    store = tmp_path / "store"
    env = {"QA_STORE_DIR": str(store), "QA_FETCH_HOST_DELAY": "0", "QA_FETCH_TIMEOUT": "2"}
    import os

    full_env = {**{k: v for k, v in os.environ.items() if "proxy" not in k.lower()}, **env}
    first = subprocess.run([sys.executable, "ingest.py", "--quiet", feed, site.url("/private/x.html")], cwd=ROOT,
                           env=full_env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 1, first.stderr
    assert "2 added, 0 updated, 0 unchanged, 0 duplicates, 1 failed" in first.stdout
    assert f"failed: {site.url('/private/x.html')}: disallowed by the site's robots.txt" in first.stderr

    watcher = subprocess.Popen([sys.executable, "ingest.py", "--quiet", "--watch", "0.005", feed], cwd=ROOT,
                               env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=ctrl_c_as_in_a_terminal)
    try:
        lines = [watcher.stdout.readline() for _ in range(3)]  # the first run's two lines, then a round
        assert "0 added, 0 updated, 2 unchanged" in lines[0] and lines[1].startswith("store: ")
        assert lines[2][:4].isdigit() and "0 added, 0 updated, 2 unchanged" in lines[2]
    finally:
        watcher.send_signal(signal.SIGINT)
        out, err = watcher.communicate(timeout=60)
    assert watcher.returncode == 0 and "stopped watching" in err and "Traceback" not in err


def test_the_add_articles_tab_takes_web_addresses(site, tmp_path):
    from qa.ui import NewsdeskApp, NewsdeskUI
    from qa.ui.render import title_of_cell
    from tests.ui.conftest import scripted_assistant
    from tests.ui.conftest import call

    assistant, _ = scripted_assistant(tmp_path / "store", **FAST)
    app = NewsdeskApp(NewsdeskUI(assistant))
    p = app.page
    ids = {b.elem_id for b in app.demo.blocks.values() if getattr(b, "elem_id", None)}
    assert {"nd-urls", "nd-add-urls"} <= ids
    assert "Enter one or more web addresses" in call(app, app.add_urls, "  ", "")[-1][p.ingest_html]

    trams = site.page("/news/trams.html", story_page(site.base, "trams"))
    feed = site.page("/feed.rss", rss(site.base, [("b", "/news/bridge.html", ""), ("g", "/news/gone.html", "")]),
                     "application/rss+xml")
    site.page("/news/bridge.html", story_page(site.base, "bridge"))
    *running, done = call(app, app.add_urls, f"{trams}\n{feed}\nportwen.example/news", "")  # one address a line
    assert running and all("nd-progress" in s[p.ingest_html] for s in running)
    assert f"Adding {trams} (1 of 3 addresses)" in running[0][p.ingest_html]
    html = done[p.ingest_html]
    assert html.count("nd-pill-ok") == 1 and "nd-pill-partial" in html and html.count("nd-pill-failed") == 1
    assert f"{site.url('/news/gone.html')}: HTTP 404 Not Found" in html and "not a web address" in html
    assert p.urls not in done  # kept, to try again
    assert sorted(title_of_cell(row[0]) for row in done[p.table]["value"]) == [STORIES["bridge"][0],
                                                                                STORIES["trams"][0]]

    [*_, again] = call(app, app.add_urls, trams, "")
    assert "already stored" in again[p.ingest_html] and again[p.urls] == ""
