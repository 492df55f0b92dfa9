"""Token-sized chunks on sentence boundaries, with overlap, each knowing where it sits in its article."""

from __future__ import annotations

from functools import lru_cache

from langchain_text_splitters import RecursiveCharacterTextSplitter
from pydantic import BaseModel

from qa.articles import Article
from qa.tokens import get_encoding

# Paragraphs first, then sentence ends, then clause breaks, then words: a chunk only ever ends
# mid-sentence when a single sentence is longer than the chunk budget.
_SEPARATORS = [r"\n\n", r"\n", r"(?<=[.!?…])[\"”»)]?\s+", r"(?<=[;:,])\s+", r"\s+", ""]


class Chunk(BaseModel):
    id: str
    article_id: str
    index: int
    text: str
    start: int  # character offsets into the article text: article.text[start:end] == text
    end: int


@lru_cache(maxsize=8)
def _splitter(encoding: str, size: int, overlap: int) -> RecursiveCharacterTextSplitter:
    get_encoding(encoding)  # make sure the offline encoding files are in place
    return RecursiveCharacterTextSplitter.from_tiktoken_encoder(
        encoding_name=encoding,
        chunk_size=size,
        chunk_overlap=overlap,
        separators=_SEPARATORS,
        is_separator_regex=True,
        keep_separator="end",
        strip_whitespace=True,
    )


def chunk_article(article: Article, *, size: int, overlap: int, encoding: str = "cl100k_base") -> list[Chunk]:
    pieces = _splitter(encoding, size, min(overlap, size // 2)).split_text(article.text)
    chunks: list[Chunk] = []
    cursor = 0
    for piece in pieces:
        start = article.text.find(piece, cursor)
        if start < 0:  # overlap can move back before the cursor
            start = article.text.find(piece)
        if start < 0:
            raise ValueError(f"chunk not found verbatim in article {article.id!r}")
        end = start + len(piece)
        chunks.append(Chunk(id=f"{article.id}::{len(chunks)}", article_id=article.id, index=len(chunks),
                            text=piece, start=start, end=end))
        cursor = start + 1
    return chunks
