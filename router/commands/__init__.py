"""Subcommands contributed by feature modules.

Each module here defines `add_commands(command)`, where `command(name, func, help,
server=False)` adds a subparser (with `--settings`, and `--host`/`--port` when `server`
is true) and returns it; `func(args) -> int` runs the command. The CLI discovers the
modules, so a feature adds its commands without editing `router/cli.py`.

The CLI imports every module here to build its parser, for every command, `serve` (the
daemon's start-up) included. So a module here imports its feature's modules inside the
command functions, not at the top (annotations come from a `TYPE_CHECKING` block).
"""
