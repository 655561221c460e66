"""The commands as a user runs them: enable and disable with the real daemon, model
switching, doctor, logs, and app where Codex Desktop is missing."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from router.cli import daemon
from router.cli import main as cli
from router.codex_setup.desktop import find_desktop
from router.telemetry.snapshots import list_snapshots, write_snapshot

ORIGINAL = '# mine\nmodel = "o3"\n\n[profiles.x]\nmodel = "o4-mini"\n'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config_file(isolated: Path) -> Path:
    return isolated / "codex-home" / "config.toml"


def test_enable_then_disable_round_trip_with_the_daemon(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file(isolated).write_text(ORIGINAL)
    port = free_port()
    try:
        assert cli.main(["enable", "--port", str(port)]) == 0
        assert daemon.health("127.0.0.1", port) is not None
        text = config_file(isolated).read_text()
        assert 'model = "codex-auto"' in text
        assert f'base_url = "http://127.0.0.1:{port}/v1"' in text
        catalog = json.loads((isolated / "state" / "catalog.json").read_text())
        assert [m["slug"] for m in catalog["models"]][:1] == ["codex-auto"]
        assert cli.main(["enable", "--port", str(port)]) == 0  # idempotent
    finally:
        assert cli.main(["disable"]) == 0
    assert config_file(isolated).read_text() == ORIGINAL
    assert daemon.health("127.0.0.1", port) is None
    assert "restored exactly" in capsys.readouterr().out


def test_model_list_marks_the_active_model_and_use_switches_it(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file(isolated).write_text(ORIGINAL)
    assert cli.main(["model", "use", "strong"]) == 0
    assert cli.main(["model", "list"]) == 0
    out = capsys.readouterr().out
    assert "* strong  Strong model" in out
    assert "  codex-auto  Auto (smart routing)" in out
    assert config_file(isolated).read_text() == ORIGINAL.replace('"o3"', '"strong"')


def test_model_use_refuses_an_unknown_slug_and_lists_the_known_ones(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file(isolated).write_text(ORIGINAL)
    assert cli.main(["model", "use", "gpt-9"]) == 1
    assert "known: codex-auto, cheap, strong" in capsys.readouterr().err
    assert config_file(isolated).read_text() == ORIGINAL


def test_doctor_names_unset_keys_and_warns_about_a_proxy_without_bypass(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    cli.main(["doctor", "--json", "--port", str(free_port())])
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)}
    assert checks["key:strong"]["status"] == "warn"
    assert "AUTOROUTER_TEST_UNSET_KEY is not set" in checks["key:strong"]["detail"]
    assert checks["key:cheap"]["status"] == "ok"
    assert checks["proxy-bypass"]["status"] == "warn"
    assert checks["codex-config"]["status"] == "warn"  # not enabled yet
    assert checks["catalog"]["status"] == "warn"  # only needed once Codex is enabled


def test_doctor_fix_writes_the_catalog_and_exits_zero_when_nothing_is_hard_broken(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    port = str(free_port())
    # A missing catalog is advice before `enable`, so this is no hard failure either.
    assert cli.main(["doctor", "--port", port]) == 0
    assert "WARN  catalog" in capsys.readouterr().out
    try:
        assert cli.main(["doctor", "--fix", "--port", port]) == 0
        out = capsys.readouterr().out
        assert "(fixed)" in out
        assert (isolated / "state" / "catalog.json").exists()
    finally:
        daemon.stop()


def test_logs_show_snapshots_and_clean_keeps_the_newest(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = isolated / "state"
    assert cli.main(["logs", "--requests"]) == 1
    assert "AUTOROUTER_SNAPSHOTS=1" in capsys.readouterr().err
    for index in range(4):
        write_snapshot(state, f"req{index}", {}, {"model": "cheap", "input": []})
    assert cli.main(["logs", "--last-request"]) == 0
    assert json.loads(capsys.readouterr().out)["request_id"] == "req3"
    assert cli.main(["logs", "--requests"]) == 0
    assert capsys.readouterr().out.count("model=cheap") == 4
    assert cli.main(["logs", "--clean", "--keep", "1"]) == 0
    assert len(list_snapshots(state)) == 1


def test_app_explains_what_to_do_when_codex_desktop_is_missing(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["app", str(isolated / "no-such-app")]) == 1
    assert "not an executable" in capsys.readouterr().err
    assert find_desktop(str(isolated / "missing.app"), platform="darwin") is None


def test_app_launches_codex_desktop_exempt_from_the_proxy_and_enable_says_why(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("no_proxy", "corp.example")
    monkeypatch.delenv("NO_PROXY", raising=False)
    seen = isolated / "desktop-env.txt"
    app = isolated / "codex-desktop"
    app.write_text(f'#!/bin/sh\nprintf "%s|%s" "$NO_PROXY" "$no_proxy" > "{seen}.tmp"\n'
                   f'mv "{seen}.tmp" "{seen}"\n')  # fmt: skip
    app.chmod(0o755)
    try:
        assert cli.main(["app", str(app), "--port", str(free_port())]) == 0
        out = capsys.readouterr().out
        [hint] = [line for line in out.splitlines() if line.startswith("note: HTTP_PROXY")]
        assert "NO_PROXY=127.0.0.1,localhost,::1" in hint
        assert "started Codex Desktop" in out
        deadline = time.monotonic() + 10
        while not seen.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        exempt = "corp.example,127.0.0.1,localhost,::1"
        assert seen.read_text() == f"{exempt}|{exempt}"
    finally:
        cli.main(["disable"])
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    try:
        assert cli.main(["enable", "--port", str(free_port())]) == 0
        assert "note:" not in capsys.readouterr().out
    finally:
        cli.main(["disable"])


def test_codex_desktop_is_found_on_path_on_linux(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_desktop(None, platform="linux") is None
    binary = tmp_path / "codex-desktop"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    assert find_desktop(None, platform="linux") == [str(binary)]
