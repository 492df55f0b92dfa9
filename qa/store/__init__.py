"""The store: the article records (``articles``), the Chroma collection of chunk vectors (``store``), the
catalog of articles beside it (``catalog``, local or on a Chroma server) and the keyword index (``keyword``).
May import ``qa.text``, ``qa.models`` and ``qa.settings``."""
