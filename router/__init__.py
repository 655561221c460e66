"""codex-autorouter: a local proxy that lets Codex use any model and pick one per task."""

__version__ = "0.1.0"

SERVICE_NAME = "codex-autorouter"
"""What `GET /health` calls us, so the CLI tells its own daemon from another program."""
