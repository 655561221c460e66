"""Finding and launching Codex Desktop."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

MAC_APP = Path("/Applications/Codex.app")
LINUX_NAMES = ("codex-desktop", "Codex")

INSTRUCTIONS = """\
Codex Desktop was not found. Install it from https://openai.com/codex (macOS: into
/Applications), or pass its path: `autorouter app /path/to/Codex`. Your Codex config
already points at the autorouter, so the Codex CLI (`codex`) works with it right now."""


def find_desktop(explicit: str | None = None, platform: str = sys.platform) -> list[str] | None:
    """The command that opens Codex Desktop, or None when it is not installed."""
    if explicit:
        path = Path(explicit).expanduser()
        if platform == "darwin" and path.suffix == ".app" and path.is_dir():
            return ["open", "-a", str(path)]
        return [str(path)] if path.is_file() and os.access(path, os.X_OK) else None
    if platform == "darwin":
        return ["open", "-a", str(MAC_APP)] if MAC_APP.is_dir() else None
    for name in LINUX_NAMES:
        found = shutil.which(name)
        if found:
            return [found]
    return None


def launch(command: list[str]) -> int:
    """Start the app detached from our terminal; returns its pid."""
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return process.pid
