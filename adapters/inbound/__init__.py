"""Other clients' dialects in front of the router: Anthropic Messages and chat completions.

Requests in those dialects are translated into the Responses format the router and the
adapters work with (`anthropic_in`, `chat_in`), and the Responses events that come back
are written in the client's dialect (`anthropic_out`, `chat_out`). When the upstream
speaks the client's own dialect, `passthrough` forwards the request instead, with only
the model name rewritten.
"""
