"""Running jobs in dependency order."""

from collections.abc import Callable

from jobs.graph import order


def run_all(jobs: dict[str, list[str]], run: Callable[[str], None]) -> list[str]:
    """Run every job with `run(name)` in dependency order; return the log lines."""
    log = []
    for name in order(jobs):
        run(name)
        log.append(f"ran {name}")
    return log
