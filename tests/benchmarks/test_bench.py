"""The two-attempt bench's pieces: route derivation, bootstrap intervals, the JSON shape,
the judge's estimates, the follow-up in the same thread, and the plan's folds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchmarks.bench.derive import Outcome, derive
from benchmarks.bench.plan import ROUTES, folds, phase_jobs
from benchmarks.bench.stats import bootstrap, numbers, saving_share
from benchmarks.bench.summary import markdown, plot, summarize
from benchmarks.bench.trials import Attempt, Trial, decision, follow_up
from benchmarks.harness.codex_runner import codex_argv
from benchmarks.harness.patches import apply_patch, native_codex
from benchmarks.harness.tasks import load_tasks
from benchmarks.sim.agent import SimAgent, reverse_patch
from benchmarks.sim.setup import bias_by_model, judge
from benchmarks.sim.world import MODELS, HiddenWorld, SimModel, uniform_draw
from examples.mockupstream import EstimatingClassifier
from examples.mockupstream.estimates import noisy_estimate
from router.routing.auto.classifier import CardedCandidate, assign_labels, build_request

MODEL_ROUTES = ["cheap", "mid", "strong"]
CERTAIN = SimModel("certain", 50.0, 1, 1, 0, "card")


def trial(task: str, route: str, *attempts: tuple[bool, float], repeat: int = 0) -> Trial:
    return Trial(
        task=task,
        route=route,
        repeat=repeat,
        fold=0,
        attempts=[Attempt(passed=p, cost_usd=c) for p, c in attempts],
    )


def toy_trials() -> list[Trial]:
    return [
        # easy: everyone passes at once
        trial("easy", "cheap", (True, 1.0)),
        trial("easy", "mid", (True, 5.0)),
        trial("easy", "strong", (True, 20.0)),
        trial("easy", "auto", (True, 1.0)),
        # medium: cheap fails twice, mid passes on the follow-up, strong at once
        trial("medium", "cheap", (False, 1.0), (False, 1.5)),
        trial("medium", "mid", (False, 5.0), (True, 7.0)),
        trial("medium", "strong", (True, 20.0)),
        trial("medium", "auto", (False, 1.0), (True, 7.0)),
        # hard: nobody solves it
        trial("hard", "cheap", (False, 1.0), (False, 1.0)),
        trial("hard", "mid", (False, 5.0), (False, 5.0)),
        trial("hard", "strong", (False, 20.0), (False, 30.0)),
        trial("hard", "auto", (False, 20.0), (False, 30.0)),
    ]


# -- derivation -------------------------------------------------------------------------


def test_fixed_routes_are_their_models_runs_and_random_is_the_mean() -> None:
    routes = derive(toy_trials(), MODEL_ROUTES)
    by_task = {route: {o.task: o for o in rows} for route, rows in routes.items()}
    assert by_task["cheapest"]["medium"] == Outcome("medium", 0, 0.0, 0.0, 2.5)
    assert by_task["strongest"]["hard"].cost == 50.0
    medium = by_task["random"]["medium"]
    assert medium.pass_at_1 == pytest.approx(1 / 3) and medium.pass_at_2 == pytest.approx(2 / 3)
    assert medium.cost == pytest.approx((2.5 + 12.0 + 20.0) / 3)
    assert by_task["auto"]["medium"].pass_at_2 == 1.0 and by_task["auto"]["medium"].cost == 8.0


def test_the_oracle_pays_the_cheapest_solving_run_and_passes_whenever_any_model_does() -> None:
    routes = derive(toy_trials(), MODEL_ROUTES)
    oracle = {o.task: o for o in routes["oracle"]}
    assert oracle["easy"].cost == 1.0
    assert oracle["medium"] == Outcome("medium", 0, 0.0, 1.0, 12.0)  # mid's two attempts
    assert oracle["hard"].cost == 2.0 and oracle["hard"].pass_at_2 == 0.0
    best = numbers(routes["oracle"]).pass_at_2
    assert all(best >= numbers(routes[r]).pass_at_2 for r in ("cheapest", "strongest", "random"))


def test_only_instances_every_route_finished_are_compared() -> None:
    trials = [*toy_trials(), trial("easy", "cheap", (True, 1.0), repeat=1)]
    routes = derive(trials, MODEL_ROUTES)
    assert {len(rows) for rows in routes.values()} == {3}


# -- numbers and intervals --------------------------------------------------------------


def test_numbers_and_the_share_of_the_oracles_saving() -> None:
    routes = derive(toy_trials(), MODEL_ROUTES)
    found = {route: numbers(rows) for route, rows in routes.items()}
    assert found["strongest"].pass_at_2 == pytest.approx(2 / 3)
    assert found["strongest"].cost_per_solved == pytest.approx(90.0 / 2)
    assert saving_share(found["oracle"], found["strongest"], found["oracle"]) == 1.0
    assert saving_share(found["strongest"], found["strongest"], found["oracle"]) == 0.0
    share = saving_share(found["auto"], found["strongest"], found["oracle"])
    assert share is not None and 0 < share < 1


def test_a_route_that_never_solves_has_no_cost_per_solved() -> None:
    assert numbers([Outcome("t", 0, 0.0, 0.0, 3.0)]).cost_per_solved is None


def test_bootstrap_intervals_hold_the_estimate_and_are_reproducible() -> None:
    rows = [
        Outcome(f"t{i}", k, float(i % 2), float(i % 3 != 0), 1.0 + i)
        for i in range(12)
        for k in range(3)
    ]
    found = numbers(rows)
    first = bootstrap({"r": rows}, resamples=400, seed=3)["r"]
    assert first == bootstrap({"r": rows}, resamples=400, seed=3)["r"]
    for metric in ("pass_at_1", "pass_at_2", "cost_per_task", "cost_per_solved"):
        low, high = first[metric] or [0, 0]
        value = found.get(metric)
        assert value is not None and low <= value <= high and low < high


def test_bootstrap_resamples_tasks_with_all_their_repeats() -> None:
    # Each task's repeats agree, so a resample of 2 tasks passes 0, 1/2 or all of them;
    # resampling runs one by one would give other fractions (1/6, 1/3, ...).
    rows = [Outcome(t, k, float(t == "a"), float(t == "a"), 1.0) for t in "ab" for k in range(3)]
    low, high = bootstrap({"r": rows}, resamples=300, seed=1)["r"]["pass_at_2"] or [0, 0]
    assert low == 0.0 and high == 1.0


def test_a_constant_route_gets_a_point_interval() -> None:
    rows = [Outcome(f"t{i}", 0, 1.0, 1.0, 2.0) for i in range(5)]
    assert bootstrap({"r": rows}, resamples=50)["r"]["cost_per_task"] == [2.0, 2.0]


# -- the results document ---------------------------------------------------------------


def test_the_json_has_the_promised_shape(tmp_path: Path) -> None:
    document = summarize(derive(toy_trials(), MODEL_ROUTES), repeats=1, resamples=100)
    document = json.loads(json.dumps(document))  # what is written is plain JSON
    assert document["simulation"] is True
    assert document["tasks"] == 3 and document["repeats"] == 1
    assert set(document["routes"]) == {"auto", "cheapest", "strongest", "random", "oracle"}
    for row in document["routes"].values():
        for key in ("pass_at_1", "pass_at_2", "cost_per_task", "cost_per_solved"):
            assert isinstance(row[key], float)
        for key in ("pass_at_2", "cost_per_task"):
            low, high = row["ci95"][key]
            assert low <= row[key] <= high
    assert document["goal"] is None  # no auto-escalation route in the toy
    assert "| auto |" in markdown(document)
    pytest.importorskip("matplotlib")
    png = plot(document, tmp_path / "bench.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_goal_is_checked_against_the_strongest_and_the_oracle() -> None:
    trials = toy_trials() + [
        t.model_copy(update={"route": "auto-escalation"}) for t in toy_trials() if t.route == "auto"
    ]
    goal = summarize(derive(trials, MODEL_ROUTES), repeats=1, resamples=20)["goal"]
    assert goal["route"] == "auto-escalation"
    assert goal["pass_ratio_vs_strongest"] == pytest.approx(1.0)
    assert goal["cost_ratio_vs_strongest"] == pytest.approx(59.0 / 90.0)
    assert goal["met"] is (goal["oracle_saving_share"] >= 0.6)


def test_every_route_of_the_bench_is_named() -> None:
    assert ROUTES == (
        "auto",
        "auto-calibrated",
        "auto-escalation",
        "cheapest",
        "strongest",
        "random",
        "oracle",
    )


# -- the judge ----------------------------------------------------------------------------


def test_estimates_follow_the_hidden_chance_and_overrate_with_bias() -> None:
    chances = [0.05, 0.2, 0.4, 0.6, 0.8, 0.95]
    honest = [noisy_estimate(p, 0.0, 0.4, 0.0) for p in chances]
    assert honest == sorted(honest) and honest[0] < 0.1 and honest[-1] > 0.9
    assert all(noisy_estimate(p, 1.5, 0.4, 0.0) > noisy_estimate(p, 0.0, 0.4, 0.0) for p in chances)
    assert noisy_estimate(0.0, -9, 1, -5) >= 0.01 and noisy_estimate(1.0, 9, 1, 5) <= 0.99


def test_by_default_the_judge_overrates_the_cheaper_models() -> None:
    biases = bias_by_model(1.5)
    assert biases["cheap"] > biases["mid"] > biases["strong"] == 0.0


def request_for(task: str) -> dict:
    labelled = assign_labels([CardedCandidate(m.slug, m.card) for m in MODELS])
    return build_request("sim-classifier", task, labelled)


def scores_of(handler: EstimatingClassifier, task: str) -> dict[str, float]:
    reply = handler(request_for(task))
    return json.loads(reply.text)["scores"]  # type: ignore[attr-defined]


def test_the_sim_judge_reads_the_task_from_the_prompt_and_the_model_from_the_card() -> None:
    tasks = load_tasks(["fix-greeting-typo", "job-graph-cycles"])
    world = HiddenWorld(tasks, seed=0)
    persona = judge(world)
    easy = scores_of(
        persona, tasks[0].spec.prompt + "\n\n(The conversation so far has 1 messages.)"
    )
    hard = scores_of(persona, tasks[1].spec.prompt)
    assert min(easy.values()) > 0.7  # everyone can fix a typo
    assert max(hard.values()) < 0.8 and hard == scores_of(persona, tasks[1].spec.prompt)
    # the follow-up quotes the prompt first, so the judge knows the task again
    again = scores_of(persona, follow_up(tasks[1], "E   AssertionError"))
    assert max(again.values()) < 0.8


def test_without_a_hint_the_judge_falls_back_to_the_deterministic_word_rules() -> None:
    persona = EstimatingClassifier()
    scores = scores_of(persona, "Design a distributed architecture for the scheduler.")
    assert scores == scores_of(persona, "Design a distributed architecture for the scheduler.")
    assert max(scores.values()) > min(scores.values())


# -- the second attempt -------------------------------------------------------------------


def test_a_second_attempt_draws_again_and_the_first_keeps_its_old_key() -> None:
    assert uniform_draw(0, "t", 0, "cheap") == uniform_draw(0, "t", 0, "cheap", 1)
    assert uniform_draw(0, "t", 0, "cheap", 2) != uniform_draw(0, "t", 0, "cheap", 1)


def test_resume_continues_the_session_in_the_same_command(tmp_path: Path) -> None:
    argv = codex_argv(Path("codex"), "http://h/v1", tmp_path / "c.json", "m", "again", "sess-1")
    assert argv[argv.index("resume") : argv.index("resume") + 2] == ["resume", "sess-1"]
    assert argv[-2:] == ["--", "again"] and argv.index("resume") > argv.index("exec")
    assert "resume" not in codex_argv(Path("codex"), "http://h/v1", tmp_path / "c.json", "m", "p")


def test_on_a_follow_up_the_agent_undoes_its_wrong_edit_before_the_solution() -> None:
    task = load_tasks(["job-graph-cycles"])[0]
    agent = SimAgent(HiddenWorld([task]), CERTAIN)
    messages = [
        {"role": "user", "content": task.spec.prompt},
        {"role": "assistant", "content": "done"},
        {"role": "user", "content": follow_up(task, "FAILED")},
        {"role": "assistant", "tool_calls": [{"id": "c0"}]},
        {"role": "tool", "tool_call_id": "c0", "content": "ok"},
    ]
    undo = agent({"messages": messages})
    messages += [
        {"role": "assistant", "tool_calls": [{"id": "c1"}]},
        {"role": "tool", "content": "ok"},
    ]
    solution = agent({"messages": messages})
    assert undo.arguments["input"] == reverse_patch(task.wrong_patch or "")  # type: ignore[attr-defined]
    assert solution.arguments["input"] == task.solution  # type: ignore[attr-defined]


@pytest.mark.skipif(native_codex() is None, reason="the Codex CLI is not installed (make setup)")
@pytest.mark.parametrize("name", ["job-graph-cycles", "bank-transfer-atomic"])
def test_the_reverse_of_the_wrong_edit_restores_the_repository(name: str, tmp_path: Path) -> None:
    task = load_tasks([name])[0]
    binary = native_codex()
    assert binary is not None and task.wrong_patch
    workspace = task.copy_repo(tmp_path / "repo")
    assert apply_patch(task.wrong_patch, workspace, binary).returncode == 0
    assert apply_patch(reverse_patch(task.wrong_patch), workspace, binary).returncode == 0
    assert apply_patch(task.solution, workspace, binary).returncode == 0
    pristine = task.copy_repo(tmp_path / "pristine")
    assert apply_patch(task.solution, pristine, binary).returncode == 0
    for path in pristine.rglob("*.py"):
        assert (workspace / path.relative_to(pristine)).read_text() == path.read_text()
    shutil.rmtree(tmp_path)


# -- the plan -----------------------------------------------------------------------------


def test_the_folds_split_the_tasks_in_halves_of_like_difficulty() -> None:
    tasks = load_tasks()
    fold_of = folds(tasks)
    halves = [[t for t in tasks if fold_of[t.name] == f] for f in (0, 1)]
    assert abs(len(halves[0]) - len(halves[1])) <= 1
    means = [sum(t.spec.difficulty for t in half) / len(half) for half in halves]
    assert abs(means[0] - means[1]) < 0.05


def test_calibrated_routes_run_after_raw_auto_on_their_own_folds_proxies() -> None:
    tasks = load_tasks(["fix-greeting-typo", "job-graph-cycles"])
    first, second = phase_jobs(tasks, 2, 1), phase_jobs(tasks, 2, 2)
    assert len(first) == 2 * 2 * 4 and len(second) == 2 * 2 * 2
    assert {j.route for j in first} == {"cheap", "mid", "strong", "auto"}
    for job in second:
        assert job.profile.endswith(f"-f{job.fold}") and job.slug == "codex-auto"


def test_the_decision_of_an_attempt_is_its_first_fresh_route_record() -> None:
    records = [
        {"event": "route", "task": "codex:s:1", "cache_hit": True, "chosen": "x"},
        {"event": "request", "task": "codex:s:1"},
        {"event": "route", "task": "codex:s:2", "cache_hit": False, "chosen": "strong"},
    ]
    assert decision(records) == records[2]
    assert decision([{"event": "request"}]) is None
