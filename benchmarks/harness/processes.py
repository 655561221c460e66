"""Child processes that can be stopped cleanly: on a time limit and on Ctrl-C.

Each child gets its own session (process group), so a Ctrl-C in the terminal reaches
only the benchmark, which then stops its children itself: SIGTERM first (Codex's node
wrapper forwards it to the native binary; SIGKILL on the wrapper would orphan it), and
SIGKILL for the whole group after a grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

KILL_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool


async def run_process(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float
) -> Finished:
    """Run `argv` to completion or until `timeout` seconds pass; stdin is closed."""
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    communicate = asyncio.ensure_future(process.communicate())
    timed_out = False
    try:
        stdout, stderr = await asyncio.wait_for(asyncio.shield(communicate), timeout)
    except TimeoutError:
        timed_out = True
        stdout, stderr = await _stop(process, communicate)
    except asyncio.CancelledError:
        # Ctrl-C: stop the child before letting the cancellation through.
        await _stop(process, communicate)
        raise
    return Finished(
        returncode=process.returncode if process.returncode is not None else -1,
        stdout=stdout.decode("utf-8", "replace"),
        stderr=stderr.decode("utf-8", "replace"),
        timed_out=timed_out,
    )


async def _stop(
    process: asyncio.subprocess.Process, communicate: asyncio.Future[tuple[bytes, bytes]]
) -> tuple[bytes, bytes]:
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        return await asyncio.wait_for(asyncio.shield(communicate), KILL_GRACE_SECONDS)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        return await communicate
