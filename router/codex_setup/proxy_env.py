"""Keeping Codex's requests to the loopback proxy away from the user's HTTP proxy.

Codex 0.169.0 sends the requests for a loopback provider through `HTTP_PROXY`,
`HTTPS_PROXY` or `ALL_PROXY` (either case) when one is set, unless `NO_PROXY` /
`no_proxy` exempts the host: behind a corporate proxy the request reaches that proxy, not
us. What we launch gets the loopback names added to both exemption variables; for what we
do not launch (`enable` only writes config.toml) we can only say so.

Measured with 0.169.0 and `http://127.0.0.1`: `HTTP_PROXY`, `http_proxy` and `ALL_PROXY`
catch the request, `HTTPS_PROXY` alone does not; either exemption variable alone is
enough, and `localhost` does not cover `127.0.0.1`. All three proxy variables count here
all the same: other builds and the Desktop app may read them differently, and the
exemption costs nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
NO_PROXY_VARIABLES = ("NO_PROXY", "no_proxy")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def proxy_variables(environ: Mapping[str, str]) -> list[str]:
    """The proxy variables set (to something) in `environ`, as spelt there."""
    wanted = {name.lower() for name in PROXY_VARIABLES}
    return sorted(name for name, value in environ.items() if name.lower() in wanted and value)


def _entries(value: str) -> list[str]:
    return [entry.strip() for entry in value.split(",") if entry.strip()]


def _covers(entry: str, host: str) -> bool:
    # The forms HTTP clients agree on: `*`, a name (a leading dot allowed), an address,
    # bracketed or not, and a CIDR block.
    entry = entry.lower().strip("[]").lstrip(".")
    if entry in ("*", host):
        return True
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False


def bypasses_proxy(environ: Mapping[str, str], host: str = "127.0.0.1") -> bool:
    """Whether a request to `host` goes straight to it: no proxy variable is set, or every
    exemption variable that is set covers `host` (which of the two a client reads first
    varies, so both must)."""
    if not proxy_variables(environ):
        return True
    lists = [environ[name] for name in NO_PROXY_VARIABLES if name in environ]
    return bool(lists) and all(
        any(_covers(entry, host) for entry in _entries(value)) for value in lists
    )


def with_loopback_exempt(environ: Mapping[str, str]) -> dict[str, str]:
    """A copy of `environ` whose `NO_PROXY` and `no_proxy` list the loopback names after
    the user's own entries (each name once). A variable that is unset starts from the
    other one, so a client that reads it first keeps the user's exemptions."""
    env = dict(environ)
    for name, other in (("NO_PROXY", "no_proxy"), ("no_proxy", "NO_PROXY")):
        entries = _entries(environ.get(name) or environ.get(other) or "")
        present = {entry.lower().strip("[]") for entry in entries}
        entries += [host for host in LOOPBACK_NAMES if host not in present]
        env[name] = ",".join(entries)
    return env


def proxy_hint(environ: Mapping[str, str], host: str = "127.0.0.1") -> str | None:
    """One line for the user when their proxy variables would catch Codex's requests to
    `host`; None when they would not."""
    if bypasses_proxy(environ, host):
        return None
    names = ", ".join(proxy_variables(environ))
    return (
        f"note: {names} is set and NO_PROXY does not exempt {host}: Codex would send its "
        f"requests to that proxy. Add NO_PROXY={','.join(LOOPBACK_NAMES)} to the environment "
        "Codex starts from (`autorouter codex` and `autorouter app` do it for you)"
    )
