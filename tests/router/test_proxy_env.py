"""Loopback exemptions from the user's HTTP proxy: what is added, what is kept, when to warn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from router.codex_setup import desktop
from router.codex_setup.proxy_env import (
    bypasses_proxy,
    proxy_hint,
    proxy_variables,
    with_loopback_exempt,
)

LOOPBACK = "127.0.0.1,localhost,::1"


def test_the_loopback_names_are_added_to_both_variables() -> None:
    env = with_loopback_exempt({"HTTP_PROXY": "http://proxy:3128", "PATH": "/bin"})
    assert env == {
        "HTTP_PROXY": "http://proxy:3128",
        "PATH": "/bin",
        "NO_PROXY": LOOPBACK,
        "no_proxy": LOOPBACK,
    }


def test_the_user_s_entries_stay_first_and_nothing_is_listed_twice() -> None:
    env = with_loopback_exempt({"NO_PROXY": " corp.example , LOCALHOST,[::1]", "no_proxy": "x"})
    assert env["NO_PROXY"] == "corp.example,LOCALHOST,[::1],127.0.0.1"
    assert env["no_proxy"] == "x,127.0.0.1,localhost,::1"


def test_an_unset_variable_starts_from_the_other_one() -> None:
    # A client that reads NO_PROXY first must not lose the exemptions written in no_proxy.
    env = with_loopback_exempt({"no_proxy": "corp.example"})
    assert env["NO_PROXY"] == env["no_proxy"] == f"corp.example,{LOOPBACK}"


@given(st.lists(st.sampled_from(["a.example", "127.0.0.1", "localhost", "::1", "10.0.0.0/8"])))
def test_adding_twice_changes_nothing_and_always_exempts_loopback(entries: list[str]) -> None:
    env = with_loopback_exempt({"HTTP_PROXY": "http://p", "NO_PROXY": ",".join(entries)})
    assert with_loopback_exempt(env) == env
    assert env["NO_PROXY"].split(",")[: len(entries)] == entries
    for host in ("127.0.0.1", "localhost", "::1"):
        assert bypasses_proxy(env, host)


@pytest.mark.parametrize(
    ("environ", "bypassed"),
    [
        ({}, True),
        ({"HTTPS_PROXY": ""}, True),
        ({"http_proxy": "http://p"}, False),
        ({"ALL_PROXY": "socks5://p", "NO_PROXY": "localhost"}, False),
        ({"HTTP_PROXY": "http://p", "NO_PROXY": "127.0.0.1"}, True),
        ({"HTTP_PROXY": "http://p", "no_proxy": "*"}, True),
        ({"HTTP_PROXY": "http://p", "NO_PROXY": "127.0.0.0/8"}, True),
        ({"HTTP_PROXY": "http://p", "NO_PROXY": "127.0.0.1", "no_proxy": "corp"}, False),
    ],
)
def test_when_loopback_bypasses_the_proxy(environ: dict[str, str], bypassed: bool) -> None:
    assert bypasses_proxy(environ) is bypassed
    assert (proxy_hint(environ) is None) is bypassed


def test_the_hint_is_one_line_naming_the_variables_as_spelt() -> None:
    environ = {"http_proxy": "http://p", "ALL_PROXY": "http://p"}
    assert proxy_variables(environ) == ["ALL_PROXY", "http_proxy"]
    hint = proxy_hint(environ)
    assert hint is not None and "\n" not in hint
    assert "ALL_PROXY, http_proxy" in hint and f"NO_PROXY={LOOPBACK}" in hint


def test_the_desktop_app_is_launched_with_the_exemptions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[tuple[list[str], dict[str, str]]] = []

    class Popen:
        pid = 4242

        def __init__(self, command: list[str], env: dict[str, str], **_: Any) -> None:
            started.append((command, env))

    monkeypatch.setattr(desktop.subprocess, "Popen", Popen)
    env = with_loopback_exempt({"HTTP_PROXY": "http://p"})
    assert desktop.launch([str(tmp_path / "codex-desktop")], env) == 4242
    assert started[-1] == ([str(tmp_path / "codex-desktop")], env)
    # macOS: LaunchServices does not pass our environment on; `open --env` does.
    desktop.launch(["open", "-a", "/Applications/Codex.app"], env)
    assert started[-1][0] == [
        "open",
        "--env",
        f"NO_PROXY={LOOPBACK}",
        "--env",
        f"no_proxy={LOOPBACK}",
        "-a",
        "/Applications/Codex.app",
    ]
