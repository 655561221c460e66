"""The classifier persona: an honest scorer that sees only the visible prompt.

Register it with `mock.on("mock-classifier", classifier_handler)`. It reads the request
the Auto router sends its classifier model (any dialect), finds the task and the candidate
cards (neutral labels such as "A", "B" followed by card text), and answers
`{"scores": {"A": 0.93, ...}}`.

It knows nothing the real classifier model would not: no prices, no slugs, no hidden
hints. Difficulty comes from words and length of the task; a card's strength from the
words in the card. The outcome:

    task      weak card   mid card   strong card
    trivial      0.85       0.90        0.95
    medium       0.50       0.80        0.90
    hard         0.20       0.50        0.85

A task that mentions an image favours cards that mention images and sinks cards that say
they cannot see them.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from examples.mockupstream.replies import Reply, Text

Difficulty = Literal["trivial", "medium", "hard"]
Strength = Literal["weak", "mid", "strong"]

SCORES: dict[Difficulty, dict[Strength, float]] = {
    "trivial": {"weak": 0.85, "mid": 0.9, "strong": 0.95},
    "medium": {"weak": 0.5, "mid": 0.8, "strong": 0.9},
    "hard": {"weak": 0.2, "mid": 0.5, "strong": 0.85},
}

TRIVIAL_WORDS = ("say hi", "hello", "rename", "typo", "print", "what is")
MEDIUM_WORDS = ("refactor", "add a function", "fix the bug", "write tests", "parse")
HARD_WORDS = (
    "architecture",
    "concurrency",
    "race condition",
    "multi-file",
    "migrate",
    "design",
    "distributed",
)
LONG_TASK_CHARS = 1500
SHORT_TASK_CHARS = 120

WEAK_CARD_WORDS = frozenset({"cheap", "fast", "simple", "small", "mini", "lite", "basic"})
STRONG_CARD_WORDS = frozenset(
    {"strong", "reasoning", "frontier", "hard", "complex", "images", "expert", "deep"}
)
NEGATIONS = frozenset({"not", "no", "avoid", "never", "without", "cannot", "can't"})
NEGATION_REACH = 3
"""A strength word this many words after a negation does not count ("not for hard tasks")."""

IMAGE_TASK = re.compile(r"\b(image|screenshot|picture|photo|diagram)s?\b", re.IGNORECASE)
IMAGE_CARD = re.compile(r"\b(images?|vision|multimodal)\b", re.IGNORECASE)
TEXT_ONLY_CARD = re.compile(r"text[- ]only|no images|cannot see images", re.IGNORECASE)

# A card line: `A: ...`, `A) ...`, `A. ...`, `[A] ...`, `"A": ...`, `Model A: ...`, `- A: ...`.
_CARD_LINE = re.compile(
    r"""^\s*(?:[-*]\s*)?(?:
        \[(?P<bracket>[A-Z]{1,2})\]
      | \(?(?P<paren>[A-Z]{1,2})\)
      | "(?P<quoted>[A-Z]{1,2})"\s*:
      | (?i:model|candidate|option|assistant)\s+(?P<named>[A-Z]{1,2})\b\s*[:.\-)]?
      | (?P<plain>[A-Z]{1,2})\s*[:.]
    )\s*(?P<rest>.*)$""",
    re.VERBOSE,
)
_LABEL_GROUPS = ("bracket", "paren", "quoted", "named", "plain")
# An inline JSON map from labels to card text: {"A": "cheap and fast", "B": "..."}.
_JSON_CARD = re.compile(r'"(?P<label>[A-Z]{1,2})"\s*:\s*"(?P<text>(?:[^"\\]|\\.)*)"')
# The router's own format is `Task:\n<<<\n...\n>>>`; greedy, so a `>>>` inside the task
# (a Python prompt, say) does not end it early.
_DELIMITED_TASK = re.compile(
    r"^[ \t]*(?:#+\s*)?task\s*:?\s*<<<\n?(?P<task>.*)\n>>>[ \t]*$|<task>(?P<tagged>.*?)</task>",
    re.IGNORECASE | re.DOTALL | re.MULTILINE,
)
_TASK_HEADER = re.compile(
    r"^\s*(?:#+\s*)?(?:the\s+)?(?:user\s+)?(?:task|request)(?:\s*:\s*(?P<rest>.*)|\s*)$",
    re.IGNORECASE,
)
_SECTION_HEADER = re.compile(
    r"^\s*(?:#+\s+\S|<\w+>|(?:candidates?|models?|cards?|assistants?)\s*:)", re.I
)


def classifier_handler(body: dict[str, Any]) -> Reply:
    """Score every card in the request for the task in it; register per classifier model."""
    task, cards = read_prompt(body)
    difficulty = task_difficulty(task)
    wants_image = bool(IMAGE_TASK.search(task))
    scores = {label: card_score(difficulty, card, wants_image) for label, card in cards.items()}
    return Text(json.dumps({"scores": scores}), chunks=1)


def read_prompt(body: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The task text and the cards by label, from a chat, Anthropic or Responses body."""
    segments = _text_segments(body)
    everything = "\n\n".join(text for _, text in segments)
    task, rest = _delimited_task(everything)
    # With the task fenced off, what remains is instructions and cards, so a lone label
    # line is a one-candidate list (only the image model was eligible, say), not prose.
    least = 1 if task is not None else 2
    if task is None:
        task = _headed_task(rest)
    cards = _line_cards(rest, least) or _json_cards(rest, least)
    if task is None:
        user_text = "\n\n".join(text for role, text in segments if role == "user")
        task = _strip_cards(user_text or everything)
    return task.strip(), cards


def task_difficulty(task: str) -> Difficulty:
    lowered = task.lower()
    if len(task) > LONG_TASK_CHARS or any(w in lowered for w in HARD_WORDS):
        return "hard"
    if any(w in lowered for w in MEDIUM_WORDS):
        return "medium"
    if any(w in lowered for w in TRIVIAL_WORDS) or len(task) <= SHORT_TASK_CHARS:
        return "trivial"
    return "medium"


def card_strength(card: str) -> Strength:
    words = re.findall(r"[a-z']+", card.lower())
    balance = 0
    negated_until = -1
    for index, word in enumerate(words):
        if word in NEGATIONS:
            negated_until = index + NEGATION_REACH
        elif word in WEAK_CARD_WORDS:
            balance -= 1
        elif word in STRONG_CARD_WORDS and index > negated_until:
            balance += 1
    if balance > 0:
        return "strong"
    return "weak" if balance < 0 else "mid"


def card_score(difficulty: Difficulty, card: str, wants_image: bool) -> float:
    score = SCORES[difficulty][card_strength(card)]
    if wants_image:
        if TEXT_ONLY_CARD.search(card):
            return 0.1
        if IMAGE_CARD.search(card):
            score = min(0.99, score + 0.1)
    return score


def _text_segments(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(role, text) for every piece of visible text, in prompt order."""
    segments: list[tuple[str, str]] = []
    for key in ("system", "instructions"):
        segments.extend(("system", text) for text in _strings(body.get(key)))
    for field in ("messages", "input"):
        value = body.get(field)
        if isinstance(value, str):
            segments.append(("user", value))
        elif isinstance(value, list):
            for message in value:
                if isinstance(message, dict):
                    role = str(message.get("role", "user"))
                    segments.extend((role, t) for t in _strings(message.get("content")))
    return segments


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for part in value for t in _strings(part)]
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return [value["text"]]
    return []


def _card_label(line: str) -> tuple[str, str] | None:
    match = _CARD_LINE.match(line)
    if match is None:
        return None
    label = next(match.group(g) for g in _LABEL_GROUPS if match.group(g))
    return label.upper(), match.group("rest")


def _line_cards(text: str, least: int) -> dict[str, str]:
    """Cards written one per label line, continuing until a blank line or the next label."""
    cards: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        labelled = _card_label(line)
        if labelled is not None:
            label, rest = labelled
            current = cards.setdefault(label, [])
            current.append(rest)
        elif current is not None and line.strip() and not _SECTION_HEADER.match(line):
            current.append(line.strip())
        else:
            current = None
    if len(cards) < least:
        return {}
    return {label: " ".join(lines).strip() for label, lines in cards.items()}


def _json_cards(text: str, least: int) -> dict[str, str]:
    cards: dict[str, str] = {}
    for match in _JSON_CARD.finditer(text):
        cards.setdefault(match.group("label").upper(), json.loads(f'"{match.group("text")}"'))
    return cards if len(cards) >= least else {}


def _delimited_task(text: str) -> tuple[str | None, str]:
    """A task fenced by `<<<`/`>>>` or `<task>` tags, and the text without it."""
    match = _DELIMITED_TASK.search(text)
    if match is None:
        return None, text
    task = match.group("task") if match.group("task") is not None else match.group("tagged")
    return task, text[: match.start()] + text[match.end() :]


def _headed_task(text: str) -> str | None:
    """The lines after a `Task:` header, up to the cards or the next section."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        header = _TASK_HEADER.match(line)
        if header is None:
            continue
        body = [header.group("rest") or ""]
        for following in lines[index + 1 :]:
            if _card_label(following) is not None or _SECTION_HEADER.match(following):
                break
            body.append(following)
        return "\n".join(body)
    return None


def _strip_cards(text: str) -> str:
    kept: list[str] = []
    in_card = False
    for line in text.splitlines():
        if _card_label(line) is not None:
            in_card = True
        elif not line.strip():
            in_card = False
        elif not in_card:
            kept.append(line)
    return "\n".join(kept)
