"""newsdesk QA: grounded, cited answers and summaries over a collection of news articles."""

from qa.settings import Settings, get_settings  # noqa: I001  (sets the offline environment first)
from qa.store.articles import Article, Failure
from qa.assistant import Assistant
from qa.retrieval.search import Filters
from qa.store.errors import StoreError, EmbedderMismatchError

__all__ = ["Assistant", "Article", "Failure", "Filters", "Settings", "get_settings", "StoreError",
           "EmbedderMismatchError"]
