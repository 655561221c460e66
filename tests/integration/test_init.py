"""`autorouter init` on a fresh machine: what it finds, what it writes, and that running it
again or over an existing file loses nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from examples.mockupstream.codex_backend import MockCodexBackend
from router.cli import main as cli
from router.settings import load_settings
from tests.integration.first_run import fresh_machine, settings_file, threaded, threaded_mock

KEYS = {
    "OPENAI_API_KEY": "sk-openai-canary-1f2e3d4c5b6a",
    "ANTHROPIC_API_KEY": "sk-ant-canary-9a8b7c6d5e4f",
    "DEEPSEEK_API_KEY": "sk-deepseek-canary-0a1b2c3d4e",
}
LOCAL_MODELS = ("qwen3-coder:30b", "my-finetune:7b", "nomic-embed-text:latest")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return fresh_machine(tmp_path, monkeypatch)


def chatgpt_login(home: Path) -> None:
    (home / ".codex" / "auth.json").write_text(
        json.dumps({"tokens": {"access_token": "eyJ.chatgpt-canary.sig", "refresh_token": "r"}})
    )


def test_keys_a_local_ollama_and_a_chatgpt_login_give_a_file_that_loads_with_auto(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    chatgpt_login(home)
    with threaded_mock(*LOCAL_MODELS) as ollama:
        monkeypatch.setenv("AUTOROUTER_LOCAL_SERVERS", f"ollama={ollama.root_url}")
        assert cli.main(["init", "--yes"]) == 0
        assert [r.path for r in ollama.requests] == ["/api/tags"]
    out = capsys.readouterr().out
    path = settings_file(home)
    text = path.read_text()
    for value in KEYS.values():
        assert value not in text and value not in out
    assert "chatgpt-canary" not in text
    assert path.stat().st_mode & 0o777 == 0o600

    settings = load_settings(path)
    by_slug = {model.slug: model for model in settings.models}
    assert by_slug["gpt-5-4-mini"].api_key_env == "OPENAI_API_KEY"
    assert by_slug["claude-opus-4-7"].provider == "anthropic"
    assert by_slug["deepseek-v4-pro"].base_url == "https://api.deepseek.com/anthropic"
    assert by_slug["deepseek-v4-pro"].supports_images is False
    assert by_slug["qwen3-coder-30b"].base_url == f"{ollama.root_url}/v1"
    assert by_slug["chatgpt-gpt-5-5-codex"].kind == "codex"
    assert not [slug for slug in by_slug if "embed" in slug]
    price = by_slug["claude-opus-4-7"].price
    assert price is not None and price.output == 25.0

    router = settings.router
    assert router is not None and settings.auto_slug == "codex-auto"
    costs = [candidate.cost for candidate in router.candidates]
    assert costs == sorted(costs)
    assert {c.slug for c in router.candidates} == set(by_slug)
    assert router.classifier in by_slug and router.default in by_slug
    cards = {c.slug: c.card for c in router.candidates}
    assert "No capability card known" in cards["my-finetune-7b"]
    assert "Local open-weight coding model" in cards["qwen3-coder-30b"]
    assert "my-finetune-7b: not in the table of known models" in out
    assert "wrote" in out and "autorouter enable" in out

    assert cli.main(["list"]) == 0
    listed = capsys.readouterr().out
    assert "codex-auto" in listed and "qwen3-coder-30b" in listed and "claude-opus-4-7" in listed


def test_the_models_a_chatgpt_login_offers_are_asked_from_the_backend(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    backend = MockCodexBackend()
    token = backend.add_account("acct-1", models=["gpt-5.5-codex", "gpt-5.6-preview"])
    (home / ".codex" / "auth.json").write_text(
        json.dumps({"tokens": {"access_token": token, "account_id": "acct-1"}})
    )
    with threaded(backend):
        monkeypatch.setenv("CODEX_BASE_URL", backend.base_url)
        assert cli.main(["init", "--yes"]) == 0
    models = load_settings(settings_file(home)).models
    assert [m.slug for m in models] == ["chatgpt-gpt-5-5-codex", "chatgpt-gpt-5-6-preview"]
    assert "chatgpt-gpt-5-6-preview: not in the table" in capsys.readouterr().out


def test_a_second_init_changes_nothing(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEYS["OPENAI_API_KEY"])
    chatgpt_login(home)
    assert cli.main(["init"]) == 0  # a new file is written without asking
    path = settings_file(home)
    before = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    capsys.readouterr()
    assert cli.main(["init"]) == 0
    assert "nothing new" in capsys.readouterr().out
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime
    assert list(path.parent.glob("*.bak-*")) == []


def test_a_new_key_is_added_and_the_rest_of_a_hand_written_file_kept(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = settings_file(home)
    path.parent.mkdir(parents=True)
    mine = {
        "models": [
            {"model": "gpt-5.4-mini", "provider": "openai", "api_key_env": "MY_OWN_VARIABLE"},
            {"slug": "house", "model": "house-model", "base_url": "http://10.0.0.5:9000/v1"},
        ],
        "router": {
            "classifier": "gpt-5-4-mini",
            "threshold": 0.55,
            "candidates": [{"slug": "house", "cost": 0.1, "card": "my own card"}],
        },
        "server": {"port": 9999},
    }
    path.write_text(json.dumps(mine))
    monkeypatch.setenv("OPENAI_API_KEY", KEYS["OPENAI_API_KEY"])
    monkeypatch.setenv("DEEPSEEK_API_KEY", KEYS["DEEPSEEK_API_KEY"])
    # Without --yes and without a terminal to ask on, nothing is overwritten.
    assert cli.main(["init"]) == 1
    assert json.loads(path.read_text()) == mine
    assert cli.main(["init", "--yes"]) == 0
    written = json.loads(path.read_text())
    [backup] = path.parent.glob("settings.json.bak-*")
    assert json.loads(backup.read_text()) == mine
    assert written["models"][:2] == mine["models"]
    assert written["server"] == mine["server"]
    assert written["router"]["threshold"] == 0.55
    assert written["router"]["candidates"][0] == mine["router"]["candidates"][0]
    added = [model.get("slug") or model["model"] for model in written["models"][2:]]
    # gpt-5.4-mini at OpenAI was already there (under another variable): not added twice.
    assert added == ["gpt-5.5", "deepseek-v4-flash", "deepseek-v4-pro"]
    slugs = [c["slug"] for c in written["router"]["candidates"]]
    assert slugs == ["house", "gpt-5-5", "deepseek-v4-flash", "deepseek-v4-pro"]
    assert load_settings(path).router is not None


def test_a_codex_shim_models_file_is_imported_as_it_is(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shim = {
        "customModels": [
            {
                "model": "glm-5.1",
                "baseUrl": "https://opencode.ai/zen/go/v1",
                "provider": "generic-chat-completion-api",
                "apiKeyEnv": "OPENCODE_GO_API_KEY",
                "displayName": "OpenCode GLM",
            },
            "llama3.2",
            {
                "model": "kimi-k2.6",
                "baseUrl": "https://api.moonshot.ai/v1",
                "apiKey": "sk-shim-literal-canary-42",
                "extraHeaders": {"X-Team": "${TEAM}"},
            },
        ],
        "router": {
            "classifier": "glm-5-1",
            "candidates": [{"slug": "glm-5-1", "cost": 0.3, "supportsImages": False}],
        },
    }
    (home / ".codex-shim").mkdir()
    (home / ".codex-shim" / "models.json").write_text(json.dumps(shim))
    assert cli.main(["init", "--yes"]) == 0
    written = json.loads(settings_file(home).read_text())
    assert written["models"] == shim["customModels"]
    assert written["router"] == shim["router"]
    settings = load_settings(settings_file(home))
    assert [m.slug for m in settings.models] == ["glm-5-1", "llama3-2", "kimi-k2-6"]
    # The key stays in the file as imported, but is not printed.
    out = capsys.readouterr().out
    assert "sk-shim-literal-canary-42" not in out and "<hidden>" in out and "${TEAM}" in out
    assert settings.model("glm-5-1").display_name == "OpenCode GLM"  # type: ignore[union-attr]


def test_init_with_nothing_found_writes_nothing_and_says_what_to_do(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["init", "--yes"]) == 1
    assert "OPENAI_API_KEY" in capsys.readouterr().err
    assert not settings_file(home).exists()


def test_init_refuses_to_overwrite_a_file_it_cannot_read(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEYS["OPENAI_API_KEY"])
    path = settings_file(home)
    path.parent.mkdir(parents=True)
    path.write_text('{"models": [')
    assert cli.main(["init", "--yes"]) == 1
    assert "invalid JSON at line 1" in capsys.readouterr().err
    assert path.read_text() == '{"models": ['


def test_pi_logins_are_reported_and_its_keys_never_copied(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pi = home / ".pi" / "agent"
    pi.mkdir(parents=True)
    (pi / "auth.json").write_text(
        json.dumps(
            {
                "anthropic": {"type": "api_key", "key": "sk-ant-pi-canary-77"},
                "github-copilot": {"type": "oauth", "access": "gho_x", "refresh": "r"},
                "openai-codex": {
                    "type": "oauth",
                    "access": "eyJ.pi-canary.sig",
                    "refresh": "r",
                    "accountId": "acct-pi",
                },
            }
        )
    )
    assert cli.main(["init", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "export ANTHROPIC_API_KEY" in out
    assert "github-copilot login" in out and "not supported" in out
    assert "added Pi's ChatGPT login to the accounts pool" in out
    text = settings_file(home).read_text()
    assert "pi-canary" not in text and "sk-ant-pi-canary-77" not in text
    assert any(m.kind == "codex" for m in load_settings(settings_file(home)).models)


def test_a_base_url_variable_pointing_at_the_autorouter_itself_is_ignored(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEYS["ANTHROPIC_API_KEY"])
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:8642")
    assert cli.main(["init", "--yes"]) == 0
    assert "points at the autorouter itself" in capsys.readouterr().out
    models = load_settings(settings_file(home)).models
    assert {m.base_url for m in models} == {"https://api.anthropic.com/v1"}


def test_without_yes_init_asks_before_overwriting_and_keeps_a_backup(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = settings_file(home)
    path.parent.mkdir(parents=True)
    original = '{"models": [{"model": "house-model", "provider": "ollama"}]}\n'
    path.write_text(original)
    monkeypatch.setenv("DEEPSEEK_API_KEY", KEYS["DEEPSEEK_API_KEY"])
    questions: list[str] = []
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter(["n", "y"])

    def answer(question: str) -> str:
        questions.append(question)
        return next(answers)

    monkeypatch.setattr("builtins.input", answer)
    assert cli.main(["init"]) == 1  # "n": left as it was
    assert path.read_text() == original
    assert cli.main(["init"]) == 0  # "y": written, the old one kept
    assert len(questions) == 2 and "a backup is kept" in questions[0]
    [backup] = path.parent.glob("settings.json.bak-*")
    assert backup.read_text() == original
    assert "deepseek-v4-pro" in path.read_text()
