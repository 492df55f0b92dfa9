"""The named API endpoints of the app (``/ask``, ``/retrieve``, ``/summarize``, ``/articles``, ``/timeline``) for
``gradio_client`` (see docs/app.md): a mixin of :class:`~qa.ui.page.NewsdeskApp`, over its ``self.ui``."""

from __future__ import annotations

import gradio as gr

from qa.ui.render import friendly_error


class ApiEndpoints:
    """The endpoints' functions; their docstrings are what ``gradio_client``'s ``view_api`` shows."""

    def api_ask(self, question: str, history: list[list[str]] | None = None, filters: dict | None = None) -> dict:
        """Answer a question from the stored articles.

        history: earlier turns as [[question, answer], ...] (follow-up questions).
        filters: {"languages": [...], "sources": [...], "article_ids": [...], "date_from": "YYYY-MM-DD",
        "date_to": "YYYY-MM-DD"}, all optional.
        Returns the answer: {"question", "answer", "sources": [{"n", "article_id", "title", "source", "date",
        "url", "lang", "quote", "start", "end", ...}], "language", "refused", "seconds", ...}.
        Waits for its turn at the model; when too many questions wait already, fails at once with "The
        assistant is busy (N questions waiting): try again in a minute."
        """
        try:
            return self.ui.ask(question, history, filters)
        except Exception as exc:  # noqa: BLE001
            raise gr.Error(friendly_error(exc), print_exception=False) from None

    def api_retrieve(self, question: str, k: int = 5, filters: dict | None = None) -> list[dict]:
        """The passages of the stored articles that a question finds, best first (what ``/ask`` would give the
        model, without calling it: the question is searched as written, not translated).

        k: how many passages (1 to 50, default 5).
        filters: as for /ask.
        Returns [{"n", "article_id", "title", "source", "date", "lang", "url", "text", "score", "start",
        "end", "also"}, ...] where text is the article's text[start:end] and also the other versions of its
        story (wire copies: article_id, title, source, date, url).
        """
        try:
            return self.ui.retrieve(question, k, filters)
        except Exception as exc:  # noqa: BLE001
            raise gr.Error(friendly_error(exc), print_exception=False) from None

    def api_summarize(self, article_id: str, style: str = "short", language: str | None = None) -> dict:
        """Summarize a stored article.

        style: "short" (2-3 sentences), "abstract" (one headline-style sentence), "paragraph" or "bullets".
        language: ISO code such as "en" or "fr"; empty or null: the article's own language.
        Returns {"article_id", "title", "summary", "language", "style", "model", "cached", "seconds", ...}.
        """
        try:
            return self.ui.summarize(article_id, style or "short", language or None)
        except Exception as exc:  # noqa: BLE001
            raise gr.Error(friendly_error(exc), print_exception=False) from None

    def api_articles(self, query: str = "") -> list[dict]:
        """The stored articles (id, title, source, date, lang, chunks), newest first; with a query, those about
        it (title, text, or meaning across languages), best first, each with "sentence" (the one that matches)
        and "score"."""
        return self.ui.article_list(query)

    def api_timeline(self, query: str, language: str | None = None) -> dict:
        """The dated events about a subject across the stored articles, oldest first.

        query: the subject ("Carlos Ghosn", "l'incendie de Notre-Dame").
        language: ISO code of the events' sentences; empty or null: the subject's language.
        Returns {"query", "language", "events": [{"date" (ISO: YYYY-MM-DD, YYYY-MM or YYYY), "event",
        "article_id", "title", "quote", "start", "end", "dated_by" ("passage" or "article"), "when", "also",
        ...}], "articles", "dropped", "seconds"}. One short model call per article read: a minute or more locally.
        """
        try:
            return self.ui.timeline(query, language or None)
        except Exception as exc:  # noqa: BLE001
            raise gr.Error(friendly_error(exc), print_exception=False) from None
