"""Where runtime files live: one state directory for pid, logs, catalog and decisions."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

STATE_DIR_ENV = "AUTOROUTER_STATE_DIR"


def state_dir() -> Path:
    explicit = os.environ.get(STATE_DIR_ENV)
    if explicit:
        base = Path(explicit).expanduser()
    else:
        xdg = os.environ.get("XDG_STATE_HOME")
        base = (Path(xdg) if xdg else Path.home() / ".local" / "state") / "codex-autorouter"
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    return base


def atomic_write(path: Path, data: str | bytes, mode: int = 0o600) -> None:
    """Write `data` to `path` through a temporary file and a rename, so a reader never
    sees half a file and a crash never leaves one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
