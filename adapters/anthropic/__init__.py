"""Anthropic Messages: transcript and request translation, stream translation, the adapter."""
