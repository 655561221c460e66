"""Running the real Codex CLI (`codex exec --json`) against a loopback provider.

Each run gets its own CODEX_HOME and workspace, passes the whole provider setup as `-c`
overrides (no config.toml, no login), closes stdin, and is stopped on timeout with
SIGTERM first: the node wrapper forwards SIGTERM to the native binary, whereas SIGKILL
on the wrapper would orphan it. Only after a grace period is the whole process group
killed.

The upstream usually runs in the test's own event loop, so the run is async: a blocking
wait would starve the mock that Codex is talking to. The process handling (time limit,
SIGTERM then SIGKILL of the group) is the benchmark harness's `run_process`.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.harness.processes import run_process
from router.codex_setup.catalog import codex_overrides

_SCRUBBED_PREFIXES = ("CODEX_", "OPENAI_")
"""The developer's own Codex/OpenAI settings must not leak into a test run."""


@dataclass
class CodexRun:
    """What one `codex exec --json` run did."""

    returncode: int
    events: list[dict[str, Any]]
    stdout: str
    stderr: str
    workdir: Path
    timed_out: bool = False
    args: list[str] = field(default_factory=list)

    def items(self, item_type: str) -> list[dict[str, Any]]:
        """Completed thread items of one type (`agent_message`, `command_execution`, ...)."""
        return [
            event["item"]
            for event in self.events
            if event.get("type") == "item.completed"
            and isinstance(event.get("item"), dict)
            and event["item"].get("type") == item_type
        ]

    @property
    def final_message(self) -> str | None:
        """The text of the last agent message, if the agent said anything."""
        messages = self.items("agent_message")
        return str(messages[-1].get("text", "")) if messages else None

    @property
    def command_executions(self) -> list[dict[str, Any]]:
        return self.items("command_execution")

    @property
    def errors(self) -> list[str]:
        """Error and turn-failure messages Codex reported, in order."""
        found: list[str] = []
        for event in self.events:
            kind = event.get("type")
            if kind == "error":
                found.append(str(event.get("message", "")))
            elif kind == "turn.failed":
                error = event.get("error")
                found.append(str(error.get("message", "")) if isinstance(error, dict) else "")
        return found

    def describe(self) -> str:
        """A failure message worth reading: exit code, errors and stderr's tail."""
        return (
            f"codex exited {self.returncode} (timed out: {self.timed_out}); "
            f"errors: {self.errors}; stderr tail:\n{self.stderr[-2000:]}"
        )


def provider_args(base_url: str, catalog_path: Path, model: str) -> list[str]:
    """The `-c key=value` arguments that point Codex at `base_url` with our catalog: the
    same setup `autorouter` writes for users, plus exec's no-approval policy."""
    return [*codex_overrides(base_url, catalog_path, model), "-c", 'approval_policy="never"']


def catalog_entry(slug: str, *, image: bool = True) -> dict[str, Any]:
    """A catalog entry with every field Codex 0.169.0 requires, and freeform apply_patch."""
    return {
        "slug": slug,
        "display_name": slug,
        "description": f"{slug} (test catalog)",
        "supported_reasoning_levels": [
            {"effort": "low", "description": "fast"},
            {"effort": "medium", "description": "balanced"},
            {"effort": "high", "description": "deep"},
        ],
        "default_reasoning_level": "medium",
        "shell_type": "shell_command",
        "visibility": "list",
        "supported_in_api": True,
        "priority": 1,
        "support_verbosity": False,
        "truncation_policy": {"mode": "tokens", "limit": 10000},
        "experimental_supported_tools": [],
        "base_instructions": "You are Codex, a coding agent.",
        "apply_patch_tool_type": "freeform",
        "supports_parallel_tool_calls": True,
        "supports_reasoning_summaries": True,
        "context_window": 272000,
        "input_modalities": ["text", "image"] if image else ["text"],
    }


def write_minimal_catalog(path: Path, slugs: list[str], image: bool = True) -> Path:
    """Write a `model_catalog_json` file listing `slugs`; returns `path`."""
    entries = [catalog_entry(slug, image=image) for slug in slugs]
    path.write_text(json.dumps({"models": entries}, indent=1))
    return path


def codex_command(
    codex_bin: Path,
    prompt: str,
    config_args: Sequence[str],
    *,
    extra_args: Sequence[str] = (),
    resume: bool = False,
    images: Sequence[Path] = (),
) -> list[str]:
    """The argv of one run. `exec` options go before `resume`; `--` ends the options so
    neither `-i` (which takes several files) nor a prompt starting with `-` eats it."""
    args = [
        str(codex_bin.absolute()),
        "exec",
        "--skip-git-repo-check",
        "--sandbox",
        "workspace-write",
        "--disable",
        "unbounded_connection_retries",
        "--json",
    ]
    args += list(config_args)
    args += list(extra_args)
    if resume:
        args += ["resume", "--last"]
    for image in images:
        args += ["-i", str(image)]
    args += ["--", prompt]
    return args


def codex_env(codex_home: Path, env: Mapping[str, str] | None) -> dict[str, str]:
    base = {
        key: value for key, value in os.environ.items() if not key.startswith(_SCRUBBED_PREFIXES)
    }
    base["CODEX_HOME"] = str(codex_home)
    base.update(env or {})
    return base


def parse_events(stdout: str) -> list[dict[str, Any]]:
    """The JSON lines of `--json` output; anything else on stdout is skipped."""
    events: list[dict[str, Any]] = []
    for line in stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        with contextlib.suppress(ValueError):
            value = json.loads(line)
            if isinstance(value, dict):
                events.append(value)
    return events


async def run_codex_exec(
    codex_bin: Path,
    base_url: str,
    prompt: str,
    *,
    model: str,
    workdir: Path,
    codex_home: Path,
    catalog_path: Path,
    extra_args: Sequence[str] = (),
    resume: bool = False,
    timeout: float = 120,
    env: Mapping[str, str] | None = None,
    images: Sequence[Path] = (),
) -> CodexRun:
    """Run `codex exec` once in `workdir` against the provider at `base_url`."""
    workdir.mkdir(parents=True, exist_ok=True)
    codex_home.mkdir(parents=True, exist_ok=True)
    args = codex_command(
        codex_bin,
        prompt,
        provider_args(base_url, catalog_path, model),
        extra_args=extra_args,
        resume=resume,
        images=images,
    )
    finished = await run_process(args, cwd=workdir, env=codex_env(codex_home, env), timeout=timeout)
    return CodexRun(
        returncode=finished.returncode,
        events=parse_events(finished.stdout),
        stdout=finished.stdout,
        stderr=finished.stderr,
        workdir=workdir,
        timed_out=finished.timed_out,
        args=args,
    )
