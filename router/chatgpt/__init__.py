"""The ChatGPT accounts behind the Codex passthrough.

Owns logins and their refresh, personal access tokens, the accounts pool file, the
models an account offers and the service that picks an account per request. May import
`router.telemetry`, `router.settings` and `adapters`.
"""
