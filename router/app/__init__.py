"""The HTTP application and its front doors.

Owns the aiohttp app, its routes (Responses, Anthropic Messages, chat completions, the
picker, the dashboard), the Host allowlist, request reading, the one stream writer
(`writer.py`) and graceful shutdown.
May import `router.routing`, `router.codex_setup`, `router.chatgpt`, `router.telemetry`,
`router.settings` and `adapters`; never `router.cli`.
"""
