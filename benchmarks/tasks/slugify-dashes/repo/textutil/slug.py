"""URL slugs for post titles."""

import re


def slugify(title: str) -> str:
    """A URL slug: lower case, words joined by single dashes, no dashes at the ends."""
    return re.sub(r"[^a-z0-9]", "-", title.lower())
