"""The accounts pool file: several ChatGPT logins and access tokens, and their usage.

One JSON file in the state directory, `accounts.json`, mode 0600, always replaced
atomically and changed under an exclusive lock (`accounts.json.lock`), because the
proxy (refreshed tokens, usage) and the CLI (add, remove, pin) write it from different
processes:

    {"version": 1,
     "pinned": "<id>" | null,
     "accounts": [{"id", "kind": "login"|"token", "source", "label", "email",
                   "account_id", "tokens": {...}  (logins) | "token": "..." (tokens),
                   "linked_file": "<path>"  (logins imported from Codex or Pi)}],
     "usage": {"<id>": {"limits": {...}, "exhausted_until": <epoch>}}}

A login with `linked_file` is kept in step with the file it was imported from (see
`router.chatgpt.linked`). Emails are kept only to tell accounts apart in `autorouter accounts`; nothing here is
ever sent upstream except a login's or token's own credential and account id.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from adapters.codex.limits import RateLimits
from router.chatgpt.linked import PiAuthTokens
from router.chatgpt.login import (
    Tokens,
    email_of,
    read_json_object,
    write_json_object,
)
from router.chatgpt.pat import token_digest
from router.chatgpt.token_source import refuse_api_key

ACCOUNTS_FILE = "accounts.json"
VERSION = 1

Kind = Literal["login", "token"]


class AccountsError(ValueError):
    """A pool operation that cannot be done; the message never holds a secret."""


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    kind: Kind
    source: str
    label: str
    email: str | None = None
    account_id: str | None = None
    tokens: Tokens | None = None
    token: str | None = None
    linked_file: str | None = None
    """The owner's file a login was imported from, which its refreshes are written to."""

    def __repr__(self) -> str:
        return f"Account(id={self.id!r}, kind={self.kind!r}, source={self.source!r})"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "source": self.source,
            "label": self.label,
            "email": self.email,
            "account_id": self.account_id,
        }
        if self.tokens is not None:
            data["tokens"] = _tokens_json(self.tokens)
        if self.token is not None:
            data["token"] = self.token
        if self.linked_file is not None:
            data["linked_file"] = self.linked_file
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Account | None:
        kind = data.get("kind")
        ident = data.get("id")
        if kind not in ("login", "token") or not isinstance(ident, str):
            return None
        tokens = _tokens_from(data.get("tokens")) if kind == "login" else None
        token = data.get("token") if kind == "token" else None
        if tokens is None and not isinstance(token, str):
            return None
        return cls(
            id=ident,
            kind=kind,
            source=str(data.get("source") or kind),
            label=str(data.get("label") or ident),
            email=_text(data.get("email")),
            account_id=_text(data.get("account_id")),
            tokens=tokens,
            token=token if isinstance(token, str) else None,
            linked_file=_text(data.get("linked_file")) if tokens is not None else None,
        )

    def matches(self, selector: str) -> bool:
        return selector in (self.id, self.label, self.email, self.account_id)


@dataclass(frozen=True, slots=True)
class Usage:
    limits: RateLimits | None = None
    exhausted_until: float | None = None


@dataclass(frozen=True, slots=True)
class Pool:
    accounts: tuple[Account, ...] = ()
    pinned: str | None = None
    usage: Mapping[str, Usage] | None = None

    def find(self, selector: str) -> Account:
        """By id, label, email, account id or 1-based position in the list."""
        if selector.isdigit() and 1 <= int(selector) <= len(self.accounts):
            return self.accounts[int(selector) - 1]
        found = [a for a in self.accounts if a.matches(selector)]
        if len(found) != 1:
            raise AccountsError(
                f"no account matches {selector!r}"
                if not found
                else f"{selector!r} matches several accounts; use the id"
            )
        return found[0]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _tokens_json(tokens: Tokens) -> dict[str, Any]:
    return {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "id_token": tokens.id_token,
        "account_id": tokens.account_id,
    }


def _tokens_from(data: Any) -> Tokens | None:
    if not isinstance(data, Mapping) or not isinstance(data.get("access_token"), str):
        return None
    return Tokens(
        data["access_token"],
        _text(data.get("refresh_token")),
        _text(data.get("id_token")),
        _text(data.get("account_id")),
    )


def _usage_from(data: Any) -> Usage:
    if not isinstance(data, Mapping):
        return Usage()
    until = data.get("exhausted_until")
    return Usage(
        RateLimits.from_json(data.get("limits")),
        float(until) if isinstance(until, int | float) else None,
    )


class AccountsStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def signature(self) -> tuple[int, int, int] | None:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size, info.st_ino)

    def load(self) -> Pool:
        return _parse(read_json_object(self.path) or {})

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def update(self, change: Callable[[dict[str, Any]], None]) -> Pool:
        """Read, change and write the file under the lock; returns the new pool."""
        with self._locked():
            data = read_json_object(self.path) or {}
            data.setdefault("version", VERSION)
            data.setdefault("accounts", [])
            data.setdefault("pinned", None)
            data.setdefault("usage", {})
            change(data)
            write_json_object(self.path, data)
            return _parse(data)

    def add(self, account: Account) -> Pool:
        """Add an account; one with the same id (the same login or token) is replaced."""

        def change(data: dict[str, Any]) -> None:
            kept = [a for a in data["accounts"] if a.get("id") != account.id]
            data["accounts"] = [*kept, account.to_json()]

        return self.update(change)

    def remove(self, selector: str) -> Account:
        account = self.load().find(selector)

        def change(data: dict[str, Any]) -> None:
            data["accounts"] = [a for a in data["accounts"] if a.get("id") != account.id]
            data["usage"].pop(account.id, None)
            if data.get("pinned") == account.id:
                data["pinned"] = None

        self.update(change)
        return account

    def pin(self, selector: str | None) -> Account | None:
        account = self.load().find(selector) if selector is not None else None

        def change(data: dict[str, Any]) -> None:
            data["pinned"] = account.id if account is not None else None

        self.update(change)
        return account

    def save_tokens(self, member: str, tokens: Tokens) -> None:
        def change(data: dict[str, Any]) -> None:
            for entry in data["accounts"]:
                if entry.get("id") == member:
                    entry["tokens"] = _tokens_json(tokens)

        self.update(change)

    def save_usage(self, member: str, usage: Usage) -> None:
        def change(data: dict[str, Any]) -> None:
            data["usage"][member] = {
                "limits": usage.limits.to_json() if usage.limits is not None else None,
                "exhausted_until": usage.exhausted_until,
            }

        self.update(change)


def _parse(data: Mapping[str, Any]) -> Pool:
    entries = data.get("accounts")
    accounts = tuple(
        account
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, Mapping) and (account := Account.from_json(entry)) is not None
    )
    usage = data.get("usage")
    pinned = data.get("pinned")
    return Pool(
        accounts,
        pinned if isinstance(pinned, str) and any(a.id == pinned for a in accounts) else None,
        {k: _usage_from(v) for k, v in usage.items()} if isinstance(usage, Mapping) else {},
    )


class PoolTokens:
    """`TokenStore` for a pooled login: refreshed tokens go back into the accounts file."""

    def __init__(self, store: AccountsStore, member: str) -> None:
        self._store = store
        self._member = member

    def load(self) -> Tokens | None:
        for account in self._store.load().accounts:
            if account.id == self._member:
                return account.tokens
        return None

    def save(self, tokens: Tokens) -> None:
        self._store.save_tokens(self._member, tokens)


# -- importing accounts ----------------------------------------------------------------


def login_account(
    tokens: Tokens, source: str, label: str | None = None, linked: Path | None = None
) -> Account:
    account_id = tokens.effective_account_id
    email = email_of(tokens.id_token, tokens.access_token)
    ident = account_id or "login-" + token_digest(tokens.access_token)[:12]
    return Account(
        id=ident,
        kind="login",
        source=source,
        label=label or email or ident,
        email=email,
        account_id=account_id,
        tokens=tokens,
        linked_file=str(linked.expanduser().absolute()) if linked is not None else None,
    )


def from_codex_auth(path: Path, label: str | None = None) -> Account:
    """The login (or personal access token) of a Codex `auth.json`."""
    data = read_json_object(path)
    if data is None:
        raise AccountsError(f"{path}: not a readable JSON file")
    tokens = data.get("tokens")
    parsed = _tokens_from(tokens)
    if parsed is not None:
        return login_account(parsed, "codex", label, linked=path)
    pat = data.get("personal_access_token")
    if isinstance(pat, str) and pat.strip():
        return from_token(pat.strip(), label, source=f"{path} personal_access_token")
    raise AccountsError(f"{path}: no ChatGPT login in it (run `codex login` first)")


def from_pi_auth(path: Path, label: str | None = None) -> Account:
    """Pi's `~/.pi/agent/auth.json` `openai-codex` entry (`access`, `refresh`, `accountId`)."""
    tokens = PiAuthTokens(path).load()
    if tokens is None:
        raise AccountsError(f"{path}: no openai-codex login in it (log in to it in Pi first)")
    return login_account(tokens, "pi", label, linked=path)


def from_token(token: str, label: str | None = None, *, source: str = "the token") -> Account:
    token = refuse_api_key(token.strip(), source)
    if not token:
        raise AccountsError("the token is empty")
    ident = "token-" + token_digest(token)[:12]
    return Account(id=ident, kind="token", source="token", label=label or ident, token=token)
