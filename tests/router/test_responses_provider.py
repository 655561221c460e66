"""`"provider": "responses"` in the settings: its kind, defaults and adapter."""

from __future__ import annotations

from router.routing.upstreams import Upstreams
from router.settings import parse_settings


async def test_a_responses_model_defaults_to_the_openai_api_and_is_served_by_its_adapter() -> None:
    settings = parse_settings(
        {
            "models": [
                {"model": "gpt-5.5", "provider": "responses", "api_key_env": "OPENAI_API_KEY"},
                {"model": "qwen3", "provider": "openai-responses", "base_url": "http://127.0.0.1:8000/v1"},
                {"model": "gpt-5.4-mini", "provider": "openai"},
            ]
        }
    )  # fmt: skip
    native, local, chat = settings.models
    assert (native.kind, native.base_url) == ("responses", "https://api.openai.com/v1")
    assert (local.kind, local.base_url) == ("responses", "http://127.0.0.1:8000/v1")
    assert chat.kind == "chat"
    upstreams = Upstreams()
    adapter = upstreams.adapter_for(native.target({"OPENAI_API_KEY": "sk-x"}))
    assert type(adapter).__name__ == "ResponsesAdapter" and adapter.kind == "responses"
    await upstreams.aclose()
