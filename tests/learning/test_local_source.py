"""The learning store as the local scorer's records: decisions keep hashed features (not
the text), judged tasks become records, and the scorer learns from them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from router.learning import store
from router.learning.local_source import LearnedOutcomes
from router.learning.outcomes import encode_features
from router.learning.recorder import Learning
from router.routing.auto.local.scorer import LocalScorer
from tests.router.auto.local_records import EASY, HARD

SLUGS = ("mini", "mid", "max")


def fill(path: Path, count: int = 300) -> None:
    with store.connected(path) as connection:
        for n in range(count):
            hard = n % 2 == 1
            text = f"{(HARD if hard else EASY)[n % 3]} in module {n}"
            chosen = SLUGS[(n // 2) % 3]
            store.insert_decision(
                connection,
                {
                    "task": f"t{n}",
                    "chosen": chosen,
                    "reason": "scored",
                    "decided_at": float(n),
                    "features": encode_features(text),
                    "candidates": [],
                },
            )
            passed = chosen == "max" or not hard
            store.set_outcome(connection, f"t{n}", "pass" if passed else "fail", "oracle")
        # A task decided before features were kept, and an unjudged one: both left out.
        store.insert_decision(connection, {"task": "old", "chosen": "mini", "reason": "scored"})
        store.set_outcome(connection, "old", "pass", "user")
        store.insert_decision(
            connection,
            {
                "task": "open",
                "chosen": "mini",
                "reason": "scored",
                "features": encode_features("x"),
            },
        )


def test_judged_tasks_with_features_teach_the_scorer(tmp_path: Path) -> None:
    path = tmp_path / store.FILE_NAME
    fill(path)
    records = list(LearnedOutcomes(path).records())
    assert len(records) == 300 and {r.task for r in records}.isdisjoint({"old", "open"})
    scorer = LocalScorer.fit(records, min_outcomes=20)
    assert scorer.knows(list(SLUGS))
    easy = scorer.scores("fix the typo in the greeting in module 7", SLUGS)
    hard = scorer.scores("find the race condition in the distributed scheduler", SLUGS)
    assert easy["mini"] > hard["mini"] + 0.4
    assert hard["max"] > hard["mini"] + 0.4


def test_a_missing_store_gives_no_records(tmp_path: Path) -> None:
    assert list(LearnedOutcomes(tmp_path / "none.sqlite3").records()) == []


async def test_the_recorder_keeps_features_and_never_the_text(tmp_path: Path) -> None:
    learning = Learning(tmp_path)
    text = "rename the zebra-secret helper"
    learning.decided(
        {"task": "t1", "chosen": "mini", "reason": "scored", "candidates": []}, None, text
    )
    learning.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert b"zebra" not in raw
    connection = sqlite3.connect(learning.store_path)
    [(features,)] = connection.execute("SELECT features FROM features WHERE task = 't1'")
    connection.close()
    assert features == encode_features(text)
