"""Token-sized chunks on sentence boundaries, with overlap, each knowing where it sits in its article.

The work per article is bounded: at most ``QA_MAX_CHUNKS_PER_ARTICLE`` chunks (:func:`bounded_chunks` stores a
longer article truncated, with a warning), and a long stretch that has to be cut below the paragraph level (a
paragraph of a megabyte without a sentence end) is cut in one pass over its text rather than word by word.
"""

from __future__ import annotations

import re
from functools import lru_cache

from langchain_text_splitters import RecursiveCharacterTextSplitter

from qa.store.articles import Article, Chunk
from qa.text.tokens import get_encoding

# Paragraphs first, then sentence ends, then clause breaks, then words: a chunk only ever ends
# mid-sentence when a single sentence is longer than the chunk budget.
_SEPARATORS = [r"\n\n", r"\n", r"(?<=[.!?…])[\"”»)]?\s+", r"(?<=[;:,])\s+", r"\s+", ""]
# A stretch longer than this that LangChain would split into more than _LINEAR_PIECES pieces (each measured in
# tokens) is cut in one pass instead (see _Splitter._split_text); real articles never are.
_LINEAR_CHARS, _LINEAR_PIECES = 20_000, 2_000
# Characters a token may stand for, at most, in cleaned text: how much of an article is read for its chunks.
_CHARS_PER_TOKEN = 10


class _Splitter(RecursiveCharacterTextSplitter):
    """LangChain's recursive splitter, except that a long stretch it would cut at sentences, clauses or words
    (splitting it into thousands of pieces, each measured in tokens: 13 s for a megabyte without a sentence end)
    is cut in one pass: windows of about the chunk size, each ending at the last sentence end, else clause break,
    else space inside it, each measured once."""

    def __init__(self, encoding: str, **kwargs):
        super().__init__(**kwargs)
        self._encoding = get_encoding(encoding)

    def _split_text(self, text: str, separators: list[str]) -> list[str]:
        linear = self._linear_level(text, separators)
        if linear is not None:
            return [text[b:e] for b, e in self.linear_spans(text, linear)]
        return super()._split_text(text, separators)

    def top_level_spans(self, text: str) -> list[tuple[int, int]] | None:
        """The spans of ``text``'s pieces when the whole of it is cut in one pass (their places are then known
        exactly, even in a text that repeats itself); None when LangChain splits it."""
        linear = self._linear_level(text, self._separators)
        return None if linear is None else self.linear_spans(text, linear)

    @staticmethod
    def _linear_level(text: str, separators: list[str]) -> list[str] | None:
        """The separators to cut ``text`` with in one pass, from the level LangChain would split it at, when that
        would make more than _LINEAR_PIECES pieces of a stretch longer than _LINEAR_CHARS; else None."""
        if len(text) <= _LINEAR_CHARS:
            return None
        level = next((i for i, s in enumerate(separators) if s == "" or re.search(s, text)), len(separators) - 1)
        separator = separators[level]
        if separator == "" or _at_least(separator, text, _LINEAR_PIECES):
            return [s for s in separators[level:] if s]
        return None

    def linear_spans(self, text: str, separators: list[str]) -> list[tuple[int, int]]:
        """Cut ``text`` in one pass: from each piece's start, a window of ``chunk_size`` tokens (its tokens' places
        known from one encoding of the whole text), ended at the last match of the first separator found in it, else
        at the window's end; the next piece starts about ``chunk_overlap`` tokens back, at a word start."""
        import numpy as np

        size, overlap, n = self._chunk_size, self._chunk_overlap, len(text)
        starts = _token_starts(text, self._encoding)
        spans: list[tuple[int, int]] = []
        pos = 0
        while pos < n:
            first = int(np.searchsorted(starts, pos, side="left"))
            limit = n if first + size >= len(starts) else int(starts[first + size])
            cut = n if limit >= n else _last_cut(text, pos, max(limit, pos + 1), separators)
            begin, end = pos, cut
            while begin < end and text[begin].isspace():
                begin += 1
            while end > begin and text[end - 1].isspace():
                end -= 1
            if end > begin:
                spans.append((begin, end))
            if cut >= n:
                break
            back = int(np.searchsorted(starts, cut, side="left")) - overlap
            start = max(pos + (cut - pos) // 2 + 1, int(starts[max(back, 0)]))
            space = text.find(" ", start - 1, cut)  # at a word start
            start = space + 1 if 0 <= space < cut else cut
            while start < n and text[start].isspace():
                start += 1
            pos = start
        return spans


@lru_cache(maxsize=4)
def _token_bytes(encoding) -> "np.ndarray":
    """The length in bytes of every token of ``encoding``."""
    import numpy as np

    lengths = np.zeros(encoding.n_vocab, dtype=np.int64)
    for token in range(encoding.n_vocab):
        try:
            lengths[token] = len(encoding.decode_single_token_bytes(token))
        except KeyError:  # ids with no token
            pass
    return lengths


def _token_starts(text: str, encoding) -> "np.ndarray":
    """Where each token of ``text`` starts, in characters (one encoding, then arithmetic on arrays)."""
    import numpy as np

    tokens = np.asarray(encoding.encode_ordinary(text), dtype=np.int64)
    byte_starts = np.concatenate(([0], np.cumsum(_token_bytes(encoding)[tokens])[:-1]))
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    char_ends = np.cumsum(1 + (points >= 0x80) + (points >= 0x800) + (points >= 0x10000))  # in UTF-8 bytes
    return np.searchsorted(char_ends, byte_starts, side="right")


def _last_cut(text: str, pos: int, limit: int, separators: list[str]) -> int:
    """Where to end a piece that starts at ``pos`` and may not go past ``limit``: after the last match of the first
    separator found in ``text[pos:limit]`` (past the piece's first character), else at ``limit``."""
    window = text[pos:limit]
    for separator in separators:
        last = None
        for last in re.finditer(separator, window):
            pass
        if last is not None and last.start() > 0:
            return pos + last.end()  # the separator goes with the piece before (a closing quote), then is stripped
    return limit


def _at_least(pattern: str, text: str, n: int) -> bool:
    """Whether ``pattern`` matches ``text`` at least ``n`` times (counting stops there)."""
    for count, _ in enumerate(re.finditer(pattern, text), 1):
        if count >= n:
            return True
    return False


@lru_cache(maxsize=8)
def _splitter(encoding: str, size: int, overlap: int) -> RecursiveCharacterTextSplitter:
    get_encoding(encoding)  # make sure the offline encoding files are in place
    encoder = get_encoding(encoding)
    return _Splitter(
        encoding,
        length_function=lambda text: len(encoder.encode(text, allowed_special=set(), disallowed_special=())),
        chunk_size=size,
        chunk_overlap=overlap,
        separators=_SEPARATORS,
        is_separator_regex=True,
        keep_separator="end",
        strip_whitespace=True,
    )


def chunk_article(article: Article, *, size: int, overlap: int, encoding: str = "cl100k_base") -> list[Chunk]:
    overlap = min(overlap, size // 2)
    splitter = _splitter(encoding, size, overlap)
    spans = splitter.top_level_spans(article.text)
    if spans is not None:  # cut in one pass: the places are known
        return [Chunk(id=f"{article.id}::{i}", article_id=article.id, index=i, text=article.text[b:e], start=b, end=e)
                for i, (b, e) in enumerate(spans)]
    pieces = splitter.split_text(article.text)
    encoder = get_encoding(encoding)
    chunks: list[Chunk] = []
    cursor = earliest = 0
    for piece in pieces:
        # a piece starts after the one before, and overlaps it by at most ``overlap`` tokens: looking from there
        # finds its place even in a text that repeats itself ("bla bla bla …")
        start = article.text.find(piece, max(cursor, earliest))
        if start < 0:
            start = article.text.find(piece, cursor)
        if start < 0:  # overlap can move back before the cursor
            start = article.text.find(piece)
        if start < 0:
            raise ValueError(f"chunk not found verbatim in article {article.id!r}")
        end = start + len(piece)
        chunks.append(Chunk(id=f"{article.id}::{len(chunks)}", article_id=article.id, index=len(chunks),
                            text=piece, start=start, end=end))
        cursor = start + 1
        tail = encoder.encode_ordinary(piece)[-overlap:] if overlap else []
        earliest = end - len(encoder.decode(tail)) - 16  # the most the next piece can reach back, with some slack
    return chunks


def bounded_chunks(article: Article, *, size: int, overlap: int, max_chunks: int, encoding: str = "cl100k_base"
                   ) -> tuple[Article, list[Chunk], str | None]:
    """The chunks of ``article``, at most ``max_chunks``: a longer article is returned truncated after its last
    kept chunk (its text ends there, so every chunk still points into it), with a warning; else the article as
    given and None. Only the part of the text that ``max_chunks`` chunks could hold is read."""
    text = article.text
    readable = max_chunks * size * _CHARS_PER_TOKEN
    if len(text) > readable:  # never chunk what could not be kept
        cut = text.rfind(" ", 0, readable)
        text = text[:cut if cut > readable // 2 else readable]
    work = article if text is article.text else article.model_copy(update={"text": text})
    chunks = chunk_article(work, size=size, overlap=overlap, encoding=encoding)
    if len(chunks) <= max_chunks and text is article.text:
        return article, chunks, None
    chunks = chunks[:max_chunks]
    end = max(c.end for c in chunks)
    kept = article.model_copy(update={"text": article.text[:end]})
    warning = (f"too long: stored truncated to its first {len(chunks)} chunks ({end:,} of {len(article.text):,} "
               f"characters; QA_MAX_CHUNKS_PER_ARTICLE={max_chunks})")
    return kept, chunks, warning
