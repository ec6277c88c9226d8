"""Fingerprints for deduplication: exact content hashes and MinHash for near-duplicate bodies."""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass

import numpy as np

NUM_PERM = 128
BANDS = 16  # 16 bands of 8 rows: candidates above Jaccard ~0.7, few below 0.5
ROWS = NUM_PERM // BANDS
SHINGLE_WORDS = 4
# Estimated Jaccard similarity of word shingles above which two bodies are the same story.
NEAR_DUPLICATE_THRESHOLD = 0.7

_rng = np.random.default_rng(20260414)
_MUL = (_rng.integers(1, 2**63, size=NUM_PERM, dtype=np.uint64) << np.uint64(1)) | np.uint64(1)
_ADD = _rng.integers(0, 2**63, size=NUM_PERM, dtype=np.uint64)
_WORD = re.compile(r"\w+", re.UNICODE)


def normalize_for_hash(text: str) -> str:
    """Lower-case words joined by single spaces: layout changes do not change the hash."""
    return " ".join(_WORD.findall(text.lower()))


def content_hash(text: str, words: list[str] | None = None) -> str:
    """SHA-256 of the normalised text (lower-case words joined by spaces)."""
    normalized = " ".join(words) if words is not None else normalize_for_hash(text)
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def text_words(text: str) -> list[str]:
    """The lower-cased words of a text, shared by content_hash and minhash_signature."""
    return _WORD.findall(text.lower())


def shingle_hashes(text: str, words: list[str] | None = None) -> np.ndarray:
    """64-bit hashes of the overlapping word 4-grams of a text (deterministic across runs)."""
    words = (words if words is not None else text_words(text)) or [""]
    # CRC-32 per word, then a polynomial over each window of SHINGLE_WORDS words, in numpy.
    codes = np.fromiter((zlib.crc32(w.encode("utf-8")) for w in words), dtype=np.uint64, count=len(words))
    if len(codes) < SHINGLE_WORDS:
        codes = np.concatenate([codes, np.zeros(SHINGLE_WORDS - len(codes), dtype=np.uint64)])
    windows = len(codes) - SHINGLE_WORDS + 1
    mixed = np.zeros(windows, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(SHINGLE_WORDS):
            mixed = mixed * np.uint64(0x100000001B3) + codes[offset:offset + windows]
    return np.unique(mixed)


def minhash_signature(text: str, words: list[str] | None = None) -> bytes:
    """A MinHash signature (NUM_PERM 32-bit values) as bytes, for storage in SQLite."""
    hashes = shingle_hashes(text, words)
    with np.errstate(over="ignore"):
        mixed = (hashes[:, None] * _MUL[None, :] + _ADD[None, :]) >> np.uint64(32)
    return mixed.min(axis=0).astype(np.uint32).tobytes()


def band_keys(signature: bytes) -> list[int]:
    """One signed 64-bit key per LSH band: candidates share at least one band key."""
    values = np.frombuffer(signature, dtype=np.uint32)
    keys = []
    for band in range(BANDS):
        chunk = values[band * ROWS:(band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8, person=band.to_bytes(2, "little")).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def estimated_similarity(a: bytes, b: bytes) -> float:
    """Share of equal MinHash values: an estimate of the shingle Jaccard similarity."""
    va = np.frombuffer(a, dtype=np.uint32)
    vb = np.frombuffer(b, dtype=np.uint32)
    if va.shape != vb.shape or not len(va):
        return 0.0
    return float((va == vb).mean())


@dataclass(frozen=True)
class TextKeys:
    """A text's exact and near-duplicate fingerprints, as stored with its article."""

    content_hash: str
    minhash: bytes


def text_keys(text: str) -> TextKeys:
    """Both fingerprints of a text from one pass over its words."""
    words = text_words(text)
    return TextKeys(content_hash(text, words), minhash_signature(text, words))
