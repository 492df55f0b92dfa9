"""The metadata block that may open a .txt or .md article (``---`` lines around ``key: value`` lines): where a
plain text file says its source and date."""

from __future__ import annotations

import re

FRONT_MATTER_KEYS = ("source", "date", "url", "lang")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n((?:[A-Za-z]+[ \t]*:[^\n]*\n)+)---[ \t]*\n")


def front_matter(text: str) -> tuple[dict[str, str], str]:
    """The metadata block that may open a .txt or .md article, and the text after it::

        ---
        source: Reuters
        date: 2022-09-21
        ---
        The title
        The text...

    Only ``source``, ``date``, ``url`` and ``lang`` are read (other keys are ignored); a file without the block
    is returned as it is."""
    match = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if not match:
        return {}, text
    meta = {}
    for line in match.group(1).splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if key in FRONT_MATTER_KEYS and value:
            meta[key] = value
    return meta, text.lstrip("\ufeff")[match.end():]
