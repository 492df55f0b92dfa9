"""Getting articles into the store and keeping them there: reading files (``readers``, ``front_matter``),
fetching pages and feeds (``web``), chunking, wire-copy detection (``stories``), writing (``ingestion``), export and
import (``transfer``), and the check and repair of a store (``doctor``). May import ``qa.store`` and below."""
