"""Process-wide tuning for a long-running proxy, applied once the server is built.

CPython's cyclic collector runs a young-generation pass every 700 net container
allocations. A proxy under load keeps thousands of short-lived containers alive at once
(each open stream's events and state), so with the default most passes scan live
objects and promote them, and the older generations' passes then rescan them: at 64
concurrent streams that was about a fifth of the process's CPU. Almost nothing on the
request path forms reference cycles (refcounting frees it), so collecting less often
costs little memory.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
"""Net container allocations between young-generation passes (CPython's default: 700)."""


def tune_garbage_collector() -> None:
    """Freeze what start-up built (modules, settings, the app: it lives as long as the
    process and need never be scanned again) and collect the young generation less
    often. Call once, after the application is built."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
