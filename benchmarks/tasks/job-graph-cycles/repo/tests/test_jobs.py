import pytest

from jobs.errors import CycleError, GraphError, MissingJob
from jobs.graph import order
from jobs.runner import run_all


def test_ready_jobs_run_in_alphabetical_order() -> None:
    assert order({"b": [], "a": [], "c": ["a", "b"]}) == ["a", "b", "c"]


def test_dependencies_come_first() -> None:
    jobs = {"deploy": ["build", "test"], "test": ["build"], "build": [], "docs": []}
    assert order(jobs) == ["build", "docs", "test", "deploy"]


def test_two_job_cycle() -> None:
    with pytest.raises(CycleError) as caught:
        order({"a": ["b"], "b": ["a"], "c": []})
    assert caught.value.path == ["a", "b", "a"]


def test_three_job_cycle_behind_a_dependent() -> None:
    with pytest.raises(CycleError) as caught:
        order({"w": ["y"], "x": ["z"], "y": ["x"], "z": ["y"]})
    assert caught.value.path == ["x", "z", "y", "x"]


def test_unknown_dependency() -> None:
    with pytest.raises(MissingJob) as caught:
        order({"a": ["ghost"]})
    assert caught.value.name == "ghost"


def test_errors_share_a_base() -> None:
    assert issubclass(CycleError, GraphError) and issubclass(MissingJob, GraphError)


def test_runner_reports_a_cycle_and_runs_nothing() -> None:
    ran: list[str] = []
    assert run_all({"a": ["b"], "b": ["a"]}, ran.append) == ["cycle: a -> b -> a"]
    assert ran == []


def test_runner_runs_in_order() -> None:
    ran: list[str] = []
    assert run_all({"test": ["build"], "build": []}, ran.append) == ["ran build", "ran test"]
    assert ran == ["build", "test"]
