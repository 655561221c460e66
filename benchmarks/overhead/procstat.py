"""CPU time and memory of another process, read from /proc (Linux only).

Reading /proc directly keeps the benchmark free of extra dependencies and costs a few
microseconds per sample, so sampling does not disturb what it measures.
"""

from __future__ import annotations

import os

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    with open(f"/proc/{pid}/stat", "rb") as handle:
        raw = handle.read()
    # The command name (field 2) may contain spaces; every field after its closing
    # parenthesis is a number. utime and stime are fields 14 and 15.
    fields = raw[raw.rindex(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _status_kib(pid: int, name: bytes) -> int:
    with open(f"/proc/{pid}/status", "rb") as handle:
        for line in handle:
            if line.startswith(name):
                return int(line.split()[1])
    raise ValueError(f"/proc/{pid}/status has no {name.decode()}")


def rss_mb(pid: int) -> float:
    """Resident memory now, in MB (MiB)."""
    return _status_kib(pid, b"VmRSS:") / 1024


def peak_rss_mb(pid: int) -> float:
    """The highest resident memory since the process started (the kernel's high-water mark)."""
    return _status_kib(pid, b"VmHWM:") / 1024
