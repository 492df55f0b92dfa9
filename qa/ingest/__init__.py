"""Getting articles into the store and keeping them there: reading files (``readers``, ``front_matter``),
pages and feeds from the web (``web`` reads them into articles, ``fetching`` asks the sites politely,
``fetch_state`` remembers what they gave), chunking, wire-copy detection (``stories``), writing (``ingestion``),
export and import (``transfer``), and the check and repair of a store (``doctor``; ``salvage`` puts back the
articles of a damaged article table). May import ``qa.store`` and below."""
