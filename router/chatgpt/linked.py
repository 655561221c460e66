"""Pooled logins imported from another program's file, kept in step with that file.

Refresh tokens are single-use. A login imported from Codex's `auth.json` (or Pi's
`~/.pi/agent/auth.json`) is the same login its owner goes on using, so when the pool
refreshes it the owner's copy would hold a spent refresh token, and Codex or Pi would be
logged out at its next refresh. So the pool entry keeps the path it came from
(`linked_file`) and:

- every read looks at that file too (parsed again only when it changed): when it holds a
  login of the same account that is at least as new as the pool's (its access token
  expires no sooner), the owner's login wins and the pool copy is updated: the owner
  logged in again, or refreshed it first;
- every refresh is written back to it, atomically, with every other field and the file's
  mode kept, but only while it still holds that account: a file the owner logged out of
  (gone, or no login in it) or switched to another account is left alone.

Pool entries without `linked_file` (imported before it existed, or tokens) are plain pool
logins.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from router.chatgpt.login import (
    AuthFileTokens,
    Tokens,
    TokenStore,
    account_id_of,
    read_json_object,
    rewrite_json_object,
    token_expiry,
)
from router.telemetry.logs import get_logger

log = get_logger("autorouter.codex_accounts")

PI_ENTRY = "openai-codex"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class PiAuthTokens:
    """Pi's `auth.json`: `{"openai-codex": {"type", "access", "refresh", "expires" (ms),
    "accountId"}, <other providers>}`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Tokens | None:
        data = read_json_object(self.path)
        entry = data.get(PI_ENTRY) if data else None
        if not isinstance(entry, Mapping) or not isinstance(entry.get("access"), str):
            return None
        account_id = _text(entry.get("accountId")) or _text(entry.get("account_id"))
        return Tokens(
            entry["access"],
            _text(entry.get("refresh")),
            None,
            account_id or account_id_of(entry["access"]),
        )

    def save(self, tokens: Tokens) -> None:
        data = read_json_object(self.path) or {}
        entry = data.get(PI_ENTRY)
        entry = dict(entry) if isinstance(entry, Mapping) else {"type": "oauth"}
        entry["access"] = tokens.access_token
        if tokens.refresh_token is not None:
            entry["refresh"] = tokens.refresh_token
        expiry = token_expiry(tokens.access_token)
        if expiry is not None:
            # Pi decides when to refresh from this, not from the token.
            entry["expires"] = int(expiry * 1000)
        data[PI_ENTRY] = entry
        rewrite_json_object(self.path, data)


def source_store(source: str, path: Path) -> TokenStore:
    """The owner's file of a login imported from `source` ("codex" or "pi")."""
    return PiAuthTokens(path) if source == "pi" else AuthFileTokens(path)


def _same_account(tokens: Tokens, account_id: str | None) -> bool:
    return account_id is None or tokens.effective_account_id in (None, account_id)


def _same_login(one: Tokens, other: Tokens | None) -> bool:
    # Pi keeps no id token, so the pair that is spent and replaced is what tells.
    return other is not None and (one.access_token, one.refresh_token) == (
        other.access_token,
        other.refresh_token,
    )


def _as_new(candidate: Tokens, current: Tokens) -> bool:
    """Whether `candidate` is no older than `current` (by access-token expiry; a token
    without one counts as new, so the owner's file wins when nothing tells)."""
    mine, theirs = token_expiry(current.access_token), token_expiry(candidate.access_token)
    return mine is None or theirs is None or theirs >= mine


class LinkedTokens:
    """`TokenStore` for a pooled login linked to its owner's file."""

    def __init__(
        self, pool: TokenStore, source: TokenStore, path: Path, account_id: str | None
    ) -> None:
        self._pool = pool
        self._source = source
        self.path = path
        self._account_id = account_id
        self._seen: tuple[tuple[int, int, int] | None, Tokens | None] = (None, None)

    def _owner_login(self) -> Tokens | None:
        """The login in the owner's file when it is this account's, else None."""
        try:
            info = self.path.stat()
            signature: tuple[int, int, int] | None = (info.st_mtime_ns, info.st_size, info.st_ino)
        except OSError:
            return None
        if signature != self._seen[0]:
            self._seen = (signature, self._source.load())
        found = self._seen[1]
        return found if found is not None and _same_account(found, self._account_id) else None

    def load(self) -> Tokens | None:
        mine = self._pool.load()
        theirs = self._owner_login()
        if theirs is None or _same_login(theirs, mine):
            return mine
        if mine is not None and not _as_new(theirs, mine):
            return mine
        # The owner logged in again or refreshed first: their tokens are the live ones.
        self._pool.save(theirs)
        log.info("codex_login_taken_from_owner", path=str(self.path))
        return theirs

    def save(self, tokens: Tokens) -> None:
        self._pool.save(tokens)
        if self._owner_login() is None:
            return  # logged out there, or another account now: not ours to write
        try:
            self._source.save(tokens)
        except OSError as exc:
            log.warning(
                "codex_login_not_written_back", path=str(self.path), error=type(exc).__name__
            )
            return
        self._seen = (None, None)
