"""The web app (Gradio): chat with citations, the article library with summaries, adding articles.

Run it with ``python app.py`` (or ``make run``); ``python app.py --help`` for the options. Everything runs
on this machine: the page loads no fonts, scripts or analytics from elsewhere.

- :mod:`qa.ui.render`: the HTML of answers, sources, summaries, articles and results (untrusted text escaped);
- :mod:`qa.ui.controller`: what the page does, as plain methods over an Assistant (no Gradio inside);
- :mod:`qa.ui.page`: the Gradio page: its layout (the components by name), its event handlers (each returns
  the components it changes by name) and the named API endpoints ``/ask``, ``/summarize``, ``/articles``
  (for ``gradio_client``, see docs/app.md);
- :mod:`qa.ui.server`: launching, the loopback-or-login rule, the command line of ``app.py``.
"""

from qa.ui.controller import IngestProgress, NewsdeskUI
from qa.ui.page import NewsdeskApp, build_app
from qa.ui.render import esc, md_safe, render_article, render_sources
from qa.ui.server import auth_from_env, is_loopback, launch, main

__all__ = ["IngestProgress", "NewsdeskApp", "NewsdeskUI", "auth_from_env", "build_app", "esc", "is_loopback",
           "launch", "main", "md_safe", "render_article", "render_sources"]
