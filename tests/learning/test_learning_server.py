"""Auto through the running proxy learns from outcomes: a task that follows a failed one
in the same thread escalates, feedback reaches the store, calibrated scores decide."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from examples.mockupstream import MockUpstream, classifier_handler
from router.app.picker import PICKER, TOKEN_HEADER
from router.learning import calibration, store
from router.learning.store import Observation
from tests.proxy import ProxyFactory, RunningProxy, chat_model


@pytest.fixture
async def proxy(mock_upstream: MockUpstream, proxy_factory: ProxyFactory) -> RunningProxy:
    mock_upstream.on("mock-classifier", classifier_handler)
    return await proxy_factory(
        {
            "models": [
                chat_model("cheap", mock_upstream.base_url, price={"input": 0.1, "output": 0.4}),
                chat_model("mid", mock_upstream.base_url, price={"input": 1, "output": 4}),
                chat_model("strong", mock_upstream.base_url, price={"input": 5, "output": 20}),
                chat_model("mock-classifier", mock_upstream.base_url),
            ],
            "router": {
                "classifier": "mock-classifier",
                "candidates": [
                    {"slug": "cheap", "cost": 0.1, "card": "Cheap and fast. Simple edits."},
                    {"slug": "mid", "cost": 1.0, "card": "Solid coder for refactors and tests."},
                    {"slug": "strong", "cost": 5.0, "card": "Frontier, hard problems."},
                ],
            },
        }
    )


class Thread:
    """A Codex conversation: one session id, a new turn id per user prompt."""

    def __init__(self) -> None:
        self.session = str(uuid.uuid4())
        self.items: list[dict[str, Any]] = []

    async def ask(self, proxy: RunningProxy, text: str, *history: dict[str, Any]) -> httpx.Response:
        self.items += [*history, _user(text)]
        headers = {
            "session-id": self.session,
            "x-codex-turn-metadata": json.dumps(
                {"turn_id": str(uuid.uuid4()), "request_kind": "turn"}
            ),
        }
        body = {"model": "codex-auto", "stream": True, "input": self.items}
        async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
            response = await http.post(f"{proxy.base_url}/responses", json=body, headers=headers)
        assert response.status_code == 200
        return response


def _user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def _failing_test_run() -> list[dict[str, Any]]:
    return [
        {
            "type": "function_call",
            "name": "exec_command",
            "call_id": "call_1",
            "arguments": json.dumps({"cmd": "pytest -q"}),
        },
        {
            "type": "function_call_output",
            "call_id": "call_1",
            "output": "Chunk ID: 1\nProcess exited with code 1\nOutput:\n1 failed",
        },
    ]


def served(response: httpx.Response) -> tuple[str, str]:
    return response.headers["x-autorouter-model"], response.headers["x-autorouter-reason"]


async def feedback(proxy: RunningProxy, verdict: str, **extra: Any) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        return await http.post(
            f"{proxy.origin}/api/feedback", json={"task": None, "verdict": verdict, **extra}
        )


async def test_a_prompt_after_bad_feedback_escalates_one_price_step(proxy: RunningProxy) -> None:
    thread = Thread()
    assert served(await thread.ask(proxy, "fix the typo in the greeting")) == ("cheap", "scored")
    answer = await feedback(proxy, "bad")
    assert answer.status_code == 200 and answer.json()["model"] == "cheap"
    assert served(await thread.ask(proxy, "please look at it once more")) == ("mid", "escalated")
    route = proxy.routing_records("route")[-1]
    assert route["escalated_from"] == "cheap" and route["reason"] == "escalated"


async def test_a_follow_up_after_a_success_is_classified_as_usual(proxy: RunningProxy) -> None:
    thread = Thread()
    await thread.ask(proxy, "fix the typo in the greeting")
    assert (await feedback(proxy, "good")).status_code == 200
    assert served(await thread.ask(proxy, "now rename a variable")) == ("cheap", "scored")


async def test_a_correction_or_a_failing_test_run_escalates_without_feedback(
    proxy: RunningProxy,
) -> None:
    corrected = Thread()
    await corrected.ask(proxy, "fix the typo in the greeting")
    assert served(await corrected.ask(proxy, "That still fails, have a look"))[1] == "escalated"
    tested = Thread()
    await tested.ask(proxy, "rename a variable")
    assert served(await tested.ask(proxy, "and the docs", *_failing_test_run())) == (
        "mid",
        "escalated",
    )


async def test_outcomes_land_in_the_store_without_prompt_text(proxy: RunningProxy) -> None:
    thread = Thread()
    await thread.ask(proxy, "fix the typo in the greeting")
    await thread.ask(proxy, "That still fails, have a look")
    await proxy.runner.cleanup()  # flushes the writer
    path = proxy.routing_log.parent / store.FILE_NAME
    with store.connected(path) as connection:
        rows = connection.execute(
            "SELECT chosen, outcome, outcome_source, prompt_chars, requests FROM tasks"
            " ORDER BY decided_at"
        ).fetchall()
        scores = connection.execute("SELECT slug, raw FROM scores").fetchall()
    assert rows[0] == ("cheap", "fail", "implicit", len("fix the typo in the greeting"), 1)
    assert rows[1][0] == "mid" and rows[1][1] is None
    assert {slug for slug, _ in scores} == {"cheap", "mid", "strong"}
    assert b"typo" not in path.read_bytes()


async def test_feedback_for_an_unknown_task_is_a_clear_error(proxy: RunningProxy) -> None:
    await Thread().ask(proxy, "fix the typo in the greeting")
    response = await feedback(proxy, "bad", task="codex:nothing-like-it")
    assert response.status_code == 404
    assert "no Auto task" in response.json()["error"]["message"]
    assert (await feedback(proxy, "meh")).status_code == 400


async def test_a_browser_needs_the_page_token_to_give_feedback(proxy: RunningProxy) -> None:
    await Thread().ask(proxy, "fix the typo in the greeting")
    origin = {"Origin": proxy.origin}
    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        refused = await http.post(
            f"{proxy.origin}/api/feedback", json={"verdict": "bad"}, headers=origin
        )
        token = {TOKEN_HEADER: proxy.app[PICKER].token}
        accepted = await http.post(
            f"{proxy.origin}/api/feedback", json={"verdict": "bad"}, headers={**origin, **token}
        )
        board = await http.get(f"{proxy.origin}/api/dashboard", headers=token)
    assert refused.status_code == 403 and accepted.status_code == 200
    assert board.json()["tasks"][0]["outcome"] == "fail" and board.json()["feedback"] is True


async def test_calibrated_scores_decide_and_both_are_logged(proxy: RunningProxy) -> None:
    # The judge gives the cheap model 0.85 on easy prompts; it has failed most of them.
    fitted = calibration.fit([Observation("cheap", 0.85, i % 4 == 0, 1.0) for i in range(200)])
    calibration.save(fitted, proxy.routing_log.parent / calibration.FILE_NAME)
    assert served(await Thread().ask(proxy, "fix the typo in the greeting"))[0] == "mid"
    route = proxy.routing_records("route")[-1]
    cheap = next(c for c in route["candidates"] if c["slug"] == "cheap")
    assert cheap["raw_score"] == 0.85 and cheap["score"] < 0.7
    assert route["calibration"] == 1
