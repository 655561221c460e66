"""codex-autorouter: a local proxy that lets Codex use any model and pick one per task."""

__version__ = "0.1.0"
