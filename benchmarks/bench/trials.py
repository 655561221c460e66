"""One trial: a task, a route and a repeat, with up to two attempts in one Codex thread.

Attempt 1 is `codex exec` with the task's prompt. When the oracle fails it, the simulated
user answers in the same thread (`codex exec resume <session>`) with the prompt again and
the failing test output, and the route gets attempt 2. The oracle judges a copy of the
workspace after each attempt (the hidden tests never land in the agent's tree), and for
an Auto route its verdict goes into the proxy's outcome store as an `oracle` outcome of
the task the router decided, before the follow-up, as a test suite in CI would report it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from benchmarks.harness.codex_runner import run_codex
from benchmarks.harness.oracle import judge_copy
from benchmarks.harness.proxy import ProxyHandle
from benchmarks.harness.records import LogCursor, summarize
from benchmarks.harness.runner import usage_check
from benchmarks.harness.tasks import Task
from benchmarks.sim.world import HiddenWorld

FOLLOW_UP = (
    "{prompt}\n\nThat did not work: the tests still fail.\n\n```\n{tail}\n```\n\nPlease fix it."
)
TAIL_CHARS = 400


class Attempt(BaseModel):
    passed: bool
    cost_usd: float
    models: list[str] = Field(default_factory=list)
    task_key: str | None = None
    """The Auto task the router decided for this attempt (None for a concrete model)."""
    chosen: str | None = None
    reason: str | None = None
    calibration: int | None = None
    wall_s: float = 0.0
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    usage_check: str = "no_codex_usage"
    codex_exit: int = 0
    timed_out: bool = False
    oracle_exit: int = 0
    recorded: bool = False
    """Whether the oracle's verdict reached the proxy's outcome store."""


class Trial(BaseModel):
    task: str
    route: str
    repeat: int
    fold: int
    attempts: list[Attempt]

    @property
    def instance(self) -> tuple[str, int]:
        return (self.task, self.repeat)

    @property
    def pass_at_1(self) -> bool:
        return bool(self.attempts) and self.attempts[0].passed

    @property
    def pass_at_2(self) -> bool:
        return any(attempt.passed for attempt in self.attempts[:2])

    @property
    def cost_usd(self) -> float:
        return sum(attempt.cost_usd for attempt in self.attempts)


@dataclass(frozen=True)
class TrialJob:
    task: Task
    route: str
    """A bench route name: a model slug, or one of the Auto routes."""
    slug: str
    """What Codex asks the proxy for: the model's slug, or the Auto slug."""
    profile: str
    """Which of the worker's proxies serves it (see plan.py)."""
    repeat: int
    fold: int

    @property
    def label(self) -> str:
        return f"{self.task.name}.{self.route}.r{self.repeat}"


@dataclass
class TrialContext:
    codex_bin: Path
    catalog: Path
    workdir: Path
    world: HiddenWorld
    classifier_usd_per_token: float | None
    time_limit: float | None = None


def follow_up(task: Task, oracle_tail: str) -> str:
    tail = oracle_tail.strip()[-TAIL_CHARS:] or "(no output)"
    return FOLLOW_UP.format(prompt=task.spec.prompt.strip(), tail=tail)


def decision(records: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The attempt's fresh Auto decision (its first `route` record that was not a cache hit)."""
    routes = [r for r in records if r.get("event") == "route"]
    fresh = [r for r in routes if not r.get("cache_hit")]
    return (fresh or routes or [None])[0]


async def record_verdict(proxy: ProxyHandle, task_key: str, passed: bool, detail: str) -> bool:
    learning = proxy.learning
    if learning is None:
        return False
    await learning.feedback(task_key, "pass" if passed else "fail", "oracle", detail)
    return True


async def run_trial(ctx: TrialContext, proxy: ProxyHandle, job: TrialJob) -> Trial:
    run_dir = ctx.workdir / "runs" / job.label
    workspace = job.task.copy_repo(run_dir / "repo")
    ctx.world.register(workspace, job.repeat)
    home = run_dir / "codex-home"
    prompt, session = job.task.spec.prompt, None
    attempts: list[Attempt] = []
    for number in (1, 2):
        cursor = LogCursor(proxy.routing_log)
        position = cursor.position()
        started = time.perf_counter()
        outcome = await run_codex(
            ctx.codex_bin,
            base_url=proxy.base_url,
            catalog=ctx.catalog,
            model=job.slug,
            prompt=prompt,
            workspace=workspace,
            codex_home=home,
            time_limit=ctx.time_limit or job.task.spec.time_limit_s,
            resume=session,
        )
        wall_s = time.perf_counter() - started
        session = session or outcome.session_id
        records = cursor.read_since(position)
        usage = summarize(records, session, ctx.classifier_usd_per_token)
        verdict = await judge_copy(job.task, workspace, run_dir / f"oracle-{number}")
        decided = decision(records)
        task_key = str(decided["task"]) if decided and decided.get("task") else None
        recorded = False
        if task_key is not None:
            detail = f"bench oracle, attempt {number}: exit {verdict.exit_code}"
            recorded = await record_verdict(proxy, task_key, verdict.passed, detail)
        attempts.append(
            Attempt(
                passed=verdict.passed,
                cost_usd=round(usage.cost_usd, 8),
                models=usage.models,
                task_key=task_key,
                chosen=str(decided["chosen"]) if decided else None,
                reason=decided.get("reason") if decided else None,
                calibration=decided.get("calibration") if decided else None,
                wall_s=round(wall_s, 3),
                requests=usage.requests,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                usage_check=usage_check(usage, outcome.usage),
                codex_exit=outcome.returncode,
                timed_out=outcome.timed_out,
                oracle_exit=verdict.exit_code,
                recorded=recorded,
            )
        )
        if verdict.passed or session is None:
            break
        prompt = follow_up(job.task, verdict.output_tail)
    return Trial(
        task=job.task.name, route=job.route, repeat=job.repeat, fold=job.fold, attempts=attempts
    )


def append_trial(path: Path, trial: Trial) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(trial.model_dump_json() + "\n")


def read_trials(path: Path) -> list[Trial]:
    return [
        Trial.model_validate_json(line)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
