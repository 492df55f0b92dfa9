"""Who said what: direct quotations in the stored articles attributed to their speakers (``extract``), and the
search by speaker and words across a store (``search``)."""

from qa.news.quotes.extract import Found, extract
from qa.news.quotes.search import Quote, Quotes, find_quotes, speaker_matches

__all__ = ["Found", "Quote", "Quotes", "extract", "find_quotes", "speaker_matches"]
