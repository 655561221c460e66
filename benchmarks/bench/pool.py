"""Trials on parallel workers: each has its own proxies (one per profile) and runs one
Codex session at a time, so a routing log's new records are that session's."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Mapping, Sequence

from benchmarks.bench.trials import Trial, TrialContext, TrialJob, run_trial
from benchmarks.harness.proxy import ProxyHandle


async def run_pool(
    ctx: TrialContext,
    jobs: Sequence[TrialJob],
    proxies: Sequence[Mapping[str, ProxyHandle]],
    on_trial: Callable[[Trial], None],
) -> None:
    queue: asyncio.Queue[TrialJob] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    started = time.monotonic()
    done = 0

    async def worker(mine: Mapping[str, ProxyHandle]) -> None:
        nonlocal done
        while not queue.empty():
            job = queue.get_nowait()
            trial = await run_trial(ctx, mine[job.profile], job)
            on_trial(trial)
            done += 1
            marks = "".join("P" if a.passed else "F" for a in trial.attempts)
            print(
                f"[{done}/{len(jobs)} {time.monotonic() - started:.0f}s] {job.label}: {marks}",
                file=sys.stderr,
            )

    async with asyncio.TaskGroup() as group:
        for mine in proxies:
            group.create_task(worker(mine))
