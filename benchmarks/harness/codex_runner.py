"""One `codex exec --json` run through the proxy, and what its event stream says.

Each run gets its own CODEX_HOME (no login, no config.toml: the provider setup is passed
as `-c` overrides, the same ones `autorouter` writes for users) and its own workspace.
The agent's environment loses every variable that looks like a credential: the agent
runs shell commands chosen by a model, and the proxy, not Codex, holds the keys.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.harness.processes import run_process
from router.codex_setup.catalog import codex_overrides

DEFAULT_CODEX = Path(__file__).resolve().parents[2] / ".tools" / "node_modules" / ".bin" / "codex"

_SCRUBBED_PREFIXES = ("CODEX_", "OPENAI_", "ANTHROPIC_", "AUTOROUTER_")
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL", re.IGNORECASE)
TOOL_ITEMS = frozenset({"command_execution", "file_change", "mcp_tool_call", "web_search"})


@dataclass
class CodexUsage:
    """Token counts Codex itself reports, summed over its `turn.completed` events."""

    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    turns: int = 0


@dataclass
class CodexOutcome:
    returncode: int
    timed_out: bool
    stdout: str
    stderr: str
    session_id: str | None = None
    usage: CodexUsage = field(default_factory=CodexUsage)
    tool_calls: int = 0
    errors: list[str] = field(default_factory=list)


def agent_env(codex_home: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of Codex and the commands it runs: no credentials, our CODEX_HOME,
    and this interpreter's bin folder first, so `python -m pytest` works for the agent."""
    source = os.environ if base is None else base
    env = {
        key: value
        for key, value in source.items()
        if not key.startswith(_SCRUBBED_PREFIXES) and not _SECRET_NAME.search(key)
    }
    env["CODEX_HOME"] = str(codex_home)
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}"
    return env


def codex_argv(
    codex_bin: Path,
    base_url: str,
    catalog: Path,
    model: str,
    prompt: str,
    resume: str | None = None,
) -> list[str]:
    """`codex exec`, or with `resume` (a session id) `codex exec resume`: a follow-up in
    the same thread. `exec` options go before `resume`; `--` ends the options."""
    return [
        str(codex_bin.absolute()),
        "exec",
        "--skip-git-repo-check",
        "--sandbox",
        "workspace-write",
        # A proxy that went away must end the run, not retry forever.
        "--disable",
        "unbounded_connection_retries",
        "--json",
        *codex_overrides(base_url, catalog, model),
        "-c",
        'approval_policy="never"',
        *(["resume", resume] if resume else []),
        "--",
        prompt,
    ]


def parse_events(stdout: str) -> list[dict[str, Any]]:
    """The JSON lines of `--json` output; anything else on stdout is skipped."""
    events: list[dict[str, Any]] = []
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                value = json.loads(line)
                if isinstance(value, dict):
                    events.append(value)
    return events


def read_outcome(returncode: int, timed_out: bool, stdout: str, stderr: str) -> CodexOutcome:
    """Session id, usage, tool calls and errors from the event stream."""
    outcome = CodexOutcome(returncode, timed_out, stdout, stderr)
    for event in parse_events(stdout):
        kind = event.get("type")
        if kind == "thread.started":
            # The root thread's id is the `session-id` header of every request it sends.
            outcome.session_id = outcome.session_id or str(event.get("thread_id") or "") or None
        elif kind == "turn.completed":
            usage = event.get("usage") or {}
            outcome.usage.turns += 1
            outcome.usage.input_tokens += int(usage.get("input_tokens") or 0)
            outcome.usage.cached_tokens += int(usage.get("cached_input_tokens") or 0)
            outcome.usage.output_tokens += int(usage.get("output_tokens") or 0)
            outcome.usage.reasoning_tokens += int(usage.get("reasoning_output_tokens") or 0)
        elif kind == "item.completed":
            item = event.get("item") or {}
            if item.get("type") in TOOL_ITEMS:
                outcome.tool_calls += 1
        elif kind == "error":
            outcome.errors.append(str(event.get("message", ""))[:300])
        elif kind == "turn.failed":
            error = event.get("error")
            message = error.get("message", "") if isinstance(error, dict) else ""
            outcome.errors.append(str(message)[:300])
    return outcome


async def run_codex(
    codex_bin: Path,
    *,
    base_url: str,
    catalog: Path,
    model: str,
    prompt: str,
    workspace: Path,
    codex_home: Path,
    time_limit: float,
    resume: str | None = None,
) -> CodexOutcome:
    """Run Codex once in `workspace`; stopped (SIGTERM, then SIGKILL) at `time_limit`.
    With `resume`, the prompt continues that session (same `codex_home` and workspace)."""
    codex_home.mkdir(parents=True, exist_ok=True)
    finished = await run_process(
        codex_argv(codex_bin, base_url, catalog, model, prompt, resume),
        cwd=workspace,
        env=agent_env(codex_home),
        timeout=time_limit,
    )
    return read_outcome(finished.returncode, finished.timed_out, finished.stdout, finished.stderr)
