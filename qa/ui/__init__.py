"""The web app (Gradio): chat with citations, the article library with summaries, adding articles.

Run it with ``python app.py`` (or ``make run``); ``python app.py --help`` for the options. Everything runs
on this machine: the page loads no fonts, scripts or analytics from elsewhere.

- :mod:`qa.ui.render`: the HTML of answers, sources, summaries, articles and results (untrusted text escaped);
- :mod:`qa.ui.controller`: what the page does, as plain methods over an Assistant (no Gradio inside), with
  :mod:`qa.ui.gate` (the model's waiting line), :mod:`qa.ui.adding` (uploads, addresses, pasted text),
  :mod:`qa.ui.progress` (a model request in a worker, stoppable) and :mod:`qa.ui.start` (what an empty chat shows);
- :mod:`qa.ui.layout`: the components, one function per tab; :mod:`qa.ui.page`: their events, with the Ask tab's
  in :mod:`qa.ui.chat` and the named API endpoints ``/ask``, ``/retrieve``, ``/summarize``, ``/articles``,
  ``/timeline`` in :mod:`qa.ui.api` (for ``gradio_client``, see docs/app.md);
- :mod:`qa.ui.server`: launching, the loopback-or-login rule, the command line of ``app.py``.
"""

from qa.ui.controller import IngestProgress, NewsdeskUI
from qa.ui.page import NewsdeskApp, build_app
from qa.ui.render import esc, md_safe, render_article, render_sources
from qa.ui.server import auth_from_env, is_loopback, launch, main

__all__ = ["IngestProgress", "NewsdeskApp", "NewsdeskUI", "auth_from_env", "build_app", "esc", "is_loopback",
           "launch", "main", "md_safe", "render_article", "render_sources"]
