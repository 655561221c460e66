"""Replay of RouteLLM's released outcome tables (GSM8K, MMLU) through the local scorer."""
