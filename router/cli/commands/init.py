"""`autorouter init`: a starter settings file from what this machine already has.

It says what it found and what it could not use, shows the file, and writes it: a new file
straight away, over an existing one only after asking (or with `--yes`), keeping a
timestamped backup beside it. Run again, it adds what is new and leaves the rest alone;
with nothing new it writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from router.cli.settings_source import settings_path
from router.settings import SettingsError, parse_settings
from router.settings.compat import MODEL_LIST_KEYS
from router.settings.discovery import Discovery, discover
from router.settings.known import load_table
from router.settings.paths import atomic_write
from router.settings.starter import Plan, build_plan

Command = Callable[..., argparse.ArgumentParser]


def _fail(message: str) -> int:
    print(f"autorouter: {message}", file=sys.stderr)
    return 1


def _read_existing(path: Path) -> dict[str, Any] | None:
    """The file's JSON, None when there is no file. Raises `SettingsError` when the file
    cannot be read as a JSON object: `init` never overwrites what it cannot read."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read ({type(exc).__name__})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsError(
            f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}; "
            "fix it or move it away, `init` does not overwrite a file it cannot read"
        ) from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: not a JSON object; fix it or move it away")
    return data


def _report(found: Discovery, plan: Plan) -> None:
    print("found:")
    for source in found.sources:
        if source.entries:
            count = len(source.entries)
            print(f"  {source.label}: {count} model{'' if count == 1 else 's'}")
    if not any(source.entries for source in found.sources):
        print("  nothing")
    if found.unusable:
        print("could not use:")
        for line in found.unusable:
            print(f"  {line}")
    for note in plan.notes:
        print(f"note: {note}")


_SECRET_FIELDS = ("api_key", "apiKey", "api_keys", "apiKeys", "extra_headers", "extraHeaders")


def _hidden(value: Any) -> Any:
    """A secret field as shown on screen: `${VAR}` templates as they are, anything else
    (a key imported from codex-shim, a header value) replaced."""
    if isinstance(value, str):
        return value if value.startswith("${") and value.endswith("}") else "<hidden>"
    if isinstance(value, list):
        return [_hidden(item) for item in value]
    if isinstance(value, dict):
        return {name: _hidden(item) for name, item in value.items()}
    return value


def shown(data: dict[str, Any]) -> str:
    """The file as printed: what will be written, with key values hidden."""
    copy = json.loads(json.dumps(data))
    for key in MODEL_LIST_KEYS:
        for entry in copy.get(key) or []:
            if isinstance(entry, dict):
                for field in _SECRET_FIELDS:
                    if field in entry:
                        entry[field] = _hidden(entry[field])
    return json.dumps(copy, indent=2, ensure_ascii=False) + "\n"


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _backup(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.name}.bak-{stamp}")
    counter = 1
    while backup.exists():
        counter += 1
        backup = path.with_name(f"{path.name}.bak-{stamp}-{counter}")
    shutil.copy2(path, backup)
    os.chmod(backup, 0o600)
    return backup


def _import_pi_login(path: Path) -> str:
    from router.chatgpt.accounts_store import (
        ACCOUNTS_FILE,
        AccountsError,
        AccountsStore,
        from_pi_auth,
    )
    from router.settings.paths import state_dir

    try:
        account = from_pi_auth(path)
    except AccountsError as exc:
        return f"Pi's ChatGPT login not added: {exc}"
    AccountsStore(state_dir() / ACCOUNTS_FILE).add(account)
    return f"added Pi's ChatGPT login to the accounts pool as {account.label}"


def init(args: argparse.Namespace) -> int:
    path = settings_path(args)
    try:
        existing = _read_existing(path)
    except SettingsError as exc:
        return _fail(str(exc))
    table = load_table()
    found = discover(os.environ, table)
    plan = build_plan(existing, found, table)
    _report(found, plan)
    if not plan.changed:
        if existing is None:
            return _fail(
                "nothing to write: no API key for a known provider in the environment, no "
                "local model server, no ChatGPT login. Set a key (e.g. OPENAI_API_KEY) or "
                "start Ollama, then run `autorouter init` again"
            )
        print(f"nothing new: {path} unchanged")
        return 0
    text = json.dumps(plan.data, indent=2, ensure_ascii=False) + "\n"
    try:
        parse_settings(json.loads(text), source=path)
    except SettingsError as exc:
        return _fail(f"the file init would write does not load, so it is not written: {exc}")
    print(f"\n{path}{' (added: ' + ', '.join(plan.added) + ')' if existing else ''}:")
    print(shown(plan.data), end="")
    backup = None
    if existing is not None:
        if not args.yes and not _confirm(f"overwrite {path} (a backup is kept)?"):
            print(f"not written; `autorouter init --yes` writes it (backing up {path.name})")
            return 1
        backup = _backup(path)
    atomic_write(path, text)
    print(f"wrote {path}" + (f" (previous version: {backup})" if backup else ""))
    if found.pi_codex_login is not None:
        print(_import_pi_login(found.pi_codex_login))
    print("next: `autorouter enable`, then pick Auto (smart routing) in Codex")
    return 0


def add_commands(command: Command) -> None:
    parser = command("init", init, "write a starter settings file from what this machine has")
    parser.add_argument(
        "--yes", "-y", action="store_true", help="write without asking (keeps a backup)"
    )
