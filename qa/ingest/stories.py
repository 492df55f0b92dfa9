"""Wire copies: articles whose text is mostly the same are versions of one story.

An article's text (never its title: a new headline does not make a new story) is accent-folded
(:func:`qa.text.language.fold`), cut into words, and read as the set of its 5-word shingles. Two texts are
versions of one story when their shingle sets have a Jaccard similarity of at least
:data:`THRESHOLD` (chosen on labelled OrangeSum pairs and synthetic edits: ``bench/stories.py``,
docs/benchmarks.md).

Finding the candidates without comparing a new article with every stored one: a MinHash signature
of the shingles (``datasketch``, :data:`NUM_PERM` permutations) is cut into :data:`BANDS` bands of
:data:`ROWS` values, and each band becomes a short key ``"band:hash"`` (:attr:`Fingerprint.bands`)
that the store indexes with the article. Stored articles that share a key with a new one are its
candidates (texts with a Jaccard similarity of 0.4 share one with a probability of 1 - (1 - 0.4²)²⁵ =
0.987; grouping the 35,987 OrangeSum articles checked 0.07 stored articles per new one); each
candidate is then checked on the two texts' shingles. The keys depend on every constant below and on
the MinHash's seed and scheme: changing any of them means computing the stored articles' keys again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property, lru_cache

import numpy as np

from qa.text.language import fold

SHINGLE_WORDS = 5
NUM_PERM = 50
ROWS = 2  # values of the signature per band
BANDS = NUM_PERM // ROWS
THRESHOLD = 0.4  # Jaccard similarity of the shingle sets from which two texts are one story

_WORD = re.compile(r"\w+")


def shingles(text: str) -> frozenset[str]:
    """The 5-word shingles of a text, accent-folded and lower-cased (apostrophes separate words).
    A text shorter than 5 words is one shingle; an empty text has none."""
    words = _WORD.findall(fold(text).replace("'", " "))
    if len(words) <= SHINGLE_WORDS:
        return frozenset([" ".join(words)] if words else [])
    return frozenset(" ".join(words[i:i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1))


@lru_cache(maxsize=1)
def _permutations():
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32").permutations


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two shingle sets (0 when either is empty)."""
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


class Fingerprint:
    """What is compared of an article's text: its shingles, their MinHash signature and its band keys."""

    def __init__(self, text: str):
        self.shingles = shingles(text)

    @cached_property
    def minhash(self):
        """The MinHash signature of the shingles (datasketch ``LeanMinHash``; version, seed and scheme fixed so
        that keys stored by one run match those of the next)."""
        from datasketch import LeanMinHash, MinHash

        signature = MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32", permutations=_permutations())
        signature.update_batch(s.encode("utf-8") for s in self.shingles)
        return LeanMinHash(signature)

    @cached_property
    def bands(self) -> tuple[str, ...]:
        """The LSH band keys, ``"band:hash"`` (an empty text has none: it is no one's copy)."""
        if not self.shingles:
            return ()
        values = np.asarray(self.minhash.hashvalues, dtype=np.uint32).reshape(BANDS, ROWS)
        return tuple(f"{i}:{hashlib.blake2b(row.tobytes(), digest_size=4).hexdigest()}"
                     for i, row in enumerate(values))

    def similarity(self, other: Fingerprint) -> float:
        """Jaccard similarity of the two texts' shingles."""
        return jaccard(self.shingles, other.shingles)

    def estimated_similarity(self, other: Fingerprint) -> float:
        """The same, estimated from the two MinHash signatures (a standard error of about 0.07 at 50 permutations:
        a rough figure, never the decision)."""
        if not self.shingles or not other.shingles:
            return 0.0
        return self.minhash.jaccard(other.minhash)


def same_story(a: str | Fingerprint, b: str | Fingerprint, threshold: float = THRESHOLD) -> bool:
    """Whether two texts are versions of one story (wire copies)."""
    a = a if isinstance(a, Fingerprint) else Fingerprint(a)
    b = b if isinstance(b, Fingerprint) else Fingerprint(b)
    return a.similarity(b) >= threshold


class StoryMatcher:
    """Gives each new article its story: the story of the most similar stored or pending article whose text
    is a version of its own, else its own id (a story of one).

    ``candidates(bands)`` returns the stored articles that share a band key, as ``{article_id: story_id}``;
    ``text_of(article_id)`` a stored article's text. Articles passed to :meth:`match` are pending until
    :meth:`clear` (after the batch is written), and are candidates for the next ones meanwhile: two copies in
    one batch are one story. A story is never split nor merged later: an article keeps the story it was given.
    """

    def __init__(self, candidates: Callable[[tuple[str, ...]], Mapping[str, str]],
                 text_of: Callable[[str], str | None], threshold: float = THRESHOLD):
        self.candidates, self.text_of, self.threshold = candidates, text_of, threshold
        self._pending: dict[str, tuple[Fingerprint, str]] = {}  # id -> (fingerprint, story)
        self._pending_bands: dict[str, list[str]] = {}  # band key -> pending ids

    def match(self, article_id: str, text: str) -> tuple[str, Fingerprint]:
        """The story of a new (or changed) article, and its fingerprint (whose ``bands`` the store keeps)."""
        self.forget(article_id)  # the same id twice in a batch: the later text counts
        fingerprint = Fingerprint(text)
        best: tuple[float, str] | None = None
        for other, story in self._candidates(fingerprint, article_id):
            other_print = self._fingerprint(other)
            if other_print is None:
                continue
            score = fingerprint.similarity(other_print)
            if score >= self.threshold and (best is None or score > best[0]):
                best = (score, story)
        story = best[1] if best else article_id
        self._pending[article_id] = (fingerprint, story)
        for key in fingerprint.bands:
            self._pending_bands.setdefault(key, []).append(article_id)
        return story, fingerprint

    def forget(self, article_id: str) -> None:
        """Drop a pending article (it will not be written after all)."""
        previous = self._pending.pop(article_id, None)
        if previous is not None:
            for key in previous[0].bands:
                self._pending_bands[key].remove(article_id)

    def clear(self) -> None:
        """The pending articles are written: from now on the store finds them."""
        self._pending.clear()
        self._pending_bands.clear()

    def _candidates(self, fingerprint: Fingerprint, article_id: str) -> Iterable[tuple[str, str]]:
        found: dict[str, str] = {}
        if fingerprint.bands:
            found.update(self.candidates(fingerprint.bands))
            for key in fingerprint.bands:
                for other in self._pending_bands.get(key, ()):
                    found[other] = self._pending[other][1]
        found.pop(article_id, None)
        return found.items()

    def _fingerprint(self, article_id: str) -> Fingerprint | None:
        pending = self._pending.get(article_id)
        if pending is not None:
            return pending[0]
        text = self.text_of(article_id)
        return Fingerprint(text) if text is not None else None
