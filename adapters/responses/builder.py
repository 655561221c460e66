"""Building a Responses API event stream, one upstream delta at a time.

Every adapter translates its upstream's stream through a `ResponseStreamBuilder`, so the
events Codex sees have one shape whatever the upstream: items opened with
`response.output_item.added`, filled by deltas, and closed by `response.output_item.done`
as soon as they are complete (Codex acts only on `done` items), then exactly one terminal
event whose `response` carries an `id`.

This is the per-event hot path: it works on plain dicts and builds nothing it does not
send.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from adapters import computer
from adapters.base import Event
from adapters.responses.objects import empty_usage, new_id, response_object


class _Item:
    """One output item being streamed."""

    __slots__ = ("content_open", "data", "done", "index", "text_parts")

    def __init__(self, index: int, data: dict[str, Any]) -> None:
        self.index = index
        self.data = data
        self.text_parts: list[str] = []
        self.content_open = False
        self.done = False


class ResponseStreamBuilder:
    """Turns upstream deltas into Responses events and remembers what is open.

    Text and reasoning are exclusive: starting one closes the other, so a reasoning
    summary that precedes the answer is delivered as its own item before the text
    starts. Tool calls are keyed by the caller (the upstream's index or block number)
    and stay open until the caller closes them or the stream ends.
    """

    def __init__(self, model: str, response_id: str | None = None) -> None:
        self.model = model
        self.response_id = response_id or new_id("resp")
        self.created_at = int(time.time())
        self._seq = 0
        self._items: list[_Item] = []
        self._text: _Item | None = None
        self._reasoning: _Item | None = None
        self._tools: dict[Any, _Item] = {}
        self.terminated = False
        self.reasoning_seal: Callable[[str], str] | None = None
        """When set, a closed reasoning summary's text also goes into the item's
        `encrypted_content`, as this function encodes it (for a later replay)."""

    # -- bookkeeping -------------------------------------------------------------

    def _event(self, event: Event) -> Event:
        event["sequence_number"] = self._seq
        self._seq += 1
        return event

    def _open(self, data: dict[str, Any], out: list[Event]) -> _Item:
        item = _Item(len(self._items), data)
        self._items.append(item)
        out.append(
            self._event(
                {
                    "type": "response.output_item.added",
                    "output_index": item.index,
                    "item": dict(data),
                }
            )
        )
        return item

    @property
    def output(self) -> list[dict[str, Any]]:
        """The items closed so far, in output order."""
        return [item.data for item in self._items if item.done]

    @property
    def has_output(self) -> bool:
        return bool(self._items)

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> list[Event]:
        response = response_object(
            self.response_id, self.model, "in_progress", created_at=self.created_at
        )
        return [
            self._event({"type": "response.created", "response": response}),
            self._event({"type": "response.in_progress", "response": dict(response)}),
        ]

    # -- text ---------------------------------------------------------------------

    def text_delta(self, delta: str) -> list[Event]:
        if not delta:
            return []
        item = self._text
        # Every delta but the first is one event with nothing to open or close: no
        # list to grow for them.
        opened: list[Event] | None = None
        if item is None:
            opened = []
            if self._reasoning is not None:
                self._close_reasoning(opened)
            item = self._open_text(opened)
        item.text_parts.append(delta)
        seq = self._seq
        self._seq = seq + 1
        event = {
            "type": "response.output_text.delta",
            "item_id": item.data["id"],
            "output_index": item.index,
            "content_index": 0,
            "delta": delta,
            "logprobs": [],
            "sequence_number": seq,
        }
        if opened is None:
            return [event]
        opened.append(event)
        return opened

    def _open_text(self, out: list[Event]) -> _Item:
        item = self._open(
            {
                "id": new_id("msg"),
                "type": "message",
                "role": "assistant",
                "status": "in_progress",
                "content": [],
            },
            out,
        )
        self._text = item
        out.append(
            self._event(
                {
                    "type": "response.content_part.added",
                    "item_id": item.data["id"],
                    "output_index": item.index,
                    "content_index": 0,
                    "part": {"type": "output_text", "text": "", "annotations": []},
                }
            )
        )
        return item

    def _close_text(self, out: list[Event]) -> None:
        item = self._text
        if item is None:
            return
        self._text = None
        text = "".join(item.text_parts)
        part = {"type": "output_text", "text": text, "annotations": []}
        item_id = item.data["id"]
        out.append(
            self._event(
                {
                    "type": "response.output_text.done",
                    "item_id": item_id,
                    "output_index": item.index,
                    "content_index": 0,
                    "text": text,
                    "logprobs": [],
                }
            )
        )
        out.append(
            self._event(
                {
                    "type": "response.content_part.done",
                    "item_id": item_id,
                    "output_index": item.index,
                    "content_index": 0,
                    "part": part,
                }
            )
        )
        item.data["status"] = "completed"
        item.data["content"] = [part]
        self._finish(item, out)

    # -- reasoning ----------------------------------------------------------------

    def reasoning_delta(self, delta: str) -> list[Event]:
        if not delta:
            return []
        out: list[Event] = []
        item = self._ensure_reasoning(out)
        item.text_parts.append(delta)
        out.append(
            self._event(
                {
                    "type": "response.reasoning_summary_text.delta",
                    "item_id": item.data["id"],
                    "output_index": item.index,
                    "summary_index": 0,
                    "delta": delta,
                }
            )
        )
        return out

    def reasoning_encrypted_content(self, encrypted_content: str) -> list[Event]:
        """Attach opaque replay data to the current reasoning item (opening one if needed)."""
        out: list[Event] = []
        item = self._ensure_reasoning(out, with_summary_part=False)
        item.data["encrypted_content"] = encrypted_content
        return out

    def _ensure_reasoning(self, out: list[Event], with_summary_part: bool = True) -> _Item:
        if self._text is not None:
            self._close_text(out)
        item = self._reasoning
        if item is None:
            item = self._open({"id": new_id("rs"), "type": "reasoning", "summary": []}, out)
            self._reasoning = item
        if with_summary_part and not item.content_open:
            item.content_open = True
            out.append(
                self._event(
                    {
                        "type": "response.reasoning_summary_part.added",
                        "item_id": item.data["id"],
                        "output_index": item.index,
                        "summary_index": 0,
                        "part": {"type": "summary_text", "text": ""},
                    }
                )
            )
        return item

    def close_reasoning(self) -> list[Event]:
        out: list[Event] = []
        self._close_reasoning(out)
        return out

    def _close_reasoning(self, out: list[Event]) -> None:
        item = self._reasoning
        if item is None:
            return
        self._reasoning = None
        if item.content_open:
            text = "".join(item.text_parts)
            part = {"type": "summary_text", "text": text}
            item_id = item.data["id"]
            out.append(
                self._event(
                    {
                        "type": "response.reasoning_summary_text.done",
                        "item_id": item_id,
                        "output_index": item.index,
                        "summary_index": 0,
                        "text": text,
                    }
                )
            )
            out.append(
                self._event(
                    {
                        "type": "response.reasoning_summary_part.done",
                        "item_id": item_id,
                        "output_index": item.index,
                        "summary_index": 0,
                        "part": part,
                    }
                )
            )
            item.data["summary"] = [part]
            if self.reasoning_seal is not None and text:
                item.data["encrypted_content"] = self.reasoning_seal(text)
        self._finish(item, out)

    # -- tool calls -----------------------------------------------------------------

    def start_tool_call(
        self,
        key: Any,
        call_id: str,
        name: str,
        *,
        custom: bool = False,
        namespace: str | None = None,
        computer_use: bool = False,
    ) -> list[Event]:
        """Open a tool call. `custom` calls (apply_patch) stream `input`, others
        `arguments`; a `computer_use` call streams nothing and gets its action on close."""
        out: list[Event] = []
        self._close_text(out)
        self._close_reasoning(out)
        data: dict[str, Any]
        if computer_use:
            data = {
                "id": new_id("cu"),
                "type": "computer_call",
                "status": "in_progress",
                "call_id": call_id,
                "action": {"type": "screenshot"},
                "pending_safety_checks": [],
            }
        elif custom:
            data = {
                "id": new_id("ctc"),
                "type": "custom_tool_call",
                "status": "in_progress",
                "call_id": call_id,
                "name": name,
                "input": "",
            }
        else:
            data = {
                "id": new_id("fc"),
                "type": "function_call",
                "status": "in_progress",
                "call_id": call_id,
                "name": name,
                "arguments": "",
            }
            if namespace:
                data["namespace"] = namespace
        self._tools[key] = self._open(data, out)
        return out

    def has_tool_call(self, key: Any) -> bool:
        return key in self._tools

    def tool_call_delta(self, key: Any, delta: str) -> list[Event]:
        item = self._tools.get(key)
        if item is None or not delta:
            return []
        item.text_parts.append(delta)
        kind = item.data["type"]
        if kind == "computer_call":
            return []  # the Responses API has no delta event for it
        custom = kind == "custom_tool_call"
        return [
            self._event(
                {
                    "type": "response.custom_tool_call_input.delta"
                    if custom
                    else "response.function_call_arguments.delta",
                    "item_id": item.data["id"],
                    "output_index": item.index,
                    "delta": delta,
                }
            )
        ]

    def finish_tool_call(self, key: Any, final_text: str | None = None) -> list[Event]:
        """Close one tool call. `final_text` replaces the streamed arguments or input
        (adapters use it when the upstream's arguments must be rewritten, e.g. the
        apply_patch function's JSON unwrapped into the raw patch)."""
        item = self._tools.pop(key, None)
        if item is None:
            return []
        out: list[Event] = []
        text = final_text if final_text is not None else "".join(item.text_parts)
        item_id = item.data["id"]
        if item.data["type"] == "computer_call":
            del item.data["action"]
            item.data.update(computer.call_fields(text))
        elif item.data["type"] == "custom_tool_call":
            item.data["input"] = text
            out.append(
                self._event(
                    {
                        "type": "response.custom_tool_call_input.done",
                        "item_id": item_id,
                        "output_index": item.index,
                        "input": text,
                    }
                )
            )
        else:
            item.data["arguments"] = text
            out.append(
                self._event(
                    {
                        "type": "response.function_call_arguments.done",
                        "item_id": item_id,
                        "output_index": item.index,
                        "name": item.data["name"],
                        "arguments": text,
                    }
                )
            )
        item.data["status"] = "completed"
        self._finish(item, out)
        return out

    def _finish(self, item: _Item, out: list[Event]) -> None:
        item.done = True
        out.append(
            self._event(
                {"type": "response.output_item.done", "output_index": item.index, "item": item.data}
            )
        )

    def close_all(self) -> list[Event]:
        """Close every open item, in output order."""
        out: list[Event] = []
        self._close_text(out)
        self._close_reasoning(out)
        for key in sorted(self._tools, key=lambda k: self._tools[k].index):
            out.extend(self.finish_tool_call(key))
        return out

    # -- terminal events ------------------------------------------------------------

    def completed(self, usage: dict[str, Any] | None = None) -> list[Event]:
        return self._terminal("response.completed", "completed", usage=usage or empty_usage())

    def incomplete(self, reason: str, usage: dict[str, Any] | None = None) -> list[Event]:
        return self._terminal(
            "response.incomplete",
            "incomplete",
            usage=usage or empty_usage(),
            incomplete_reason=reason,
        )

    def failed(self, code: str, message: str, usage: dict[str, Any] | None = None) -> list[Event]:
        """End the stream with `response.failed`. Items already closed stay closed; open
        ones are abandoned, because Codex would act on a half-streamed tool call."""
        self._text = None
        self._reasoning = None
        self._tools.clear()
        return self._terminal(
            "response.failed", "failed", usage=usage, error={"code": code, "message": message}
        )

    def _terminal(self, event_type: str, status: str, **fields: Any) -> list[Event]:
        if self.terminated:
            return []
        out: list[Event] = []
        if status != "failed":
            out.extend(self.close_all())
        self.terminated = True
        response = response_object(
            self.response_id,
            self.model,
            status,
            created_at=self.created_at,
            output=self.output,
            **fields,
        )
        out.append(self._event({"type": event_type, "response": response}))
        return out
