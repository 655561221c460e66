"""Finding and launching Codex Desktop."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from router.codex_setup.proxy_env import NO_PROXY_VARIABLES

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


def launch(command: list[str], env: Mapping[str, str]) -> int:
    """Start the app detached from our terminal with `env`; returns its pid.

    macOS's `open` starts the app through LaunchServices, which does not hand our
    environment on, so the exemptions from the user's HTTP proxy travel as `--env`."""
    if command[:1] == ["open"]:
        passed = [f"{name}={env[name]}" for name in NO_PROXY_VARIABLES if name in env]
        command = ["open", *(part for pair in passed for part in ("--env", pair)), *command[1:]]
    process = subprocess.Popen(
        command,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return process.pid
