"""Text to hashed word features, with the standard library only.

A task is reduced to the 32-bit hashes of its lowercased words and word pairs, so an
outcome record can keep what the scorer learns from without keeping the text. The
vector the linear model reads is built from those hashes: bucket `hash % dim`, sign
from the top bit (so colliding features tend to cancel rather than add up), log counts,
unit length.
"""

from __future__ import annotations

import re
import zlib
from array import array
from itertools import pairwise
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

FEATURES_VERSION = "w12"
"""Names the hashing below; records hashed another way are not mixed in."""

MAX_CHARS = 8000
"""Only the head of a long task is read: the ask is there, and time stays bounded."""

_TOKEN = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")
_PAIR_SALT = 0x5BD1E995


def text_hashes(text: str) -> array[int]:
    """The hashes of the words and of each pair of adjacent words of `text`."""
    tokens = [t.encode() for t in _TOKEN.findall(text[:MAX_CHARS].lower())]
    out = array("I", [zlib.crc32(t) for t in tokens])
    out.extend(zlib.crc32(b" " + b, zlib.crc32(a)) ^ _PAIR_SALT for a, b in pairwise(tokens))
    return out


def vectorize(hashes: Any, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Sparse unit vector of the hashes: (sorted bucket indices, values)."""
    from router.routing.auto.local import require_numpy

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
