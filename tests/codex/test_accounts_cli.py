"""`autorouter accounts`: add from Codex, Pi or a token; list; remove; pin; the file."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest

from adapters.codex.limits import RateLimits, Window
from examples.mockupstream.codex_backend import make_jwt
from router.chatgpt.accounts_store import AccountsStore, Usage
from router.cli.main import main
from tests.codex.conftest import state_dir, write_login


def accounts_file(codex_home: Path) -> Path:
    return state_dir(codex_home) / "accounts.json"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["accounts", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_add_imports_the_codex_login_and_keeps_the_file_private(
    codex_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    access = make_jwt(time.time() + 3600, "acct-codex", "me@example.com")
    write_login(codex_home, access, "rt-1", "acct-codex")
    code, out, _ = run(capsys, "add")
    assert code == 0, out
    assert "me@example.com" in out and "acct-codex" in out
    assert access not in out
    path = accounts_file(codex_home)
    assert path.stat().st_mode & 0o777 == 0o600
    [saved] = json.loads(path.read_text())["accounts"]
    assert saved["kind"] == "login" and saved["source"] == "codex"
    assert saved["tokens"]["refresh_token"] == "rt-1"
    assert saved["linked_file"] == str(codex_home / "auth.json")
    assert f"linked to {codex_home / 'auth.json'}" in out

    code, listing, _ = run(capsys)
    assert listing.splitlines()[0].split()[-2:] == ["linked", "to"]
    assert listing.splitlines()[1].endswith(str(codex_home / "auth.json"))


def test_add_imports_pi_s_openai_codex_login(
    codex_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pi = tmp_path / "pi-auth.json"
    access = make_jwt(time.time() + 3600, "acct-pi")
    pi.write_text(
        json.dumps(
            {
                "anthropic": {"type": "oauth", "access": "other"},
                "openai-codex": {"type": "oauth", "access": access, "refresh": "rt-pi"},
            }
        )
    )
    code, out, _ = run(capsys, "add", "--pi-auth", str(pi), "--label", "work")
    assert code == 0, out
    [saved] = json.loads(accounts_file(codex_home).read_text())["accounts"]
    assert saved["id"] == "acct-pi" and saved["label"] == "work" and saved["source"] == "pi"
    assert saved["tokens"]["refresh_token"] == "rt-pi"
    assert saved["linked_file"] == str(pi)


def test_add_takes_a_token_from_a_variable_or_stdin_and_refuses_api_keys(
    codex_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_PAT", "pat-123456789")
    assert run(capsys, "add", "--token-env", "MY_PAT")[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("pat-from-stdin\n"))
    assert run(capsys, "add", "--token-stdin", "--label", "ci")[0] == 0
    monkeypatch.setenv("AN_API_KEY", "sk-proj-1234567890")
    code, out, err = run(capsys, "add", "--token-env", "AN_API_KEY")
    assert code == 1
    assert "OpenAI provider" in err and "1234567890" not in err + out
    saved = json.loads(accounts_file(codex_home).read_text())["accounts"]
    assert [a["token"] for a in saved] == ["pat-123456789", "pat-from-stdin"]


def test_list_shows_state_usage_reset_and_cooldown_without_secrets(
    codex_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAT_A", "pat-aaaaaaaa")
    monkeypatch.setenv("PAT_B", "pat-bbbbbbbb")
    run(capsys, "add", "--token-env", "PAT_A", "--label", "alpha")
    run(capsys, "add", "--token-env", "PAT_B", "--label", "beta")
    store = AccountsStore(accounts_file(codex_home))
    [alpha, beta] = store.load().accounts
    now = time.time()
    store.save_usage(
        alpha.id,
        Usage(RateLimits(Window(42.0, now + 3600, 300), Window(73.0, now + 86400, 10080)), None),
    )
    store.save_usage(beta.id, Usage(None, now + 1800))
    assert run(capsys, "pin", "alpha")[0] == 0

    code, out, _ = run(capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "#",
        "account",
        "state",
        "usage",
        "weekly",
        "reset",
        "cooldown",
        "linked",
        "to",
    ]
    assert lines[1].endswith(" -")  # a token is linked to no file
    assert "alpha" in lines[1] and "ready, pinned" in lines[1]
    assert "window 42%, week 73%" in lines[1]
    assert "beta" in lines[2] and "exhausted" in lines[2] and "(in 30 min)" in lines[2]
    assert "pat-" not in out


def test_remove_and_unpin(
    codex_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAT_A", "pat-aaaaaaaa")
    run(capsys, "add", "--token-env", "PAT_A", "--label", "alpha")
    assert run(capsys, "pin", "1")[0] == 0
    assert run(capsys, "pin", "--clear")[0] == 0
    assert json.loads(accounts_file(codex_home).read_text())["pinned"] is None
    assert run(capsys, "remove", "nobody")[0] == 1
    assert run(capsys, "remove", "alpha")[0] == 0
    assert json.loads(accounts_file(codex_home).read_text())["accounts"] == []
