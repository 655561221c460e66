"""The faults the soak injects, and how a request carries its fault to the mock upstream.

The load generator decides each request's fault and writes a marker
`[soak:<fault>:<token>]` into the prompt. The mock upstream reads it and misbehaves on
the first attempt it sees for that token only, so a fallback to another candidate gets a
normal answer, exactly as a transient upstream fault would behave. `connect` is the one
fault the mock cannot play: those prompts are short enough to be eligible for the
`edge` candidate, whose address is a blackhole where connecting times out.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from enum import StrEnum


class Fault(StrEnum):
    NONE = "none"
    RATE_LIMIT = "429"
    SERVER_ERROR = "500"
    CONNECT_TIMEOUT = "connect"
    FIRST_BYTE_HANG = "hang"
    STALL = "stall"
    CUT = "cut"
    MALFORMED = "malformed"
    SLOW = "slow"


PRE_FIRST_BYTE = frozenset(
    {Fault.RATE_LIMIT, Fault.SERVER_ERROR, Fault.CONNECT_TIMEOUT, Fault.FIRST_BYTE_HANG}
)
"""Faults before the first byte: Auto must hand the request to another candidate."""

MID_STREAM = frozenset({Fault.STALL, Fault.CUT, Fault.MALFORMED})
"""Faults after the stream started: the client must get a typed `response.failed`."""

INJECTED = tuple(fault for fault in Fault if fault is not Fault.NONE)

MARKER = re.compile(r"\[soak:(?P<fault>[a-z0-9]+):(?P<token>[0-9a-f]+)\]")


def marker(fault: Fault, token: str) -> str:
    return f"[soak:{fault.value}:{token}]"


def find_marker(text: str) -> tuple[Fault, str] | None:
    found = MARKER.search(text)
    if found is None:
        return None
    return Fault(found["fault"]), found["token"]


@dataclass(frozen=True)
class FaultPlan:
    """Each injected fault hits `rate` of the requests, independently drawn."""

    rate: float

    def draw(self, rng: random.Random) -> Fault:
        roll = rng.random()
        for index, fault in enumerate(INJECTED):
            if roll < self.rate * (index + 1):
                return fault
        return Fault.NONE
