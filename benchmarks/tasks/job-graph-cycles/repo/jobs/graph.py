"""The order jobs run in: every job after the jobs it depends on."""


def order(jobs: dict[str, list[str]]) -> list[str]:
    """Job names with every job after its dependencies."""
    done: list[str] = []

    def visit(name: str) -> None:
        for dependency in jobs[name]:
            visit(dependency)
        if name not in done:
            done.append(name)

    for name in jobs:
        visit(name)
    return done
