"""A proxy with chat and Anthropic models behind the mock upstream, and Auto over them."""

from __future__ import annotations

import pytest

from examples.mockupstream import MockUpstream, classifier_handler
from tests.proxy import ProxyFactory, RunningProxy, anthropic_model, chat_model

CLAUDE_UPSTREAM_NAME = "claude-upstream-model"
"""The name the Anthropic upstream knows its model by (the slug is `claude`)."""


@pytest.fixture
async def proxy(mock_upstream: MockUpstream, proxy_factory: ProxyFactory) -> RunningProxy:
    mock_upstream.on("mock-classifier", classifier_handler)
    return await proxy_factory(
        {
            "models": [
                chat_model("cheap", mock_upstream.base_url, price={"input": 0.1, "output": 0.4}),
                chat_model("strong", mock_upstream.base_url, price={"input": 5, "output": 20}),
                {
                    **anthropic_model("claude", mock_upstream.anthropic_base_url),
                    "model": CLAUDE_UPSTREAM_NAME,
                },
                chat_model("mock-classifier", mock_upstream.base_url),
            ],
            "router": {
                "classifier": "mock-classifier",
                "default": "cheap",
                "candidates": [
                    {"slug": "cheap", "cost": 0.1, "card": "Cheap and fast. Simple edits."},
                    {
                        "slug": "strong",
                        "cost": 5.0,
                        "card": "Strong reasoning, frontier, hard problems.",
                    },
                ],
            },
        }
    )
