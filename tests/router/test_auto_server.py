"""Auto routing as a client of the proxy sees it: headers, fallbacks, refusals, the log."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from examples.mockupstream import HttpError, MockUpstream, Text, classifier_handler
from tests.proxy import ProxyFactory, RunningProxy, chat_model

PIXEL = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="


@pytest.fixture
async def proxy(mock_upstream: MockUpstream, proxy_factory: ProxyFactory) -> RunningProxy:
    mock_upstream.on("mock-classifier", classifier_handler)
    return await proxy_factory(
        {
            "models": [
                chat_model(
                    "cheap",
                    mock_upstream.base_url,
                    no_image_support=True,
                    price={"input": 0.1, "output": 0.4},
                ),
                chat_model(
                    "mid",
                    mock_upstream.base_url,
                    no_image_support=True,
                    price={"input": 1, "output": 4},
                ),
                chat_model(
                    "strong",
                    mock_upstream.base_url,
                    no_image_support=True,
                    price={"input": 5, "output": 20},
                ),
                chat_model("mock-classifier", mock_upstream.base_url),
            ],
            "router": {
                "classifier": "mock-classifier",
                "default": "mid",
                "cooldown": 60,
                "candidates": [
                    {"slug": "cheap", "cost": 0.1, "card": "Cheap and fast. Simple edits."},
                    {"slug": "mid", "cost": 1.0, "card": "Solid coder for refactors and tests."},
                    {
                        "slug": "strong",
                        "cost": 5.0,
                        "card": "Strong reasoning, frontier, hard problems.",
                    },
                ],
            },
        }
    )


def task_headers() -> dict[str, str]:
    return {
        "session-id": str(uuid.uuid4()),
        "x-codex-turn-metadata": json.dumps({"turn_id": str(uuid.uuid4()), "request_kind": "turn"}),
    }


async def ask(
    proxy: RunningProxy, text: str, headers: dict[str, str], *, image: bool = False
) -> httpx.Response:
    content: list[dict[str, Any]] = [{"type": "input_text", "text": text}]
    if image:
        content.append({"type": "input_image", "image_url": PIXEL})
    body = {
        "model": "codex-auto",
        "stream": True,
        "input": [{"type": "message", "role": "user", "content": content}],
    }
    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        return await http.post(f"{proxy.base_url}/responses", json=body, headers=headers)


async def test_routed_responses_carry_the_chosen_model_and_reason(proxy: RunningProxy) -> None:
    headers = task_headers()
    first = await ask(proxy, "say hi", headers)
    again = await ask(proxy, "say hi", headers)
    assert first.headers["x-autorouter-model"] == "cheap"
    assert first.headers["x-autorouter-reason"] == "scored"
    assert again.headers["x-autorouter-model"] == "cheap"
    assert again.headers["x-autorouter-reason"] == "cache_hit"


async def test_hard_task_escalates_and_the_log_explains_why(proxy: RunningProxy) -> None:
    response = await ask(
        proxy,
        "Redesign the architecture to fix a race condition in the concurrency layer",
        task_headers(),
    )
    assert response.headers["x-autorouter-model"] == "strong"
    [route] = proxy.routing_records("route")
    assert route["chosen"] == "strong"
    assert route["threshold"] == 0.7
    assert route["classifier_ms"] is not None and route["classifier_tokens"]
    scores = {c["slug"]: c["score"] for c in route["candidates"]}
    assert scores["cheap"] < 0.7 <= scores["strong"]
    [request] = [r for r in proxy.routing_records("request") if r["requested"] == "codex-auto"]
    assert request["task"] == route["task"] and request["slug"] == "strong"


async def test_classifier_failure_falls_back_to_the_default(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("mock-classifier", HttpError(500, {"error": {"message": "down"}}))
    response = await ask(proxy, "say hi", task_headers())
    assert response.status_code == 200
    assert response.headers["x-autorouter-model"] == "mid"
    assert response.headers["x-autorouter-reason"] == "classifier_failed"


async def test_model_failing_before_first_byte_hands_over_to_the_next_candidate(
    proxy: RunningProxy, mock_upstream: MockUpstream
) -> None:
    mock_upstream.script("cheap", HttpError(429, {"error": {"message": "busy"}}))
    mock_upstream.script("mid", Text("served by the fallback"))
    response = await ask(proxy, "say hi", task_headers())
    assert response.status_code == 200
    assert response.headers["x-autorouter-model"] == "mid"
    assert response.headers["x-autorouter-reason"] == "fallback"
    assert "served by the fallback" in response.text
    # The failing model cools down: the next new task skips it without trying it.
    cheap_requests = len(mock_upstream.requests_for("cheap"))
    again = await ask(proxy, "say hello", task_headers())
    assert again.headers["x-autorouter-model"] != "cheap"
    assert len(mock_upstream.requests_for("cheap")) == cheap_requests


async def test_image_task_with_no_image_capable_candidate_is_a_clear_400(
    proxy: RunningProxy,
) -> None:
    response = await ask(proxy, "what is in this screenshot?", task_headers(), image=True)
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "image" in message


async def test_models_list_auto_first(proxy: RunningProxy) -> None:
    async with httpx.AsyncClient(trust_env=False) as http:
        models = (await http.get(f"{proxy.base_url}/models")).json()["data"]
    assert models[0]["id"] == "codex-auto"
    assert models[0]["display_name"] == "Auto (smart routing)"


async def test_a_single_eligible_candidate_is_chosen_without_asking_the_classifier(
    mock_upstream: MockUpstream,
    proxy_factory: ProxyFactory,
) -> None:
    mock_upstream.on("mock-classifier", classifier_handler)
    proxy = await proxy_factory(
        {
            "models": [
                chat_model("text-only", mock_upstream.base_url, no_image_support=True),
                chat_model("vision", mock_upstream.base_url),
                chat_model("mock-classifier", mock_upstream.base_url),
            ],
            "router": {
                "classifier": "mock-classifier",
                "candidates": [
                    {"slug": "text-only", "cost": 0.1, "card": "Cheap text model."},
                    {"slug": "vision", "cost": 2.0, "card": "Sees images."},
                ],
            },
        }
    )
    response = await ask(proxy, "what is in this screenshot?", task_headers(), image=True)
    assert response.headers["x-autorouter-model"] == "vision"
    assert response.headers["x-autorouter-reason"] == "only_eligible"
    assert mock_upstream.requests_for("mock-classifier") == []
    assert mock_upstream.requests_for("text-only") == []
