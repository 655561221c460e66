"""Routing: which task a request belongs to, which model serves it, and how to reach it.

Owns task identity, the slug-to-upstream dispatch, credentials per model, key rotation,
the pooled upstream clients and the Auto router (`auto/`). May import `router.chatgpt`,
`router.telemetry`, `router.settings` and `adapters`; never the HTTP app or the CLI.
"""
