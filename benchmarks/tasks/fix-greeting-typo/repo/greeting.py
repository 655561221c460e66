"""Greetings for the welcome screen."""


def greet(name: str) -> str:
    """Return the greeting shown to `name` on the welcome screen."""
    return f"Helo, {name}!"


def farewell(name: str) -> str:
    """Return the line shown when `name` signs out."""
    return f"Goodbye, {name}."
