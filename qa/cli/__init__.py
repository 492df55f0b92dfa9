"""The command line, ``python -m qa``: its commands (``main``) and what they share with ``app.py``
(``common``). Uses :class:`qa.assistant.Assistant`."""
