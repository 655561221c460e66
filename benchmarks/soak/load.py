"""The soak's client: Codex-like tasks through Auto, each request judged on its own.

A task is one session (its own `session-id`, so Auto decides per task) of one to three
requests; its prompts vary in difficulty so the classifier picks different candidates.
Every request must end, within its deadline, in `response.completed` or a typed
failure: `response.failed` / `response.incomplete` as the only terminal event and the
last one, or an HTTP error with an OpenAI-shaped JSON body.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from benchmarks.soak.faults import Fault, FaultPlan, marker

AUTO = "codex-auto"
TERMINAL = frozenset({"response.completed", "response.failed", "response.incomplete"})

PROMPTS = {
    "trivial": ["say hello", "fix the typo in the readme", "rename the helper", "print the path"],
    "medium": ["refactor the settings loader", "write tests for the parser", "fix the bug in io"],
    "hard": ["design a distributed lock", "find the race condition in the concurrency code"],
}
INSTRUCTIONS = "You are a coding agent. Follow the repository conventions. " * 40
"""A developer message like Codex's base instructions (~500 tokens). Requests that carry
it are too large for the `edge` candidate; `connect` requests leave it out, which makes
`edge` eligible (and chosen: it is the cheapest)."""


@dataclass(slots=True)
class Outcome:
    fault: Fault
    outcome: str
    """completed | failed | incomplete | http_error | untyped_error | lost | malformed | hung"""
    latency: float
    status: int = 0
    code: str | None = None
    model: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Request:
    fault: Fault
    body: dict[str, Any]
    headers: dict[str, str]


def tasks(count: int, plan: FaultPlan, rng: random.Random) -> Iterator[list[Request]]:
    """Tasks until `count` requests are planned."""
    planned = 0
    while planned < count:
        session = str(uuid.uuid4())
        turns = min(rng.choice((1, 1, 2, 3)), count - planned)
        task: list[Request] = []
        for _ in range(turns):
            fault = plan.draw(rng)
            if fault is Fault.CONNECT_TIMEOUT and task:
                fault = Fault.NONE  # `connect` needs a task of its own (see INSTRUCTIONS)
            task.append(_request(session, fault, rng))
            if fault is Fault.CONNECT_TIMEOUT:
                break
        planned += len(task)
        yield task


def _request(session: str, fault: Fault, rng: random.Random) -> Request:
    level = "trivial" if fault is Fault.CONNECT_TIMEOUT else rng.choice(list(PROMPTS))
    prompt = f"{rng.choice(PROMPTS[level])} {marker(fault, uuid.uuid4().hex)}"
    items: list[dict[str, Any]] = []
    if fault is not Fault.CONNECT_TIMEOUT:
        items.append({"type": "message", "role": "developer", "content": INSTRUCTIONS})
    items.append({"type": "message", "role": "user", "content": prompt})
    body = {"model": AUTO, "stream": True, "input": items, "prompt_cache_key": session}
    metadata = {"session_id": session, "turn_id": str(uuid.uuid4()), "request_kind": "turn"}
    headers = {"session-id": session, "x-codex-turn-metadata": json.dumps(metadata)}
    return Request(fault, body, headers)


async def send(client: httpx.AsyncClient, url: str, request: Request, deadline: float) -> Outcome:
    started = time.perf_counter()
    result = Outcome(request.fault, "lost", 0.0)
    try:
        async with asyncio.timeout(deadline):
            await _exchange(client, url, request, result)
    except TimeoutError:
        result.outcome = "hung"
    except httpx.HTTPError:
        result.outcome = "lost"
    result.latency = time.perf_counter() - started
    return result


async def _exchange(client: httpx.AsyncClient, url: str, request: Request, result: Outcome) -> None:
    async with client.stream("POST", url, json=request.body, headers=request.headers) as response:
        result.status = response.status_code
        result.model = response.headers.get("x-autorouter-model")
        result.reason = response.headers.get("x-autorouter-reason")
        if response.status_code != 200:
            raw = await response.aread()
            result.code = _error_code(raw)
            result.outcome = "http_error" if result.code else "untyped_error"
            return
        events: list[dict[str, Any]] = []
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                try:
                    events.append(json.loads(line[6:]))
                except ValueError:
                    result.outcome = "malformed"
                    return
    result.outcome, result.code = judge(events)


def judge(events: list[dict[str, Any]]) -> tuple[str, str | None]:
    """The outcome of a finished stream: its terminal event, or why it has no valid one."""
    terminals = [e for e in events if e.get("type") in TERMINAL]
    if not terminals:
        return "lost", None
    numbers = [e.get("sequence_number") for e in events]
    in_order = numbers == list(range(len(events)))
    if len(terminals) != 1 or events[-1] is not terminals[0] or not in_order:
        return "malformed", None
    last = terminals[0]
    error = (last.get("response") or {}).get("error") or {}
    return last["type"].removeprefix("response."), error.get("code")


def _error_code(raw: bytes) -> str | None:
    try:
        error = json.loads(raw).get("error")
    except (ValueError, AttributeError):
        return None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


async def run_load(
    base_url: str,
    count: int,
    concurrency: int,
    plan: FaultPlan,
    *,
    seed: int,
    deadline: float,
) -> list[Outcome]:
    """`count` requests from `concurrency` workers, each working through whole tasks."""
    rng = random.Random(seed)
    pending = tasks(count, plan, rng)
    outcomes: list[Outcome] = []
    url = f"{base_url}/responses"
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(trust_env=False, timeout=deadline, limits=limits) as client:

        async def worker() -> None:
            for task in pending:
                for request in task:
                    outcomes.append(await send(client, url, request, deadline))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return outcomes
