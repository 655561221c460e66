"""Setting up the user's own Codex install: the model catalog, the managed block in
`config.toml`, thread history across providers, and Codex Desktop.

May import `router.chatgpt`, `router.telemetry` and `router.settings`.
"""
