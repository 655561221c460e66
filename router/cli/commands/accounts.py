"""`autorouter accounts`: the pool of ChatGPT accounts the Codex passthrough rotates over.

    autorouter accounts                       list: account, state, usage, reset, cooldown,
                                              and the file an imported login is linked to
    autorouter accounts add                   import $CODEX_HOME/auth.json (Codex's login)
    autorouter accounts add --codex-auth F    import another Codex auth.json
    autorouter accounts add --pi-auth [F]     import Pi's openai-codex login (~/.pi/agent/auth.json)
    autorouter accounts add --token-env VAR   a personal access token from $VAR
    autorouter accounts add --token-stdin     a personal access token read from stdin
    autorouter accounts remove ACCOUNT        by id, label, email or list position
    autorouter accounts pin ACCOUNT | --clear use this account first while it has quota

Tokens are never taken as command-line arguments: those end up in the shell history and
in `ps` listings.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from router.chatgpt.accounts_store import (
    ACCOUNTS_FILE,
    Account,
    AccountsError,
    AccountsStore,
    Pool,
    Usage,
    from_codex_auth,
    from_pi_auth,
    from_token,
)
from router.chatgpt.login import CodexAuthError, auth_json_path
from router.settings.paths import state_dir

Command = Callable[..., argparse.ArgumentParser]

PI_AUTH = Path("~/.pi/agent/auth.json")


def _store() -> AccountsStore:
    return AccountsStore(state_dir() / ACCOUNTS_FILE)


def _when(epoch: float | None, now: float) -> str:
    if epoch is None:
        return "-"
    local = datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M")
    minutes = round((epoch - now) / 60)
    if minutes < 0:
        return local
    span = f"{minutes} min" if minutes < 120 else f"{minutes / 60:.0f} h"
    return f"{local} (in {span})"


def _usage_text(usage: Usage) -> str:
    limits = usage.limits
    if limits is None:
        return "unknown"
    parts = []
    if limits.primary is not None:
        parts.append(f"window {limits.primary.used_percent:.0f}%")
    if limits.secondary is not None:
        parts.append(f"week {limits.secondary.used_percent:.0f}%")
    return ", ".join(parts)


def _reset_of(usage: Usage) -> float | None:
    limits = usage.limits
    weekly = (limits.secondary or limits.primary) if limits is not None else None
    return weekly.resets_at if weekly is not None else None


def format_accounts(pool: Pool, now: float) -> str:
    """The `accounts` table. Shows labels and ids, never a token; a login imported from
    Codex or Pi names the file it is kept in step with."""
    rows = [("#", "account", "state", "usage", "weekly reset", "cooldown", "linked to")]
    for position, account in enumerate(pool.accounts, start=1):
        usage = (pool.usage or {}).get(account.id, Usage())
        cooling = usage.exhausted_until is not None and usage.exhausted_until > now
        state = "exhausted" if cooling else "ready"
        if pool.pinned == account.id:
            state += ", pinned"
        name = account.label if account.label == account.id else f"{account.label} [{account.id}]"
        rows.append(
            (
                str(position),
                f"{name} ({account.kind} from {account.source})",
                state,
                _usage_text(usage),
                _when(_reset_of(usage), now),
                _when(usage.exhausted_until, now) if cooling else "-",
                account.linked_file or "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def cmd_list(args: argparse.Namespace) -> int:
    pool = _store().load()
    if not pool.accounts:
        print("no pooled accounts: requests use the Codex login or access token of this machine")
        print("add accounts with `autorouter accounts add` (see --help)")
        return 0
    print(format_accounts(pool, time.time()))
    return 0


def _account_to_add(args: argparse.Namespace) -> Account:
    if args.token_env:
        value = os.environ.get(args.token_env, "")
        if not value.strip():
            raise AccountsError(f"${args.token_env} is not set")
        return from_token(value, args.label, source=f"${args.token_env}")
    if args.token_stdin:
        return from_token(sys.stdin.readline(), args.label, source="the token on stdin")
    if args.pi_auth is not None:
        return from_pi_auth(Path(args.pi_auth).expanduser(), args.label)
    path = Path(args.codex_auth).expanduser() if args.codex_auth else auth_json_path(os.environ)
    return from_codex_auth(path, args.label)


def cmd_add(args: argparse.Namespace) -> int:
    try:
        account = _account_to_add(args)
    except (AccountsError, CodexAuthError) as exc:
        print(f"autorouter: {exc}", file=sys.stderr)
        return 1
    pool = _store().add(account)
    print(f"added {account.label} [{account.id}]; the pool has {len(pool.accounts)} account(s)")
    if account.linked_file is not None:
        print(
            f"linked to {account.linked_file}: refreshed tokens are written back there, "
            "and a newer login found there is used, so its owner stays logged in"
        )
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    try:
        account = _store().remove(args.account)
    except AccountsError as exc:
        print(f"autorouter: {exc}", file=sys.stderr)
        return 1
    print(f"removed {account.label} [{account.id}]")
    return 0


def cmd_pin(args: argparse.Namespace) -> int:
    if args.clear == (args.account is not None):
        print("autorouter: give an account to pin, or --clear", file=sys.stderr)
        return 2
    try:
        account = _store().pin(None if args.clear else args.account)
    except AccountsError as exc:
        print(f"autorouter: {exc}", file=sys.stderr)
        return 1
    print(f"pinned {account.label} [{account.id}]" if account else "no account pinned")
    return 0


def add_commands(command: Command) -> None:
    parser = command("accounts", cmd_list, "list the pooled ChatGPT accounts (and add|remove|pin)")
    sub = parser.add_subparsers(dest="accounts_command")
    sub.add_parser("list", help="list the accounts (the default)").set_defaults(func=cmd_list)
    add = sub.add_parser("add", help="add a ChatGPT login or personal access token")
    source = add.add_mutually_exclusive_group()
    source.add_argument("--codex-auth", metavar="FILE", help="a Codex auth.json")
    source.add_argument(
        "--pi-auth",
        metavar="FILE",
        nargs="?",
        const=str(PI_AUTH),
        help=f"Pi's auth.json (default {PI_AUTH})",
    )
    source.add_argument("--token-env", metavar="VAR", help="a personal access token from $VAR")
    source.add_argument(
        "--token-stdin", action="store_true", help="a personal access token read from stdin"
    )
    add.add_argument("--label", help="a name to tell the account apart")
    add.set_defaults(func=cmd_add)
    remove = sub.add_parser("remove", help="remove an account")
    remove.add_argument("account", help="id, label, email or position in the list")
    remove.set_defaults(func=cmd_remove)
    pin = sub.add_parser("pin", help="use this account first while it has quota")
    pin.add_argument("account", nargs="?", help="id, label, email or position in the list")
    pin.add_argument("--clear", action="store_true", help="unpin")
    pin.set_defaults(func=cmd_pin)
