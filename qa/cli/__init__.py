"""The command line, ``python -m qa``: its parser and entry point (``main``), the commands that read the store
(``reading``: articles, retrieve, ask, summarize, timeline, quotes, check, brief), those that evaluate and look
after it (``upkeep``: eval, doctor, export, import, setup), and what they share with ``app.py`` and ``ingest.py``
(``common``). Uses :class:`qa.assistant.Assistant`."""
