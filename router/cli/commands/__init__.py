"""Subcommands contributed by feature modules.

Each module here defines `add_commands(command)`, where `command(name, func, help,
server=False)` adds a subparser (with `--settings`, and `--host`/`--port` when `server`
is true) and returns it; `func(args) -> int` runs the command. The CLI discovers the
modules, so a feature adds its commands without editing `router/cli/main.py`. It imports them
only for a command it does not define itself (and for the full `--help`): `serve`, the
daemon's start-up, runs without them.
"""
