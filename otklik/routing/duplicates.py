"""Near-duplicate fingerprints of a message: pure functions, no database.

Three tiers, as moderators see repeats: the same text sent twice (an exact hash of the normalised words),
a near-copy (a chain letter, a template with a changed house number: MinHash over lemmas and word pairs,
found through LSH band keys stored per appeal, so a lookup is an indexed equality, not a scan), and the
same problem at the same place (same category and territory within the region's window, with some words
in common — the signatures estimate that too).
"""

from __future__ import annotations

import hashlib
import itertools
import struct

import numpy as np
from datasketch import MinHash

from otklik.routing.text import clean, lemma, quick_tokens

PERMUTATIONS = 64
BANDS = 16  # 16 bands of 4 rows: a pair with Jaccard 0.5 shares a band with probability ≈ 0.65, 0.7 ≈ 0.98
ROWS = PERMUTATIONS // BANDS
NEAR_COPY = 0.6  # estimated Jaccard from which two texts are called near-copies
# Same category and place: the share of the shorter message's words found in the other. A short «темно,
# фонарь не горит» and a long letter about the same lamp share little of their union, most of the short one.
SAME_PROBLEM = 0.5


def words(text: str) -> list[str]:
    return [lemma(w) for w in quick_tokens(clean(text).lower().replace("ё", "е"))]


def exact_hash(text: str) -> str:
    """Same words in the same order, whatever the markup, case, punctuation or word forms."""
    return hashlib.sha256(" ".join(words(text)).encode()).hexdigest()


def shingles(text: str) -> set[str]:
    lemmas = [w for w in words(text) if len(w) > 2 or w.isdigit()]
    return set(lemmas) | {f"{a} {b}" for a, b in itertools.pairwise(lemmas)}


def content_words(text: str) -> set[str]:
    return {w for w in words(text) if len(w) > 2 and not w.isdigit()}


def overlap(a: set[str], b: set[str]) -> float:
    """The overlap coefficient: shared words over the smaller set's size."""
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def signature(text: str) -> list[int]:
    minhash = MinHash(num_perm=PERMUTATIONS, seed=7)
    items = shingles(text)
    if items:
        minhash.update_batch([s.encode() for s in sorted(items)])
    return [int(v) for v in minhash.hashvalues]


def band_keys(values: list[int]) -> list[int]:
    """One signed 63-bit key per band: equal keys mean the band's rows are all equal."""
    keys = []
    for band in range(BANDS):
        chunk = struct.pack(f"<H{ROWS}Q", band, *values[band * ROWS:(band + 1) * ROWS])
        keys.append(int.from_bytes(hashlib.blake2b(chunk, digest_size=8).digest(), "little") >> 1)
    return keys


def similarity(a: list[int], b: list[int]) -> float:
    """The MinHash estimate of the Jaccard similarity of two signatures."""
    if len(a) != len(b) or not a:
        return 0.0
    return float(np.mean(np.asarray(a, dtype=np.uint64) == np.asarray(b, dtype=np.uint64)))
