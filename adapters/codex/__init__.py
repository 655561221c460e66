"""The ChatGPT Codex backend: passthrough adapter, forwarded headers, usage windows."""
