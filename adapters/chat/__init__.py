"""OpenAI chat completions: request translation, stream translation, the adapter."""
