"""Request snapshots for debugging: what Codex sent, with nothing secret in it.

Off by default; `server.snapshots: true` in the settings or `AUTOROUTER_SNAPSHOTS=1`
turns them on. Each request becomes one JSON file under `<state dir>/snapshots/`:
image data is replaced by `[image-data:<bytes>]`, and every value that is or looks like a
credential is replaced by `[redacted]`, so a snapshot can be attached to a bug report.
Only the newest `DEFAULT_KEEP` files are kept.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from router.settings import Settings, SettingsError
from router.settings.paths import atomic_write, state_dir
from router.telemetry.logs import get_logger

log = get_logger("autorouter.snapshots")

SNAPSHOTS_ENV = "AUTOROUTER_SNAPSHOTS"
DEFAULT_KEEP = 200
REDACTED = "[redacted]"

_SECRET_NAME = re.compile(
    r"(authorization|api[-_]?key|secret|password|passwd|cookie|credential|"
    r"(^|[-_])(access|refresh|id|bearer|auth|session)?[-_]?token$|^token$|^x-api-key$)",
    re.IGNORECASE,
)
"""Header or field names whose values are credentials. `max_output_tokens`, `input_tokens`
and `prompt_cache_key` are not matched: they hold counts and ids."""

_SECRET_VALUE = re.compile(
    r"(sk-[A-Za-z0-9_\-]{8,}|sk_[A-Za-z0-9_\-]{8,}|Bearer\s+[A-Za-z0-9._\-~+/]{8,}=*"
    r"|eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"
    r"|gh[pousr]_[A-Za-z0-9]{20,}|xox[abpr]-[A-Za-z0-9\-]{10,}|AKIA[0-9A-Z]{16}"
    r"|AIza[0-9A-Za-z_\-]{30,})"
)
"""Strings that look like keys or tokens wherever they appear (a key pasted in a prompt)."""

_DATA_URL = re.compile(r"data:[^;,\s]*;base64,([A-Za-z0-9+/=\s]+)")


def enabled(settings_flag: bool, environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return settings_flag or env.get(SNAPSHOTS_ENV, "").strip().lower() in {"1", "true", "yes"}


def snapshot_dir(state_dir: Path) -> Path:
    return state_dir / "snapshots"


def _image_size(encoded: str) -> int:
    compact = "".join(encoded.split())
    try:
        return len(base64.b64decode(compact + "=" * (-len(compact) % 4)))
    except (binascii.Error, ValueError):
        return len(compact) * 3 // 4


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with image data shortened and every known or key-like secret redacted."""
    text = _DATA_URL.sub(lambda m: f"[image-data:{_image_size(m.group(1))}]", text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return _SECRET_VALUE.sub(REDACTED, text)


def sanitize(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of a decoded JSON value that is safe to store."""
    known = tuple(secrets)
    if isinstance(value, str):
        return redact_text(value, known)
    if isinstance(value, list):
        return [sanitize(item, known) for item in value]
    if isinstance(value, dict):
        clean: dict[str, Any] = {}
        for key, item in value.items():
            if _SECRET_NAME.search(str(key)) and isinstance(item, str):
                clean[key] = REDACTED
            else:
                clean[key] = sanitize(item, known)
        return clean
    return value


def sanitize_headers(headers: Mapping[str, str], secrets: Iterable[str] = ()) -> dict[str, str]:
    known = tuple(secrets)
    return {
        name.lower(): REDACTED if _SECRET_NAME.search(name) else redact_text(value, known)
        for name, value in headers.items()
    }


def write_snapshot(
    state_dir: Path,
    request_id: str,
    headers: Mapping[str, str],
    body: Any,
    *,
    secrets: Iterable[str] = (),
    keep: int = DEFAULT_KEEP,
) -> Path:
    """Store one sanitized request (`secrets`: values to redact wherever they appear, such
    as the configured keys) and prune to the newest `keep` snapshots."""
    known = tuple(secrets)
    record = {
        "request_id": request_id,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "headers": sanitize_headers(headers, known),
        "body": sanitize(body, known),
    }
    folder = snapshot_dir(state_dir)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    safe_id = re.sub(r"[^A-Za-z0-9_-]", "", request_id)[:64] or "request"
    path = folder / f"{time.time_ns():020d}-{safe_id}.json"
    atomic_write(path, json.dumps(record, indent=1, ensure_ascii=False) + "\n", mode=0o600)
    prune(state_dir, keep)
    return path


def list_snapshots(state_dir: Path) -> list[Path]:
    """Snapshot files, oldest first (names start with a nanosecond timestamp)."""
    folder = snapshot_dir(state_dir)
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def prune(state_dir: Path, keep: int) -> int:
    """Delete all but the newest `keep` snapshots; returns how many were deleted."""
    files = list_snapshots(state_dir)
    doomed = files[: max(len(files) - max(keep, 0), 0)]
    for path in doomed:
        path.unlink(missing_ok=True)
    return len(doomed)


def configured_secrets(settings: Settings) -> list[str]:
    """Every key value the settings resolve to now, to redact verbatim."""
    found: list[str] = []
    for model in settings.models:
        key = model.resolve_api_key()
        if key:
            found.append(key)
        try:
            headers = model.target().extra_headers
        except SettingsError:
            continue  # its base URL is unset, so it sends nothing that could leak
        found += [value for value in headers.values() if len(value) >= 8]
    return found


def snapshot_request(
    settings: Settings, request_id: str, headers: Mapping[str, str], body: Any
) -> None:
    """The server's hook: store the request when snapshots are on. A failure to write is
    logged and never fails the request."""
    if not enabled(settings.server.snapshots):
        return
    try:
        write_snapshot(state_dir(), request_id, headers, body, secrets=configured_secrets(settings))
    except OSError as exc:
        log.warning("snapshot_failed", request_id=request_id, error=type(exc).__name__)
