"""Finding what a question needs in the store: hybrid dense and keyword search (``search``), the passages
and sentences a model reads (``passages``), and the search of the library by content (``library``). May import
``qa.store`` and below, never ``qa.ingest``."""
