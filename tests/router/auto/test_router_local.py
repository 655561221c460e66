"""The local scorer inside the Auto router: as the classifier, as the fallback when the
classifier model fails, and as the filter in front of it (local_first)."""

from __future__ import annotations

import sys
from typing import Any

from router.learning.outcomes import MemoryOutcomeStore
from router.routing.auto.local.scorer import LocalScorer
from router.routing.auto.local.service import LocalScoring
from router.routing.auto.router import AutoRouter
from tests.router.auto.helpers import (
    FakeClock,
    ScriptedClassifier,
    fresh_key,
    make_settings,
    server_error,
    user_body,
)
from tests.router.auto.local_records import records

SLUGS = ("mini", "mid", "max")
EASY_TEXT = "fix the typo in the greeting in module 3"
HARD_TEXT = "find the race condition in the distributed scheduler in module 9"


def fitted(count: int = 120) -> LocalScoring:
    store = MemoryOutcomeStore(records(SLUGS, count=count))
    scoring = LocalScoring(store, min_outcomes=20)
    scoring.use(LocalScorer.fit(store.records(), min_outcomes=20))
    return scoring


def router(call: ScriptedClassifier, scoring: LocalScoring, **config: Any) -> AutoRouter:
    return AutoRouter(make_settings(**config), call, clock=FakeClock(), local=scoring)


async def test_as_the_classifier_it_picks_cheap_for_easy_and_strong_for_hard() -> None:
    call = ScriptedClassifier({"mini": 0.1})
    auto = router(call, fitted(), classifier="local")
    easy = await auto.decide(fresh_key("t1"), user_body(EASY_TEXT))
    hard = await auto.decide(fresh_key("t2"), user_body(HARD_TEXT))
    assert (easy.chosen, easy.reason, easy.scorer) == ("mini", "scored", "local")
    assert hard.chosen == "max" and hard.scorer == "local"
    assert easy.explained_reason == "scored; scorer=local"
    assert easy.log_fields()["scorer"] == "local"
    assert call.calls == []  # no model API at all


async def test_as_the_classifier_without_enough_outcomes_it_says_so() -> None:
    store = MemoryOutcomeStore(records(SLUGS, count=10))
    scoring = LocalScoring(store, min_outcomes=20)
    auto = router(ScriptedClassifier(), scoring, classifier="local", default="mid")
    first = await auto.decide(fresh_key("t1"), user_body(EASY_TEXT))
    assert (first.chosen, first.reason, first.scorer) == ("mid", "classifier_failed", None)
    assert "still fitting" in (first.classifier_error or "")
    assert await scoring.wait_fitted() is not None  # the fit ran off the request
    second = await auto.decide(fresh_key("t2"), user_body(EASY_TEXT))
    assert "too few outcomes" in (second.classifier_error or "")


async def test_when_the_classifier_fails_it_decides_instead_of_the_default() -> None:
    call = ScriptedClassifier(error=server_error())
    auto = router(call, fitted(), default="mid")
    decision = await auto.decide(fresh_key(), user_body(EASY_TEXT))
    assert (decision.chosen, decision.reason, decision.scorer) == (
        "mini",
        "classifier_failed",
        "local",
    )
    assert decision.classifier_error and len(call.calls) == 1


async def test_when_the_classifier_fails_with_too_few_outcomes_the_default_stays() -> None:
    call = ScriptedClassifier(error=server_error())
    auto = router(call, fitted(count=10), default="mid")
    decision = await auto.decide(fresh_key(), user_body(EASY_TEXT))
    assert (decision.chosen, decision.scorer) == ("mid", None)


async def test_local_first_skips_the_classifier_when_confident() -> None:
    call = ScriptedClassifier({"mini": 0.95, "mid": 0.95, "max": 0.99})
    auto = router(call, fitted(), local_first=True, local_first_confidence=0.8)
    decision = await auto.decide(fresh_key(), user_body(EASY_TEXT))
    assert (decision.chosen, decision.reason, decision.scorer) == ("mini", "local", "local")
    assert decision.explained_reason == "local"
    assert decision.order[0] == "mini" and sorted(decision.order) == sorted(SLUGS)
    assert call.calls == []


async def test_local_first_asks_the_classifier_when_unsure() -> None:
    call = ScriptedClassifier({"mini": 0.2, "mid": 0.5, "max": 0.9})
    auto = router(call, fitted(), local_first=True, local_first_confidence=0.8)
    decision = await auto.decide(fresh_key(), user_body(HARD_TEXT))
    assert (decision.chosen, decision.reason, decision.scorer) == ("max", "scored", "classifier")
    assert len(call.calls) == 1


async def test_settings_accept_local_without_a_classifier_model() -> None:
    settings = make_settings(classifier="local", local_first=True)
    assert settings.router is not None and settings.router.uses_local


async def test_recorded_outcomes_refit_the_scorer_off_the_request() -> None:
    store = MemoryOutcomeStore()
    scoring = LocalScoring(store, min_outcomes=20, refit_every=40)
    for record in records(SLUGS, count=80):
        scoring.record(record)
    fitted_scorer = await scoring.wait_fitted()
    assert fitted_scorer is not None and fitted_scorer.records == 80
    assert fitted_scorer.knows(list(SLUGS))


async def test_without_numpy_the_decision_names_the_extra(monkeypatch: Any) -> None:
    monkeypatch.setitem(sys.modules, "numpy", None)
    scoring = LocalScoring(MemoryOutcomeStore(), min_outcomes=20)
    auto = router(ScriptedClassifier(), scoring, classifier="local", default="mid")
    decision = await auto.decide(fresh_key(), user_body(EASY_TEXT))
    assert (decision.chosen, decision.reason) == ("mid", "classifier_failed")
    assert "pip install 'codex-autorouter[local]'" in (decision.classifier_error or "")


def test_the_store_is_the_learning_store_unless_a_path_is_given(tmp_path: Any) -> None:
    from router.learning.local_source import LearnedOutcomes
    from router.learning.outcomes import JsonlOutcomeStore
    from router.routing.auto.local.service import scoring_for

    learned = tmp_path / "outcomes.sqlite3"
    config = make_settings().router
    assert config is not None
    fallback = scoring_for(config, learned)  # read at each refit, even before it exists
    assert fallback is not None and isinstance(fallback.store, LearnedOutcomes)
    local = make_settings(classifier="local", outcomes_path=str(tmp_path / "o.jsonl")).router
    assert local is not None
    chosen = scoring_for(local, learned)
    assert chosen is not None and isinstance(chosen.store, JsonlOutcomeStore)
    # A JSONL store that does not exist turns the fallback-only scorer off.
    only_fallback = make_settings(outcomes_path=str(tmp_path / "missing.jsonl")).router
    assert only_fallback is not None and scoring_for(only_fallback, learned) is None


async def test_a_refit_with_nothing_new_keeps_the_scorer() -> None:
    store = MemoryOutcomeStore(records(SLUGS, count=60))
    clock = FakeClock()
    scoring = LocalScoring(store, min_outcomes=20, refit_seconds=10, clock=clock)
    scoring.start()
    first = await scoring.wait_fitted()
    clock.advance(11)
    assert scoring.current() is first  # a refit started; it finds nothing new
    assert await scoring.wait_fitted() is first
    store.append(records(SLUGS, count=1)[0])
    clock.advance(11)
    scoring.current()
    assert await scoring.wait_fitted() is not first
