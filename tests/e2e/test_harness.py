"""The real Codex CLI runs a tool round trip against the mock's Responses persona."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from examples.mockupstream import MockUpstream, Stall, Text, ToolCall
from tests.e2e.codex import CodexRun, run_codex_exec, write_minimal_catalog

pytestmark = pytest.mark.e2e

MODEL = "codex-test"


async def test_codex_runs_a_scripted_command_and_reports_its_output(
    mock_upstream: MockUpstream, codex_bin: Path, tmp_path: Path
) -> None:
    mock_upstream.script(
        MODEL, ToolCall("exec_command", {"cmd": "echo hello > out.txt"}), Text("done")
    )
    catalog = write_minimal_catalog(tmp_path / "catalog.json", [MODEL])

    run = await run_codex_exec(
        codex_bin,
        mock_upstream.base_url,
        "create out.txt",
        model=MODEL,
        workdir=tmp_path / "work",
        codex_home=tmp_path / "codex-home",
        catalog_path=catalog,
        timeout=90,
    )

    assert run.returncode == 0, run.describe()
    assert (run.workdir / "out.txt").read_text().strip() == "hello"
    assert run.final_message == "done"
    assert [c["exit_code"] for c in run.command_executions] == [0]
    first, second = mock_upstream.requests_for(MODEL)
    assert first.path == second.path == "/v1/responses"
    call = next(i for i in second.body["input"] if i.get("type") == "function_call")
    output = next(i for i in second.body["input"] if i.get("type") == "function_call_output")
    assert call["name"] == "exec_command"
    assert output["call_id"] == call["call_id"]
    assert "Process exited with code 0" in output["output"]
    assert mock_upstream.streams_completed == 2


async def test_resume_continues_the_same_session_with_a_new_turn(
    mock_upstream: MockUpstream, codex_bin: Path, tmp_path: Path
) -> None:
    catalog = write_minimal_catalog(tmp_path / "catalog.json", [MODEL])
    mock_upstream.script(MODEL, Text("hi"), Text("bye"))

    async def run(prompt: str, resume: bool) -> CodexRun:
        return await run_codex_exec(
            codex_bin,
            mock_upstream.base_url,
            prompt,
            model=MODEL,
            workdir=tmp_path / "work",
            codex_home=tmp_path / "codex-home",
            catalog_path=catalog,
            resume=resume,
            timeout=90,
        )

    first = await run("say hi", resume=False)
    second = await run("now say bye", resume=True)

    assert (first.final_message, second.final_message) == ("hi", "bye"), second.describe()
    turn1, turn2 = mock_upstream.requests_for(MODEL)
    assert turn1.headers["session-id"] == turn2.headers["session-id"]
    assert turn1.body["client_metadata"]["turn_id"] != turn2.body["client_metadata"]["turn_id"]


async def test_a_run_that_hangs_is_terminated_at_the_timeout(
    mock_upstream: MockUpstream, codex_bin: Path, tmp_path: Path
) -> None:
    mock_upstream.script(MODEL, Stall(Text("never finished"), after_events=2, seconds=120))
    catalog = write_minimal_catalog(tmp_path / "catalog.json", [MODEL])

    run = await run_codex_exec(
        codex_bin,
        mock_upstream.base_url,
        "hang",
        model=MODEL,
        workdir=tmp_path / "work",
        codex_home=tmp_path / "codex-home",
        catalog_path=catalog,
        timeout=5,
    )

    assert run.timed_out
    assert run.returncode != 0
    # The native binary went away with the wrapper, so the stalled stream was released.
    for _ in range(100):
        if mock_upstream.disconnects:
            break
        await asyncio.sleep(0.05)
    assert mock_upstream.disconnects == 1
    assert mock_upstream.open_streams == 0
