"""The store: the records (``articles``: articles, chunks, stored chunks), the Chroma collection of chunk vectors
(``store``: the ``Store`` class; ``chroma``: the server client and a chunk's metadata there), its failures explained
(``errors``), the catalog of articles beside it (``catalog``: what both homes share; ``local_catalog`` in SQLite,
``server_catalog`` on a Chroma server) and the keyword index (``keyword``). May import ``qa.text``, ``qa.models``
and ``qa.settings``."""
