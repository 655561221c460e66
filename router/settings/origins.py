"""What an origin is, for `server.allowed_origins` and the `Origin` header alike.

An origin is `scheme://host[:port]` (RFC 6454). Both sides are compared in one spelling:
lowercased, without a trailing slash, without the scheme's default port.
"""

from __future__ import annotations

import re

_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def normalize_origin(value: str) -> str | None:
    """`value` as a comparable origin, or None when it is not one (`null` included)."""
    value = value.strip().lower()
    if value.endswith("/"):
        value = value[:-1]
    scheme, sep, authority = value.partition("://")
    if not sep or not authority or not _SCHEME.fullmatch(scheme):
        return None
    if any(ch in authority for ch in "/?#@ \t"):
        return None
    default = _DEFAULT_PORTS.get(scheme)
    if default is not None and authority.endswith(default):
        authority = authority[: -len(default)]
    return f"{scheme}://{authority}"
