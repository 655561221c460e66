"""Our managed entries in Codex's `config.toml`: put them in, switch the model, take them out.

`enable` sets the top-level `model`, `model_provider` and `model_catalog_json` and the
`[model_providers.autorouter]` table, editing with tomlkit so the user's comments and
layout stay. Whatever it displaces is recorded in the state directory
(`codex_config_state.json`, mode 0600), so `disable` can put back exactly what was there.

`disable` undoes only what is still ours: an entry the user has changed since (another
`model`, say) is the user's decision and stays. When the file is byte-for-byte what we
last wrote, the pre-enable copy is restored as is. Every version we replace is kept as a
timestamped backup in the state directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import Table
from tomlkit.toml_document import TOMLDocument

from router.codex_setup.catalog import provider_snippet
from router.settings.paths import atomic_write

PROVIDER_ID = "autorouter"
NATIVE_PROVIDER = "openai"
"""Codex's built-in provider, which `model_provider` means when the key is absent."""
STATE_FILE = "codex_config_state.json"
BACKUP_DIR = "backups"

Path_ = tuple[str, ...]


class CodexConfigError(Exception):
    """The config file cannot be read or edited safely; the message is for the user."""


def codex_home() -> Path:
    explicit = os.environ.get("CODEX_HOME")
    return Path(explicit).expanduser() if explicit else Path.home() / ".codex"


def config_path(home: Path | None = None) -> Path:
    return (home or codex_home()) / "config.toml"


def managed_entries(base_url: str, catalog: Path, model: str) -> dict[Path_, Any]:
    """Every key `enable` sets, by path, with its value. The provider table comes from
    `provider_snippet`, so the CLI's printed snippet and this file never disagree."""
    snippet = tomlkit.parse(provider_snippet(base_url, catalog, model, PROVIDER_ID)).unwrap()
    entries: dict[Path_, Any] = {
        ("model_provider",): PROVIDER_ID,
        ("model_catalog_json",): snippet["model_catalog_json"],
        ("model",): model,
    }
    for key, value in snippet["model_providers"][PROVIDER_ID].items():
        entries[("model_providers", PROVIDER_ID, key)] = value
    return entries


@dataclass
class Displaced:
    """One managed key: whether it existed before `enable`, its original value as TOML
    text (so quoting style survives), and the value we wrote."""

    path: Path_
    existed: bool
    original: str | None
    ours: Any


@dataclass
class EnableState:
    config_existed: bool
    backup: str | None
    """The pre-enable copy of config.toml, restored as is when nothing changed since."""
    written_sha256: str
    native_provider: str
    """The provider the user had before; `disable` moves history back to it."""
    entries: list[Displaced] = field(default_factory=list)
    created_tables: list[Path_] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "config_existed": self.config_existed,
            "backup": self.backup,
            "written_sha256": self.written_sha256,
            "native_provider": self.native_provider,
            "entries": [
                {"path": list(e.path), "existed": e.existed, "original": e.original, "ours": e.ours}
                for e in self.entries
            ],
            "created_tables": [list(p) for p in self.created_tables],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EnableState:
        return cls(
            config_existed=bool(data["config_existed"]),
            backup=data.get("backup"),
            written_sha256=str(data["written_sha256"]),
            native_provider=str(data.get("native_provider") or NATIVE_PROVIDER),
            entries=[
                Displaced(tuple(e["path"]), bool(e["existed"]), e.get("original"), e.get("ours"))
                for e in data.get("entries", [])
            ],
            created_tables=[tuple(p) for p in data.get("created_tables", [])],
        )

    def entry(self, path: Path_) -> Displaced | None:
        return next((e for e in self.entries if e.path == path), None)


@dataclass(frozen=True)
class DisableResult:
    restored_exactly: bool
    kept_user_changes: list[str]
    """Managed keys the user changed after `enable`; left as the user set them."""
    native_provider: str


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _lookup(doc: TOMLDocument | Table, path: Path_) -> tuple[Any, bool]:
    """The item at `path` and whether it exists."""
    node: Any = doc
    for part in path:
        if not hasattr(node, "keys") or part not in node:
            return None, False
        node = node[part]
    return node, True


def _parent(doc: TOMLDocument, path: Path_, created: list[Path_] | None) -> Any:
    """The container that holds `path[-1]`, creating tables on the way when `created` is
    given (and noting which)."""
    node: Any = doc
    for depth, part in enumerate(path[:-1]):
        if part not in node:
            if created is None:
                return None
            # A table with only sub-tables renders as `[a.b]` alone, no empty `[a]`.
            node.add(part, tomlkit.table(is_super_table=depth == 0 and len(path) > 2))
            created.append(path[: depth + 1])
        node = node[part]
        if not isinstance(node, Table | TOMLDocument):
            raise CodexConfigError(f"{'.'.join(path[: depth + 1])} in config.toml is not a table")
    return node


def _value_text(item: Any) -> str:
    text: str = (
        item.as_string().strip() if hasattr(item, "as_string") else tomlkit.item(item).as_string()
    )
    return text


def _parse_value(text: str) -> Any:
    return tomlkit.parse(f"v = {text}\n")["v"]


def _drop_header(text: str, table: Path_) -> str:
    """`text` without the header line of an emptied table. Comments the user wrote after
    our keys belong to our table in tomlkit's view; removing just the header keeps them
    where the user put them."""
    header = "[" + ".".join(table) + "]\n"
    if text.startswith(header):
        return text[len(header) :]
    marker = "\n" + header
    return text.replace(marker, "\n", 1) if text.count(marker) == 1 else text


def _plain(item: Any) -> Any:
    return item.unwrap() if hasattr(item, "unwrap") else item


class CodexConfig:
    """Edits one Codex `config.toml`, recording what it displaced under `state_dir`."""

    def __init__(self, path: Path, state_dir: Path) -> None:
        self.path = path
        self.state_dir = state_dir

    # -- reading ----------------------------------------------------------------------

    @property
    def state_path(self) -> Path:
        return self.state_dir / STATE_FILE

    def _read_bytes(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CodexConfigError(f"cannot read {self.path}: {exc.strerror}") from None

    def _parse(self, raw: bytes | None) -> TOMLDocument:
        try:
            return tomlkit.parse(raw.decode("utf-8")) if raw else tomlkit.document()
        except (UnicodeDecodeError, tomlkit.exceptions.ParseError) as exc:
            raise CodexConfigError(
                f"{self.path} is not valid TOML ({exc}); fix it first, nothing was changed"
            ) from None

    def document(self) -> TOMLDocument:
        return self._parse(self._read_bytes())

    def load_state(self) -> EnableState | None:
        try:
            return EnableState.from_json(json.loads(self.state_path.read_text()))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as exc:
            raise CodexConfigError(f"{self.state_path} is damaged ({exc})") from None

    def is_enabled(self) -> bool:
        return self.state_path.exists()

    def current_model(self) -> str | None:
        value = self.document().get("model")
        return str(value) if value is not None else None

    def current_provider(self) -> str | None:
        value = self.document().get("model_provider")
        return str(value) if value is not None else None

    # -- writing ----------------------------------------------------------------------

    def backup(self) -> Path | None:
        """Copy the current config.toml to a timestamped file in the state directory."""
        if not self.path.exists():
            return None
        folder = self.state_dir / BACKUP_DIR
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        target = folder / f"config.toml.{stamp}"
        shutil.copy2(self.path, target)
        os.chmod(target, 0o600)
        return target

    def _write(self, text: str) -> bytes:
        mode = self.path.stat().st_mode & 0o777 if self.path.exists() else 0o600
        data = text.encode("utf-8")
        atomic_write(self.path, data, mode=mode)
        return data

    def _save_state(self, state: EnableState) -> None:
        atomic_write(self.state_path, json.dumps(state.to_json(), indent=2) + "\n", mode=0o600)

    def enable(self, entries: dict[Path_, Any]) -> EnableState:
        """Write `entries` into config.toml. Running it again updates the values in place
        and keeps the first run's record of what was displaced."""
        raw = self._read_bytes()
        doc = self._parse(raw)
        state = self.load_state()
        if state is None:
            provider = doc.get("model_provider")
            state = EnableState(
                config_existed=raw is not None,
                backup=None,
                written_sha256="",
                native_provider=str(provider) if provider is not None else NATIVE_PROVIDER,
            )
            if state.native_provider == PROVIDER_ID:
                state.native_provider = NATIVE_PROVIDER
        first_table = next((item for _, item in doc.body if isinstance(item, Table)), None)
        first_indent = first_table.trivia.indent if first_table is not None else ""
        for path, value in entries.items():
            item, existed = _lookup(doc, path)
            recorded = state.entry(path)
            if recorded is None:
                original = _value_text(item) if existed else None
                state.entries.append(Displaced(path, existed, original, value))
            else:
                recorded.ours = value
            parent = _parent(doc, path, state.created_tables)
            parent[path[-1]] = value
        self._tidy_new_tables(doc, state.created_tables)
        if first_table is not None:
            # Keys added above the first table bring a blank line that, parsed back,
            # outlives their removal; without it `disable` leaves no trace.
            first_table.trivia.indent = first_indent
        backup = self.backup()
        if state.backup is None:
            state.backup = str(backup) if backup else None
        state.written_sha256 = _sha(self._write(tomlkit.dumps(doc)))
        self._save_state(state)
        return state

    def _tidy_new_tables(self, doc: TOMLDocument, created: Iterable[Path_]) -> None:
        # tomlkit puts a blank line before a new table; parsing the file back attaches
        # that line to whatever precedes it, where removing our table would leave it
        # behind. Without it, the table owns every line it adds.
        for path in created:
            item, exists = _lookup(doc, path)
            if exists and isinstance(item, Table):
                item.trivia.indent = ""

    def set_model(self, slug: str) -> None:
        """Make `slug` Codex's default model (a backup of the old file first)."""
        raw = self._read_bytes()
        doc = self._parse(raw)
        doc["model"] = slug
        self.backup()
        written = self._write(tomlkit.dumps(doc))
        state = self.load_state()
        if state is not None:
            recorded = state.entry(("model",))
            if recorded is not None:
                recorded.ours = slug
            state.written_sha256 = _sha(written)
            self._save_state(state)

    def disable(self) -> DisableResult | None:
        """Take our entries out again; None when `enable` was never run (nothing to do)."""
        state = self.load_state()
        if state is None:
            return None
        raw = self._read_bytes()
        self.backup()
        if raw is not None and _sha(raw) == state.written_sha256:
            self._restore_original(state)
            result = DisableResult(True, [], state.native_provider)
        else:
            result = self._undo_entries(state, raw)
        self.state_path.unlink()
        return result

    def _restore_original(self, state: EnableState) -> None:
        if not state.config_existed:
            self.path.unlink(missing_ok=True)
            return
        if state.backup is None or not Path(state.backup).exists():
            raise CodexConfigError(
                f"the pre-enable backup of {self.path} is gone; nothing was changed"
            )
        self._write(Path(state.backup).read_bytes().decode("utf-8"))

    def _undo_entries(self, state: EnableState, raw: bytes | None) -> DisableResult:
        doc = self._parse(raw)
        kept: list[str] = []
        for entry in reversed(state.entries):
            item, exists = _lookup(doc, entry.path)
            if not exists:
                continue
            if _plain(item) != entry.ours:
                kept.append(".".join(entry.path))
                continue
            parent = _parent(doc, entry.path, None)
            if entry.existed and entry.original is not None:
                parent[entry.path[-1]] = _parse_value(entry.original)
            else:
                del parent[entry.path[-1]]
        text = tomlkit.dumps(doc)
        for table in state.created_tables:
            item, exists = _lookup(doc, table)
            if exists and isinstance(item, Table) and not item.is_super_table() and not item:
                text = _drop_header(text, table)
        if not state.config_existed and not text.strip():
            self.path.unlink(missing_ok=True)
        else:
            self._write(text)
        return DisableResult(False, sorted(kept), state.native_provider)
