"""enable / disable on real-looking config.toml files: disable gives back the file as it
was, plus whatever the user changed in between, byte for byte."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import tomlkit

from router.codex_setup.config_toml import CodexConfig, CodexConfigError, managed_entries

FULL = """\
# Codex settings, hand-written
model = 'gpt-5.5'   # my usual model
model_provider = "mock"
approval_policy = "on-request"
model_catalog_json = "/home/me/old-catalog.json"

[profiles.fast]
model = "gpt-5.5-mini"
model_reasoning_effort = "low"

[model_providers.mock]
name = "Mock"            # local test server
base_url = "http://127.0.0.1:23080/v1"
wire_api = "responses"

[mcp_servers.docs]
command = "docs-server"
"""

CASES = {
    "comments, displaced keys, profiles and another provider": FULL,
    "nothing but other settings": 'approval_policy = "never"\nsandbox_mode = "workspace-write"\n',
    "tables only": '[profiles.deep]\nmodel_reasoning_effort = "high"\n\n\n',
    "an inline providers table": '[model_providers]\nlocal = { name = "L", base_url = "http://l" }\n',
    "empty file": "",
}


def entries(model: str = "codex-auto", port: int = 8642) -> dict[tuple[str, ...], object]:
    return managed_entries(f"http://127.0.0.1:{port}", Path("/state/catalog.json"), model)


def make(tmp_path: Path, text: str | None) -> CodexConfig:
    path = tmp_path / "codex" / "config.toml"
    path.parent.mkdir()
    if text is not None:
        path.write_text(text)
    return CodexConfig(path, tmp_path / "state")


@pytest.mark.parametrize("original", CASES.values(), ids=CASES.keys())
def test_disable_restores_the_file_exactly(tmp_path: Path, original: str) -> None:
    config = make(tmp_path, original)
    config.enable(entries())
    enabled = tomlkit.parse(config.path.read_text())
    assert enabled["model"] == "codex-auto"
    assert enabled["model_provider"] == "autorouter"
    assert enabled["model_providers"]["autorouter"]["name"] == "codex-autorouter"

    result = config.disable()

    assert result is not None and result.restored_exactly
    assert config.path.read_text() == original


@pytest.mark.parametrize("original", CASES.values(), ids=CASES.keys())
def test_disable_keeps_edits_made_while_enabled(tmp_path: Path, original: str) -> None:
    config = make(tmp_path, original)
    config.enable(entries())
    config.path.write_text("# my note\n" + config.path.read_text() + "# appended by me\n")

    result = config.disable()

    assert result is not None and not result.restored_exactly
    assert config.path.read_text() == "# my note\n" + original + "# appended by me\n"


def test_a_missing_file_is_created_and_removed_again(tmp_path: Path) -> None:
    config = make(tmp_path, None)
    config.enable(entries())
    assert config.path.exists()
    config.disable()
    assert not config.path.exists()


def test_enable_twice_duplicates_nothing_and_remembers_the_first_originals(tmp_path: Path) -> None:
    config = make(tmp_path, FULL)
    config.enable(entries())
    config.enable(entries(port=9999))
    text = config.path.read_text()

    assert text.count("[model_providers.autorouter]") == 1
    assert text.count("model_provider =") == 1
    assert "http://127.0.0.1:9999/v1" in text
    config.disable()
    assert config.path.read_text() == FULL


def test_the_user_changing_a_managed_key_wins(tmp_path: Path) -> None:
    config = make(tmp_path, FULL)
    config.enable(entries())
    config.path.write_text(config.path.read_text().replace('"codex-auto"', '"o3"'))

    result = config.disable()

    assert result is not None and result.kept_user_changes == ["model"]
    assert config.path.read_text() == FULL.replace("'gpt-5.5'", '"o3"')


def test_model_switches_are_ours_and_are_undone(tmp_path: Path) -> None:
    config = make(tmp_path, FULL)
    config.enable(entries())
    config.set_model("strong")
    assert config.current_model() == "strong"

    config.disable()

    assert config.path.read_text() == FULL


def test_the_record_and_backups_are_private_and_complete(tmp_path: Path) -> None:
    config = make(tmp_path, FULL)
    config.enable(entries())
    config.set_model("strong")
    config.disable()

    backups = sorted((tmp_path / "state" / "backups").glob("config.toml.*"))
    assert len(backups) == 3  # before enable, before the switch, before disable
    assert backups[0].read_text() == FULL
    assert all(stat.S_IMODE(b.stat().st_mode) == 0o600 for b in backups)
    assert not config.state_path.exists()


def test_the_record_is_written_with_mode_0600(tmp_path: Path) -> None:
    config = make(tmp_path, FULL)
    config.enable(entries())
    assert stat.S_IMODE(config.state_path.stat().st_mode) == 0o600
    assert config.load_state() is not None
    assert config.load_state().native_provider == "mock"  # type: ignore[union-attr]


def test_invalid_toml_is_refused_without_a_change(tmp_path: Path) -> None:
    config = make(tmp_path, "model = [unclosed\n")
    with pytest.raises(CodexConfigError, match="not valid TOML"):
        config.enable(entries())
    assert config.path.read_text() == "model = [unclosed\n"
    assert not config.state_path.exists()


def test_disable_without_enable_does_nothing(tmp_path: Path) -> None:
    config = make(tmp_path, FULL)
    assert config.disable() is None
    assert config.path.read_text() == FULL
