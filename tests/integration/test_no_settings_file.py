"""Every command on a machine with no settings file: it runs with what can be found without
asking (a ChatGPT login's models, a local Ollama), says so, and never fails for the file
alone; `doctor` reports a missing and a broken file without a traceback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from examples.mockupstream import MockUpstream
from router.cli import daemon
from router.cli import main as cli
from tests.integration.first_run import fresh_machine, settings_file, threaded_mock

NOTICE = "no settings file at"
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = fresh_machine(tmp_path, monkeypatch)
    (home / ".codex" / "auth.json").write_text(
        json.dumps({"tokens": {"access_token": "eyJ.login.sig", "refresh_token": "r"}})
    )
    monkeypatch.setenv("CODEX_MODELS", "gpt-5.5-codex,gpt-5.4-mini")
    # A key in the environment is not used without a file (init puts it in one).
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-used-without-a-file")
    return home


@pytest.fixture
def ollama(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockUpstream]:
    with threaded_mock("qwen3-coder:30b") as mock:
        monkeypatch.setenv("AUTOROUTER_LOCAL_SERVERS", f"ollama={mock.root_url}")
        yield mock


def test_list_shows_the_login_and_the_local_models(
    ollama: MockUpstream, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["list"]) == 0
    captured = capsys.readouterr()
    assert NOTICE in captured.err and "autorouter init" in captured.err
    for slug in ("codex-auto", "chatgpt-gpt-5-5-codex", "chatgpt-gpt-5-4-mini", "qwen3-coder-30b"):
        assert slug in captured.out
    assert "gpt-5-4-mini " not in captured.out.replace("chatgpt-gpt-5-4-mini", "")


def test_generate_writes_a_catalog_of_what_was_found(
    ollama: MockUpstream, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "catalog.json"
    assert cli.main(["generate", "--out", str(out)]) == 0
    slugs = [entry["slug"] for entry in json.loads(out.read_text())["models"]]
    assert slugs[0] == "codex-auto" and "qwen3-coder-30b" in slugs
    assert NOTICE in capsys.readouterr().err


def test_start_runs_the_daemon_with_what_was_found(
    ollama: MockUpstream, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    try:
        assert cli.main(["start", "--port", str(port)]) == 0
        assert NOTICE in capsys.readouterr().err
        served = httpx.get(f"http://127.0.0.1:{port}/v1/models", trust_env=False).json()
        ids = [model["id"] for model in served["data"]]
        assert "codex-auto" in ids and "qwen3-coder-30b" in ids
        assert NOTICE in daemon.log_file().read_text()
    finally:
        daemon.stop()


def test_serve_in_the_foreground_says_it_runs_without_a_file(ollama: MockUpstream) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "router", "serve", "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        deadline = time.monotonic() + 20
        while daemon.health("127.0.0.1", port) is None:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    assert process.returncode == 0
    assert NOTICE in err and "Traceback" not in err


def test_enable_points_codex_at_auto_without_a_file(
    ollama: MockUpstream, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    try:
        assert cli.main(["enable", "--port", str(port)]) == 0
        config = (home / ".codex" / "config.toml").read_text()
        assert 'model = "codex-auto"' in config
        assert NOTICE in capsys.readouterr().err
    finally:
        assert cli.main(["disable"]) == 0


def test_the_daemon_picks_up_a_settings_file_written_later(
    ollama: MockUpstream, home: Path
) -> None:
    port = free_port()
    try:
        assert cli.main(["start", "--port", str(port)]) == 0
        path = settings_file(home)
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({"models": [{"model": "late-model", "provider": "ollama"}]}))
        deadline = time.monotonic() + 10
        while True:
            served = httpx.get(f"http://127.0.0.1:{port}/v1/models", trust_env=False).json()
            if "late-model" in [model["id"] for model in served["data"]]:
                break
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        daemon.stop()


def test_an_explicit_settings_path_that_does_not_exist_is_still_an_error(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["list", "--settings", str(tmp_path / "nope.json")]) == 2
    assert "settings file not found" in capsys.readouterr().err


def test_with_nothing_found_list_is_empty_and_enable_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh_machine(tmp_path, monkeypatch)
    assert cli.main(["list"]) == 0
    assert "nothing found" in capsys.readouterr().err
    assert cli.main(["enable", "--port", str(free_port())]) == 1
    assert "autorouter init" in capsys.readouterr().err


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, dict[str, str]]]:
    code = cli.main(["doctor", "--json", "--port", str(free_port()), *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, {check["name"]: check for check in json.loads(captured.out)}


def test_doctor_on_a_fresh_machine_reports_the_missing_file_and_exits_zero(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "find_codex", lambda: None)
    code, checks = doctor(capsys)
    assert code == 0
    assert checks["settings"]["status"] == "warn"
    assert "autorouter init" in checks["settings"]["detail"]
    assert "npm install -g @openai/codex" in checks["codex-cli"]["detail"]
    assert checks["daemon"]["status"] == "warn"
    assert checks["catalog"]["status"] == "warn"


def test_doctor_names_the_file_entry_and_field_of_a_broken_settings_file(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = settings_file(home)
    path.parent.mkdir(parents=True)
    path.write_text(
        json.dumps(
            {
                "models": [
                    {"model": "ok-model", "provider": "ollama"},
                    {"model": "bad", "provider": "nope"},
                ]
            }
        )
    )
    code, checks = doctor(capsys)
    assert code == 1
    assert checks["settings"]["status"] == "fail"
    detail = checks["settings"]["detail"]
    assert str(path) in detail and 'models[1] (slug "bad")' in detail and "provider" in detail

    path.write_text('{"models": [\n  {"model": "x",}\n]}')
    code, checks = doctor(capsys)
    assert code == 1
    assert "invalid JSON at line 2" in checks["settings"]["detail"]


def test_stats_reads_the_routing_log_without_a_file(
    ollama: MockUpstream, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = Path(os.environ["AUTOROUTER_STATE_DIR"]) / "routing.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    assert cli.main(["stats"]) == 0
    captured = capsys.readouterr()
    assert NOTICE in captured.err and "settings error" not in captured.err


def test_a_check_that_crashes_is_a_failed_line_not_a_traceback(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from router.cli import doctor as doctor_module

    def broken(_: object) -> None:
        raise OSError("no such device")

    monkeypatch.setattr(doctor_module, "check_port", broken)
    code, checks = doctor(capsys)
    assert code == 1
    assert checks["port"] == {
        "name": "port",
        "status": "fail",
        "detail": "could not check: OSError: no such device",
        "fixed": False,
    }
    assert checks["proxy-bypass"]["status"] == "ok"  # the rest still ran
