"""Running the plan: task x route x repeat, each in a fresh copy of its repository.

Workers run in parallel, each with its own proxy and routing log, one Codex session at
a time (see `records`). A result line is written the moment its run is judged, so an
interrupted benchmark keeps every finished run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness.codex_runner import CodexOutcome, CodexUsage, run_codex
from benchmarks.harness.oracle import judge
from benchmarks.harness.proxy import ProxyHandle
from benchmarks.harness.records import LogCursor, RunUsage, classifier_rate, summarize
from benchmarks.harness.results import RoutePrice, RunResult, UsageCheck, append_result
from benchmarks.harness.tasks import Task
from benchmarks.sim.world import HiddenWorld
from router.settings import Settings


@dataclass(frozen=True)
class Job:
    task: Task
    route: str
    repeat: int

    @property
    def label(self) -> str:
        return f"{self.task.name}.{self.route}.r{self.repeat}"


def plan_jobs(
    tasks: list[Task], routes: list[str], repeat: int, done: Iterable[tuple[str, str, int]] = ()
) -> list[Job]:
    """Repeat-major, then task, then route: an interrupted run leaves every route with
    about the same tasks, so what finished can still be compared."""
    skip = set(done)
    return [
        Job(task, route, k)
        for k in range(repeat)
        for task in tasks
        for route in routes
        if (task.name, route, k) not in skip
    ]


@dataclass
class BenchContext:
    codex_bin: Path
    catalog: Path
    settings: Settings
    workdir: Path
    results_path: Path
    events_dir: Path
    world: HiddenWorld | None = None
    time_limit: float | None = None

    def route_kind_and_price(self, route: str) -> tuple[str, RoutePrice | None]:
        if route == self.settings.auto_slug:
            return "auto", None
        model = self.settings.model(route)
        if model is None or model.price is None:
            return "model", None
        return "model", RoutePrice(input=model.price.input, output=model.price.output)


def usage_check(proxy: RunUsage, codex: CodexUsage) -> UsageCheck:
    """Whether the proxy's records add up to what Codex says it was billed."""
    if codex.turns == 0:
        return "no_codex_usage"
    same = (
        proxy.input_tokens == codex.input_tokens
        and proxy.cached_tokens == codex.cached_tokens
        and proxy.output_tokens == codex.output_tokens
        and proxy.reasoning_tokens == codex.reasoning_tokens
    )
    return "match" if same else "mismatch"


def build_result(
    ctx: BenchContext,
    job: Job,
    outcome: CodexOutcome,
    usage: RunUsage,
    wall_s: float,
    passed: bool,
    oracle_exit: int,
    oracle_s: float,
    oracle_tail: str,
    events_path: Path | None,
) -> RunResult:
    kind, price = ctx.route_kind_and_price(job.route)
    return RunResult(
        task=job.task.name,
        route=job.route,
        repeat=job.repeat,
        route_kind=kind,  # type: ignore[arg-type]
        route_price=price,
        simulation=ctx.world is not None,
        seed=ctx.world.seed if ctx.world is not None else None,
        passed=passed,
        wall_s=round(wall_s, 3),
        timed_out=outcome.timed_out,
        codex_exit=outcome.returncode,
        codex_errors=outcome.errors[:5],
        session_id=outcome.session_id,
        requests=usage.requests,
        failed_requests=usage.failed_requests,
        input_tokens=usage.input_tokens,
        cached_tokens=usage.cached_tokens,
        output_tokens=usage.output_tokens,
        reasoning_tokens=usage.reasoning_tokens,
        tool_calls=outcome.tool_calls,
        models=usage.models,
        classifier_calls=usage.classifier_calls,
        classifier_tokens=usage.classifier_tokens,
        model_cost_usd=usage.model_cost_usd,
        classifier_cost_usd=usage.classifier_cost_usd,
        cost_usd=round(usage.cost_usd, 8),
        unpriced_requests=usage.unpriced_requests,
        codex_usage={
            "input_tokens": outcome.usage.input_tokens,
            "cached_tokens": outcome.usage.cached_tokens,
            "output_tokens": outcome.usage.output_tokens,
            "reasoning_tokens": outcome.usage.reasoning_tokens,
            "turns": outcome.usage.turns,
        },
        usage_check=usage_check(usage, outcome.usage),
        oracle_exit=oracle_exit,
        oracle_s=oracle_s,
        oracle_tail=oracle_tail,
        events_path=str(events_path) if events_path else None,
    )


async def run_job(ctx: BenchContext, proxy: ProxyHandle, job: Job) -> RunResult:
    """One run: fresh repository, real Codex through `proxy`, then the oracle."""
    run_dir = ctx.workdir / "runs" / job.label
    workspace = job.task.copy_repo(run_dir / "repo")
    if ctx.world is not None:
        ctx.world.register(workspace, job.repeat)
    cursor = LogCursor(proxy.routing_log)
    position = cursor.position()
    started = time.perf_counter()
    outcome = await run_codex(
        ctx.codex_bin,
        base_url=proxy.base_url,
        catalog=ctx.catalog,
        model=job.route,
        prompt=job.task.spec.prompt,
        workspace=workspace,
        codex_home=run_dir / "codex-home",
        time_limit=ctx.time_limit or job.task.spec.time_limit_s,
    )
    wall_s = time.perf_counter() - started
    usage = summarize(
        cursor.read_since(position), outcome.session_id, classifier_rate(ctx.settings)
    )
    ctx.events_dir.mkdir(parents=True, exist_ok=True)
    events_path = ctx.events_dir / f"{job.label}.jsonl"
    events_path.write_text(outcome.stdout)
    verdict = await judge(job.task, workspace, run_dir / "oracle-home")
    return build_result(
        ctx,
        job,
        outcome,
        usage,
        wall_s,
        verdict.passed,
        verdict.exit_code,
        verdict.seconds,
        verdict.output_tail,
        events_path,
    )


async def run_all(
    ctx: BenchContext,
    jobs: list[Job],
    proxies: list[ProxyHandle],
    on_result: Callable[[RunResult], None],
) -> None:
    """Run `jobs` on one worker per proxy; each result is appended as soon as it exists."""
    queue: asyncio.Queue[Job] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)

    async def worker(proxy: ProxyHandle) -> None:
        while not queue.empty():
            job = queue.get_nowait()
            result = await run_job(ctx, proxy, job)
            append_result(ctx.results_path, result)
            on_result(result)

    # A TaskGroup: one worker's failure (or Ctrl-C) stops the others and their children.
    async with asyncio.TaskGroup() as group:
        for proxy in proxies:
            group.create_task(worker(proxy))
