"""Which settings a command runs with: the file, or what the machine offers without one.

`--settings PATH` is a promise that PATH exists, so a missing file is an error. The default
location ($AUTOROUTER_SETTINGS, else the config dir) may well not exist on a first run:
then the commands run with what costs nothing to use and needs no question (a ChatGPT
login's models, a local Ollama or other loopback server) and say so, with the way to
write a file. Keys in the environment are not used without a file: `autorouter init` puts
them in one, where the user sees what they will pay for.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from router.settings import Settings, SettingsError, default_settings_path, load_settings


@dataclass(frozen=True)
class Loaded:
    settings: Settings
    path: Path
    from_file: bool
    problem: str | None = None
    """Why the file at `path` is not in use (missing or invalid), for `doctor`."""


def settings_path(args: argparse.Namespace) -> Path:
    explicit = getattr(args, "settings", None)
    return Path(explicit).expanduser() if explicit else default_settings_path()


def load_for(args: argparse.Namespace) -> Settings:
    """The settings for a command. Raises `SettingsError` for an explicit `--settings`
    that is missing, and for any file that exists but is invalid."""
    path = settings_path(args)
    if getattr(args, "settings", None) or path.exists():
        return load_settings(path)
    settings, summary = settings_without_file()
    announce(path, summary)
    return settings


def load_for_doctor(args: argparse.Namespace) -> Loaded:
    """Like `load_for`, but never raises: a missing or broken file becomes `problem`
    and the command goes on with what the machine offers."""
    path = settings_path(args)
    if path.exists() or getattr(args, "settings", None):
        try:
            return Loaded(load_settings(path), path, True)
        except SettingsError as exc:
            problem = str(exc)
    else:
        problem = None
    settings, _ = settings_without_file()
    return Loaded(settings, path, False, problem)


def settings_without_file() -> tuple[Settings, str]:
    """What runs with no settings file, and a one-line summary of where it came from."""
    from router.settings import parse_settings
    from router.settings.discovery import discover
    from router.settings.known import load_table
    from router.settings.starter import build_plan

    table = load_table()
    found = discover(os.environ, table, keys=False, shim=False, ask_chatgpt=False)
    plan = build_plan(None, found, table)
    labels = [source.label for source in found.sources if source.entries]
    if not plan.data.get("models"):
        return Settings(models=[]), "nothing found (no ChatGPT login, no local model server)"
    try:
        settings = parse_settings(plan.data)
    except SettingsError as exc:
        return Settings(models=[]), f"what was found does not load ({exc})"
    return settings, f"{len(settings.models)} models from " + "; ".join(labels)


def announce(path: Path, summary: str) -> None:
    print(
        f"autorouter: no settings file at {path}; running without one: {summary}. "
        "`autorouter init` writes a settings file (with your API keys' models and Auto).",
        file=sys.stderr,
    )
