"""A tiny build-job runner."""
