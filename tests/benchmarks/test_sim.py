"""The simulation: a hidden, seeded skill model; the router sees only prompts and cards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.harness.tasks import load_tasks
from benchmarks.sim.agent import GIVE_UP_PATCH, SimAgent
from benchmarks.sim.setup import sim_settings
from benchmarks.sim.world import MODELS, HiddenWorld, SimModel, success_probability, uniform_draw
from examples.mockupstream import MockUpstream, Text, ToolCall

TASK = load_tasks(["fix-greeting-typo"])[0]
HARD = load_tasks(["job-graph-cycles"])[0]
CERTAIN = SimModel("certain", 50.0, 1, 1, 0, "card")
HOPELESS = SimModel("hopeless", -50.0, 1, 1, 0, "card")


def body(prompt: str, cwd: str, tool_results: int) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are a coding agent."},
        {
            "role": "user",
            "content": f"<environment_context>\n  <cwd>{cwd}</cwd>\n</environment_context>",
        },
        {"role": "user", "content": prompt},
    ]
    for index in range(tool_results):
        messages.append({"role": "assistant", "tool_calls": [{"id": f"c{index}"}]})
        messages.append({"role": "tool", "tool_call_id": f"c{index}", "content": "ok"})
    return {"model": "m", "messages": messages}


def test_success_gets_likelier_with_skill_and_less_likely_with_difficulty() -> None:
    assert success_probability(0.9, 0.1) > success_probability(0.35, 0.1) > 0.5
    assert success_probability(0.35, 0.9) < 0.01
    assert success_probability(0.5, 0.5) == 0.5


def test_draws_are_fixed_by_seed_task_repeat_and_model() -> None:
    assert uniform_draw(0, "t", 0, "cheap") == uniform_draw(0, "t", 0, "cheap")
    draws = {uniform_draw(seed, "t", k, "cheap") for seed in range(3) for k in range(3)}
    assert len(draws) == 9 and all(0 <= d < 1 for d in draws)


def test_the_agent_looks_edits_checks_and_reports() -> None:
    world = HiddenWorld([TASK])
    agent = SimAgent(world, CERTAIN)
    steps = [agent(body(TASK.spec.prompt, "/w", n)) for n in range(4)]
    assert isinstance(steps[0], ToolCall) and steps[0].arguments == {"cmd": "cat greeting.py"}
    assert isinstance(steps[1], ToolCall) and steps[1].name == "apply_patch"
    assert steps[1].arguments == {"input": TASK.solution}
    assert isinstance(steps[2], ToolCall) and "pytest" in str(steps[2].arguments)
    assert isinstance(steps[3], Text)


def test_a_failing_draw_applies_the_wrong_edit() -> None:
    agent = SimAgent(HiddenWorld([TASK]), HOPELESS)
    edit = agent(body(TASK.spec.prompt, "/w", 1))
    assert isinstance(edit, ToolCall) and edit.arguments == {"input": TASK.wrong_patch}
    assert TASK.wrong_patch != TASK.solution and GIVE_UP_PATCH not in TASK.solution


def test_the_repeat_comes_from_the_registered_workspace() -> None:
    world = HiddenWorld([HARD], seed=7)
    world.register(Path("/runs/a/repo"), 3)
    assert world.repeat_for("/runs/a/repo") == 3 and world.repeat_for("/elsewhere") == 0
    mid = next(m for m in MODELS if m.slug == "mid")
    chance = success_probability(mid.skill, HARD.spec.difficulty)
    agent = SimAgent(world, mid)
    edit = agent(body(HARD.spec.prompt, "/runs/a/repo", 1))
    expected = HARD.solution if uniform_draw(7, HARD.name, 3, "mid") < chance else HARD.wrong_patch
    assert isinstance(edit, ToolCall) and edit.arguments == {"input": expected}


def test_an_unknown_prompt_gets_an_answer_not_an_edit() -> None:
    assert isinstance(SimAgent(HiddenWorld([TASK]), CERTAIN)(body("hi", "/w", 0)), Text)


async def test_the_router_settings_hold_no_hidden_skill_or_difficulty() -> None:
    async with MockUpstream() as mock:
        wire = json.dumps(sim_settings(mock))
    for model in MODELS:
        assert str(model.skill) not in wire
    assert "difficulty" not in wire
    prices = [json.loads(wire)["models"][i]["price"]["output"] for i in range(3)]
    assert prices == sorted(prices)
