"""Asking a cheap model how likely each candidate is to solve a task on the first try.

The classifier sees the task (the latest user message, trimmed, plus a note of the
conversation's size and images) and each eligible candidate's card under a neutral
label. It never sees a slug, a cost, a rank or anything derived from them: the labels
follow the cards' alphabetical order, not the configuration order, because people tend
to list models cheapest first and a classifier's bias towards the first or last option
would then lean on price.

Its answer is parsed leniently, because the Anthropic adapter ignores the requested JSON
format: code fences and prose around the JSON are fine, as are `{"scores": {...}}`,
a bare `{"A": 0.9}` or a list of `{"label", "score"}` objects, numbers as strings, and
values outside 0..1 (clamped). Unknown labels are ignored. A label without a score gets
none, and the policy treats it as not clearing the threshold (the classifier did not
vouch for it). An answer with no usable score at all is a `ClassifierError`.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from adapters.base import UpstreamError
from router.routing.auto import tokens
from router.routing.task import latest_user_text

_log = structlog.get_logger(__name__)

CallModel = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
"""Send a non-streaming Responses request to the model `slug`; return the response."""

_MAX_OUTPUT_TOKENS = 1024
"""Room for the scores, and for a reasoning classifier's thinking before them."""

_INSTRUCTIONS = """\
You predict how well AI coding assistants will handle a task.
You get a task and a list of assistants, each described by a short card under a label.
For each label, estimate the probability (from 0.0 to 1.0) that this assistant would \
solve the task correctly on its first try, judging only by the task and the card.
Simple tasks can be solved by most assistants; hard ones only by the strongest.
Reply with JSON only, in this form: {"scores": {"A": 0.0, "B": 0.0}}, with one entry \
for every label."""

_IMAGE_TYPES = frozenset({"input_image", "image_url", "image"})
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)


class ClassifierError(Exception):
    """The classifier gave no usable answer; the message is safe to log."""

    def __init__(
        self, message: str, *, elapsed_ms: float | None = None, tokens: int | None = None
    ) -> None:
        super().__init__(message)
        self.elapsed_ms = elapsed_ms
        self.tokens = tokens


@dataclass(frozen=True, slots=True)
class CardedCandidate:
    slug: str
    card: str


@dataclass(frozen=True, slots=True)
class ClassifierResult:
    scores: Mapping[str, float]
    """Score per slug; a slug the classifier did not score is absent."""
    elapsed_ms: float
    tokens: int | None


def assign_labels(candidates: Sequence[CardedCandidate]) -> dict[str, CardedCandidate]:
    """Neutral labels A, B, ... in the cards' alphabetical order (ties: configuration order)."""
    ordered = sorted(enumerate(candidates), key=lambda pc: (pc[1].card.casefold(), pc[0]))
    return {_label(index): candidate for index, (_, candidate) in enumerate(ordered)}


def describe_task(body: Mapping[str, Any], prompt_tokens: int) -> str:
    """The task as the classifier sees it: the user's latest ask and the conversation's size."""
    text = tokens.truncate(latest_user_text(body), prompt_tokens) or "(no text)"
    messages = tool_calls = images = 0
    items = body.get("input")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        kind = item.get("type", "message")
        if kind == "message" and item.get("role") in ("user", "assistant"):
            messages += 1
        elif kind in ("function_call", "custom_tool_call", "local_shell_call"):
            tool_calls += 1
        for key in ("content", "output"):
            parts = item.get(key)
            if isinstance(parts, list):
                images += sum(
                    1 for p in parts if isinstance(p, Mapping) and p.get("type") in _IMAGE_TYPES
                )
    note = f"The conversation so far has {messages} messages and {tool_calls} tool calls"
    if images:
        note += f"; the task includes {images} image{'s' if images > 1 else ''}"
    return f"{text}\n\n({note}.)"


def build_request(
    classifier_slug: str, task: str, labelled: Mapping[str, CardedCandidate]
) -> dict[str, Any]:
    """The Responses request for the classifier: task and cards, nothing else."""
    cards = "\n".join(f"{label}: {c.card}" for label, c in labelled.items())
    prompt = f"Task:\n<<<\n{task}\n>>>\n\nAssistants:\n{cards}"
    labels = list(labelled)
    schema = {
        "type": "object",
        "properties": {
            "scores": {
                "type": "object",
                "properties": {label: {"type": "number"} for label in labels},
                "required": labels,
                "additionalProperties": False,
            }
        },
        "required": ["scores"],
        "additionalProperties": False,
    }
    return {
        "model": classifier_slug,
        "input": [
            _message("developer", _INSTRUCTIONS),
            _message("user", prompt),
        ],
        "text": {
            "format": {
                "type": "json_schema",
                "name": "candidate_scores",
                "schema": schema,
                "strict": True,
            }
        },
        "max_output_tokens": _MAX_OUTPUT_TOKENS,
        "stream": False,
    }


async def classify(
    call_model: CallModel,
    classifier_slug: str,
    body: Mapping[str, Any],
    candidates: Sequence[CardedCandidate],
    *,
    prompt_tokens: int,
    timeout: float,
    clock: Callable[[], float] = time.perf_counter,
) -> ClassifierResult:
    """Score `candidates` for the task in `body`. Raises `ClassifierError` on any failure."""
    labelled = assign_labels(candidates)
    request = build_request(classifier_slug, describe_task(body, prompt_tokens), labelled)
    started = clock()

    def elapsed() -> float:
        return round((clock() - started) * 1000.0, 1)

    try:
        response = await asyncio.wait_for(call_model(classifier_slug, request), timeout)
    except TimeoutError:
        raise ClassifierError(f"timed out after {timeout:g}s", elapsed_ms=elapsed()) from None
    except UpstreamError as exc:
        raise ClassifierError(
            f"upstream error {exc.status} {exc.code}", elapsed_ms=elapsed()
        ) from None
    except Exception as exc:
        # Anything else (a missing key variable, a transport bug) must not fail the
        # user's request either. Only the type is kept: messages may quote config.
        raise ClassifierError(
            f"classifier call failed ({type(exc).__name__})", elapsed_ms=elapsed()
        ) from None
    used = usage_tokens(response)
    try:
        by_label = parse_scores(response_text(response), labelled.keys())
    except ClassifierError as exc:
        raise ClassifierError(str(exc), elapsed_ms=elapsed(), tokens=used) from None
    scores = {labelled[label].slug: score for label, score in by_label.items()}
    return ClassifierResult(scores=scores, elapsed_ms=elapsed(), tokens=used)


def response_text(response: Mapping[str, Any]) -> str:
    """The assistant text of a Responses `response` object."""
    texts: list[str] = []
    output = response.get("output")
    for item in output if isinstance(output, list) else []:
        if not isinstance(item, Mapping) or item.get("type") != "message":
            continue
        content = item.get("content")
        for part in content if isinstance(content, list) else []:
            if isinstance(part, Mapping) and isinstance(part.get("text"), str):
                texts.append(part["text"])
    return "".join(texts)


def usage_tokens(response: Mapping[str, Any]) -> int | None:
    usage = response.get("usage")
    if not isinstance(usage, Mapping):
        return None
    counts = [usage.get("input_tokens"), usage.get("output_tokens")]
    numbers = [c for c in counts if isinstance(c, int) and not isinstance(c, bool)]
    return sum(numbers) if numbers else None


def parse_scores(text: str, labels: Collection[str]) -> dict[str, float]:
    """Scores per known label from the classifier's answer. Raises `ClassifierError`."""
    wanted = {label.upper(): label for label in labels}
    for value in _json_values(text):
        scores = _scores_from(value, wanted)
        if scores:
            return scores
    snippet = " ".join(text.split())[:80]
    raise ClassifierError(f"no usable score in the answer: {snippet!r}")


def _json_values(text: str) -> list[Any]:
    """Every JSON object or array found in `text`: whole, inside fences, or among prose."""
    found: list[Any] = []
    candidates = [*_FENCE.findall(text), text]
    decoder = json.JSONDecoder()
    for chunk in candidates:
        chunk = chunk.strip()
        try:
            found.append(json.loads(chunk))
            continue
        except ValueError:
            pass
        for match in re.finditer(r"[\[{]", chunk):
            try:
                value, _ = decoder.raw_decode(chunk, match.start())
            except ValueError:
                continue
            found.append(value)
    return found


def _scores_from(value: Any, wanted: Mapping[str, str]) -> dict[str, float]:
    if isinstance(value, Mapping) and "scores" in value:
        value = value["scores"]
    pairs: list[tuple[Any, Any]] = []
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, list):
        pairs = [
            (entry.get("label"), entry.get("score"))
            for entry in value
            if isinstance(entry, Mapping)
        ]
    scores: dict[str, float] = {}
    for raw_label, raw_score in pairs:
        label = wanted.get(str(raw_label).strip().upper())
        score = _number(raw_score)
        if label is not None and score is not None:
            if not 0.0 <= score <= 1.0:
                _log.warning("classifier_score_clamped", label=label, score=score)
            scores[label] = min(1.0, max(0.0, score))
    return scores


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def _label(index: int) -> str:
    """A, B, ..., Z, AA, AB, ... like spreadsheet columns."""
    label = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        label = chr(ord("A") + rest) + label
    return label


def _message(role: str, text: str) -> dict[str, Any]:
    return {"type": "message", "role": role, "content": [{"type": "input_text", "text": text}]}
