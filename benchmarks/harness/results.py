"""One JSON line per run: what was asked, what it cost, whether the oracle passed."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RouteKind = Literal["auto", "model"]
UsageCheck = Literal["match", "mismatch", "no_codex_usage"]


class RoutePrice(BaseModel):
    """USD per million tokens of a single-model route, from the settings."""

    model_config = ConfigDict(frozen=True)

    input: float
    output: float


class RunResult(BaseModel):
    model_config = ConfigDict(extra="ignore")

    task: str
    route: str
    repeat: int
    route_kind: RouteKind
    route_price: RoutePrice | None = None
    simulation: bool = False
    seed: int | None = None
    passed: bool
    wall_s: float
    timed_out: bool = False
    codex_exit: int = 0
    codex_errors: list[str] = Field(default_factory=list)
    session_id: str | None = None
    requests: int = 0
    failed_requests: int = 0
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    tool_calls: int = 0
    models: list[str] = Field(default_factory=list)
    classifier_calls: int = 0
    classifier_tokens: int = 0
    model_cost_usd: float = 0.0
    classifier_cost_usd: float = 0.0
    cost_usd: float = 0.0
    unpriced_requests: int = 0
    codex_usage: dict[str, int] = Field(default_factory=dict)
    usage_check: UsageCheck = "no_codex_usage"
    oracle_exit: int = 0
    oracle_s: float = 0.0
    oracle_tail: str = ""
    events_path: str | None = None

    @property
    def instance(self) -> tuple[str, int]:
        """The (task, repeat) pair that runs of different routes share."""
        return (self.task, self.repeat)


def append_result(path: Path, result: RunResult) -> None:
    """Append one line and flush it at once, so Ctrl-C keeps every finished run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(result.model_dump_json() + "\n")
        handle.flush()


def read_results(path: Path) -> list[RunResult]:
    return [
        RunResult.model_validate_json(line)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
