"""The incoming Responses request, as the server validates it once per request."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ResponsesRequest(BaseModel):
    """The fields of an incoming Responses request the proxy relies on.

    Validated once per request; everything else is kept as sent (`extra="allow"`) and
    the adapters read the raw dict, so a field a newer Codex adds is never lost.
    """

    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1)
    input: str | list[dict[str, Any]]
    stream: bool = False
    tools: list[dict[str, Any]] | None = None
    instructions: str | None = None
