"""Text to hashed word features, with the standard library only.

A task is reduced to the 32-bit hashes of its lowercased words and word pairs, so an
outcome record can keep what the scorer learns from without keeping the text. The
vector the linear model reads is built from those hashes: bucket `hash % dim`, sign
from the top bit (so colliding features tend to cancel rather than add up), log counts,
unit length.
"""

from __future__ import annotations

import importlib.util
import re
import zlib
from array import array
from collections.abc import Sequence
from itertools import pairwise
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

FEATURES_VERSION = "w12"
"""Names the hashing below; records hashed another way are not mixed in."""

MAX_CHARS = 8000
"""Only the head of a long task is read: the ask is there, and time stays bounded."""

_TOKEN = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")
_PAIR_SALT = 0x5BD1E995


EXTRA_HINT = "pip install 'codex-autorouter[local]'"


_MESSAGE = f'the local scorer ("classifier": "local" or "local_first") needs numpy: {EXTRA_HINT}'


class LocalScorerUnavailable(RuntimeError):
    """The local scorer cannot run here; the message says how to fix it."""


def numpy_missing() -> str | None:
    """Why the local scorer cannot run here, without importing numpy (None: it can)."""
    try:
        found = importlib.util.find_spec("numpy") is not None
    except (ImportError, ValueError):
        found = False
    return None if found else _MESSAGE


def require_numpy() -> ModuleType:
    try:
        import numpy
    except ImportError:
        raise LocalScorerUnavailable(_MESSAGE) from None
    return numpy


def text_hashes(text: str) -> array[int]:
    """The hashes of the words and of each pair of adjacent words of `text`."""
    tokens = [t.encode() for t in _TOKEN.findall(text[:MAX_CHARS].lower())]
    out = array("I", [zlib.crc32(t) for t in tokens])
    out.extend(zlib.crc32(b" " + b, zlib.crc32(a)) ^ _PAIR_SALT for a, b in pairwise(tokens))
    return out


def vectorize(hashes: Any, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Sparse unit vector of the hashes: (sorted bucket indices, values)."""
    np = require_numpy()
    h = np.asarray(hashes, dtype=np.uint32)
    buckets = (h % np.uint32(dim)).astype(np.int32)
    signs = np.where(h >> np.uint32(31), 1.0, -1.0)
    index, inverse = np.unique(buckets, return_inverse=True)
    counts = np.bincount(inverse, weights=signs, minlength=len(index))
    values = np.sign(counts) * np.log1p(np.abs(counts))
    norm = float(np.sqrt(values @ values))
    if norm > 0:
        values /= norm
    return index, values.astype(np.float32)


def vectorize_many(hash_lists: Sequence[Any], dim: int) -> tuple[Any, Any, Any]:
    """`vectorize` for many texts at once: (row, bucket index, value) per entry, sorted
    by row then index. One vectorized pass instead of a Python loop per text, and no
    array object per text, which keeps a fit over thousands of records small."""
    np = require_numpy()
    lengths = np.fromiter((len(h) for h in hash_lists), dtype=np.int64, count=len(hash_lists))
    if not len(hash_lists) or not lengths.sum():
        empty = np.zeros(0, dtype=np.int32)
        return empty, empty, empty.astype(np.float32)
    h = np.concatenate([np.frombuffer(memoryview(a), dtype=np.uint32) for a in hash_lists])
    keys = np.repeat(np.arange(len(hash_lists), dtype=np.int64), lengths) * dim
    keys += h % np.uint32(dim)
    signs = np.where(h >> np.uint32(31), 1.0, -1.0)
    del h
    keys, inverse = np.unique(keys, return_inverse=True)
    counts = np.bincount(inverse, weights=signs, minlength=len(keys))
    del inverse, signs
    values = np.sign(counts) * np.log1p(np.abs(counts))
    rows = (keys // dim).astype(np.int32)
    index = (keys % dim).astype(np.int32)
    del keys
    norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=len(hash_lists)))
    values /= np.where(norms > 0, norms, 1.0)[rows]
    return rows, index, values.astype(np.float32)
