"""`autorouter smoke`: a short live request per model through the running proxy.

Each probe is one non-streaming `POST /v1/responses` (the same endpoint Codex uses, so
the adapters and the route are exercised) asking for the least a model can do: say a
word, call a tool, look at a 1x1 picture. Errors are reported by their code and the
proxy's message, which never carries a key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from router.settings import Settings

RED_PIXEL_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)
TIMEOUT_SECONDS = 120.0


@dataclass
class Outcome:
    ok: bool | None
    """None: not applicable (an image probe on a text-only model)."""
    detail: str


Probe = Callable[[httpx.Client, str], Outcome]


def _user(content: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": "message", "role": "user", "content": content}]


def _post(client: httpx.Client, body: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    try:
        response = client.post("/responses", json={**body, "stream": False, "store": False})
    except httpx.HTTPError as exc:
        return None, f"no answer from the proxy ({type(exc).__name__})"
    try:
        data = response.json()
    except ValueError:
        return None, f"HTTP {response.status_code}, not JSON"
    if response.status_code != 200:
        error = data.get("error") if isinstance(data, dict) else None
        message = error.get("message", "") if isinstance(error, dict) else ""
        return None, f"HTTP {response.status_code}: {message[:160]}"
    return data, ""


def _text_of(data: dict[str, Any]) -> str:
    return "".join(
        part.get("text", "")
        for item in data.get("output", [])
        if item.get("type") == "message"
        for part in item.get("content", [])
        if isinstance(part, dict)
    )


def probe_text(client: httpx.Client, slug: str) -> Outcome:
    data, error = _post(
        client,
        {
            "model": slug,
            "input": _user([{"type": "input_text", "text": "Reply with the single word: pong"}]),
        },
    )
    if data is None:
        return Outcome(False, error)
    text = _text_of(data).strip()
    return Outcome(bool(text), repr(text[:40]) if text else "empty reply")


def probe_tool(client: httpx.Client, slug: str) -> Outcome:
    tool = {
        "type": "function",
        "name": "get_time",
        "description": "Current time in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    }
    data, error = _post(
        client,
        {
            "model": slug,
            "input": _user([{"type": "input_text", "text": "Use get_time for Paris."}]),
            "tools": [tool],
            "tool_choice": "auto",
        },
    )
    if data is None:
        return Outcome(False, error)
    calls = [item for item in data.get("output", []) if item.get("type") == "function_call"]
    if calls:
        return Outcome(True, f"called {calls[0].get('name')}")
    return Outcome(False, "answered without calling the tool")


def probe_image(client: httpx.Client, slug: str) -> Outcome:
    data, error = _post(
        client,
        {
            "model": slug,
            "input": _user(
                [
                    {"type": "input_text", "text": "What colour is this pixel? One word."},
                    {
                        "type": "input_image",
                        "image_url": f"data:image/png;base64,{RED_PIXEL_PNG}",
                        "detail": "low",
                    },
                ]
            ),
        },
    )
    if data is None:
        return Outcome(False, error)
    text = _text_of(data).strip()
    return Outcome(bool(text), repr(text[:40]) if text else "empty reply")


def run_smoke(
    settings: Settings, base_url: str, slugs: list[str], matrix: bool
) -> list[tuple[str, dict[str, Outcome]]]:
    """Probe each slug; `matrix` adds the tool and image probes to the text one."""
    probes: dict[str, Probe] = {"text": probe_text}
    if matrix:
        probes |= {"tool": probe_tool, "image": probe_image}
    rows = []
    with httpx.Client(base_url=base_url, timeout=TIMEOUT_SECONDS, trust_env=False) as client:
        for slug in slugs:
            model = settings.model(slug)
            results: dict[str, Outcome] = {}
            for name, probe in probes.items():
                if name == "image" and model is not None and not model.supports_images:
                    results[name] = Outcome(None, "text-only model")
                else:
                    results[name] = probe(client, slug)
            rows.append((slug, results))
    return rows


def format_table(rows: list[tuple[str, dict[str, Outcome]]]) -> str:
    if not rows:
        return "no models to test"
    columns = list(rows[0][1])
    width = max(len(slug) for slug, _ in rows)
    mark = {True: "yes", False: "NO", None: "n/a"}
    lines = [f"{'model':<{width}}  " + "  ".join(f"{c:<5}" for c in columns) + "  details"]
    for slug, results in rows:
        cells = "  ".join(f"{mark[results[c].ok]:<5}" for c in columns)
        details = "; ".join(f"{c}: {results[c].detail}" for c in columns)
        lines.append(f"{slug:<{width}}  {cells}  {details}")
    return "\n".join(lines)


def all_passed(rows: list[tuple[str, dict[str, Outcome]]]) -> bool:
    return all(outcome.ok is not False for _, results in rows for outcome in results.values())
