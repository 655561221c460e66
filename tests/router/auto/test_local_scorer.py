"""The local scorer: what it learns from outcome records, what records keep, and that
it needs neither the network nor anything beyond its extra."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from router.learning.outcomes import JsonlOutcomeStore, OutcomeRecord
from router.routing.auto.local import EXTRA_HINT, LocalScorerUnavailable, require_numpy
from router.routing.auto.local.scorer import LocalScorer
from tests.router.auto.local_records import records

SLUGS = ("mini", "mid", "max")


def test_it_learns_which_tasks_the_cheap_model_solves() -> None:
    scorer = LocalScorer.fit(records(SLUGS), min_outcomes=20)
    easy = scorer.scores("fix the typo in the greeting in module 7", SLUGS)
    hard = scorer.scores("find the race condition in the distributed scheduler", SLUGS)
    assert easy["mini"] > 0.8 > 0.2 > hard["mini"]
    assert hard["max"] > 0.9
    assert all(0.0 <= s <= 1.0 for s in (*easy.values(), *hard.values()))


def test_a_candidate_with_too_few_outcomes_gets_no_model() -> None:
    few = records(SLUGS, count=10)
    scorer = LocalScorer.fit(few, min_outcomes=20)
    assert scorer.models == {} and not scorer.knows(list(SLUGS))
    assert scorer.scores("say hi", SLUGS) == {}


def test_a_record_keeps_a_hash_and_the_length_never_the_text(tmp_path: Path) -> None:
    text = "fix the secret-project-zebra login page"
    record = OutcomeRecord.from_text("t1", text, "mini", {"mini": True, "max": True})
    store = JsonlOutcomeStore(tmp_path / "outcomes.jsonl")
    store.append(record)
    raw = store.path.read_text()
    assert "zebra" not in raw and "login" not in raw
    line = json.loads(raw)
    assert line["prompt_chars"] == len(text) and len(line["prompt_sha256"]) == 64
    assert store.path.stat().st_mode & 0o777 == 0o600
    [back] = list(store.records())
    assert back == record and back.feature_hashes() == record.feature_hashes()


def test_unreadable_lines_and_other_feature_versions_are_skipped(tmp_path: Path) -> None:
    store = JsonlOutcomeStore(tmp_path / "outcomes.jsonl")
    good = records(SLUGS, count=30)
    for record in good:
        store.append(record)
    with store.path.open("a") as handle:
        handle.write("not json\n{}\n")
        other = dict(good[0].to_json(), features="v0:AAAA")
        handle.write(json.dumps(other) + "\n")
    loaded = list(store.records())
    assert len(loaded) == 31
    assert LocalScorer.fit(loaded, min_outcomes=20).records == 30


def test_without_numpy_the_message_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "numpy", None)
    with pytest.raises(LocalScorerUnavailable) as caught:
        require_numpy()
    assert EXTRA_HINT in str(caught.value) and "codex-autorouter[local]" in str(caught.value)


def test_loading_fitting_and_scoring_open_no_connection(tmp_path: Path) -> None:
    store = JsonlOutcomeStore(tmp_path / "outcomes.jsonl")
    for record in records(SLUGS, count=60):
        store.append(record)
    # A fresh interpreter, so every import happens with the network cut.
    script = textwrap.dedent(
        f"""
        import socket
        def refuse(*args, **kwargs):
            raise AssertionError("network use: %r" % (args,))
        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.socket.sendto = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        from pathlib import Path
        from router.learning.outcomes import JsonlOutcomeStore
        from router.routing.auto.local.scorer import LocalScorer
        scorer = LocalScorer.fit(
            JsonlOutcomeStore(Path({str(store.path)!r})).records(), min_outcomes=20
        )
        print(sorted(scorer.scores("say hi", ["mini", "mid", "max"])))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['max', 'mid', 'mini']"


def test_fitting_and_scoring_see_the_same_vectors() -> None:
    import numpy as np

    from router.learning import features

    texts = ["say hi", "", "fix the the typo typo", "a " * 300]
    hashes = [features.text_hashes(t) for t in texts]
    rows, index, values = features.vectorize_many(hashes, 1 << 10)
    for n, h in enumerate(hashes):
        one_index, one_values = features.vectorize(h, 1 << 10)
        assert np.array_equal(index[rows == n], one_index)
        assert np.allclose(values[rows == n], one_values)
