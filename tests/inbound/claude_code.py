"""Running the real Claude Code CLI (`claude -p`) against the proxy, offline.

Each run gets its own HOME and config directory and a workspace, talks only to the given
base URL, and has telemetry, the auto-updater and other non-essential traffic turned off.
Tools are granted with `--allowedTools`: `--dangerously-skip-permissions` and the
`bypassPermissions` mode refuse to run as root, which CI containers often are.

The proxy runs in the test's own event loop, so the run is async: a blocking wait would
starve the server Claude Code is talking to.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO_ROOT

CLAUDE_BIN = REPO_ROOT / ".tools/node_modules/.bin/claude"
KILL_GRACE_SECONDS = 5.0
_SCRUBBED_PREFIXES = ("ANTHROPIC_", "CLAUDE_", "OPENAI_")
"""The developer's own Claude and OpenAI settings must not leak into a test run."""


@dataclass
class ClaudeRun:
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool

    def describe(self) -> str:
        return (
            f"claude exited {self.returncode} (timed out: {self.timed_out}); "
            f"stdout: {self.stdout[-1500:]!r}; stderr: {self.stderr[-1500:]!r}"
        )


def claude_env(base_url: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
    env.update(
        {
            "HOME": str(home),
            "CLAUDE_CONFIG_DIR": str(home / ".claude"),
            "ANTHROPIC_BASE_URL": base_url,
            "ANTHROPIC_API_KEY": "dummy-key-not-secret",
            "DISABLE_TELEMETRY": "1",
            "DISABLE_AUTOUPDATER": "1",
            "DISABLE_ERROR_REPORTING": "1",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )
    return env


async def run_claude(
    prompt: str,
    *,
    base_url: str,
    model: str,
    workdir: Path,
    home: Path,
    allowed_tools: str = "Write,Bash",
    timeout: float = 120.0,
) -> ClaudeRun:
    """`claude -p PROMPT --model MODEL` in `workdir`; stopped (SIGTERM, then the whole
    process group) if it runs longer than `timeout`."""
    home.mkdir(parents=True, exist_ok=True)
    process = await asyncio.create_subprocess_exec(
        str(CLAUDE_BIN),
        "-p",
        prompt,
        "--model",
        model,
        "--allowedTools",
        allowed_tools,
        cwd=workdir,
        env=claude_env(base_url, home),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    timed_out = False
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        timed_out = True
        process.send_signal(signal.SIGTERM)
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(), KILL_GRACE_SECONDS)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = await process.communicate()
    return ClaudeRun(
        returncode=process.returncode if process.returncode is not None else -1,
        stdout=stdout.decode("utf-8", "replace"),
        stderr=stderr.decode("utf-8", "replace"),
        timed_out=timed_out,
    )
