"""Durations written the way people type them: "90s", "1h30m", "2d 4h"."""

UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> int:
    """The number of seconds in `text`, e.g. "1h30m" -> 5400.

    Parts are a whole number followed by one of d, h, m, s, optionally separated by
    spaces; a bare number means seconds. Anything else raises ValueError.
    """
    raise NotImplementedError


def format_duration(seconds: int) -> str:
    """The shortest text `parse_duration` reads back as `seconds`."""
    parts = []
    for unit, size in UNITS.items():
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
