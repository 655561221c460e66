"""Settings: codex-shim files load as they are; problems are reported in one clear line."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.base import Timeouts
from router.settings import (
    Candidate,
    ModelConfig,
    Price,
    RouterConfig,
    Settings,
    SettingsError,
    SettingsStore,
    default_settings_path,
    load_settings,
    make_slug,
    parse_settings,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "settings"
CANARY = "sk-CANARY-7f3a9c2e-never-print-me"
SLUG_SHAPE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def error_of(data: Any, source: Path | None = Path("/cfg/settings.json")) -> str:
    with pytest.raises(SettingsError) as caught:
        parse_settings(data, source)
    return str(caught.value)


def two_models(**router: Any) -> dict[str, Any]:
    return {
        "models": [
            {"model": "cheap", "provider": "openai"},
            {"model": "smart", "provider": "anthropic", "no_image_support": True},
        ],
        "router": {"classifier": "cheap", "candidates": [{"slug": "cheap", "cost": 1}], **router},
    }


class TestCodexShimFiles:
    def test_snake_case_file_with_router(self) -> None:
        loaded = load_settings(FIXTURES / "models-snake.json")

        assert loaded.source == FIXTURES / "models-snake.json"
        assert loaded.slugs() == [
            "codex-auto",
            "gpt-5-5",
            "claude-opus-4-7-20251109",
            "deepseek-v4-pro",
            "ocgo-glm-5-1",
            "llama3-2",
        ]
        gpt = loaded.model("gpt-5-5")
        assert gpt is not None
        assert (gpt.model, gpt.kind, gpt.base_url) == (
            "gpt-5.5",
            "chat",
            "https://api.openai.com/v1",
        )
        assert gpt.display_name == "OpenAI GPT-5.5"
        assert gpt.api_key_env == "OPENAI_API_KEY"
        assert gpt.max_context_limit == 400000
        deepseek = loaded.model("deepseek-v4-pro")
        assert deepseek is not None
        assert deepseek.kind == "anthropic"
        assert deepseek.base_url == "https://api.deepseek.com/anthropic"
        assert deepseek.api_key == "${DEEPSEEK_API_KEY}"  # kept as written, resolved per request
        assert not deepseek.supports_images
        glm = loaded.model("ocgo-glm-5-1")
        assert glm is not None and glm.model == "glm-5.1"

        router = loaded.router
        assert router is not None
        assert loaded.auto_slug == "codex-auto"
        assert router.classifier == "ocgo-glm-5-1"
        assert router.default == "ocgo-glm-5-1"
        assert router.threshold == 0.7
        assert [c.slug for c in router.candidates] == [
            "ocgo-glm-5-1",
            "deepseek-v4-pro",
            "claude-opus-4-7-20251109",
        ]
        assert [c.supports_images for c in router.candidates] == [False, False, True]
        assert router.candidates[0].card.startswith("Cheap, fast.")

    def test_legacy_custom_models_with_camel_case_aliases(self) -> None:
        loaded = load_settings(FIXTURES / "models-camel-legacy.json")

        assert loaded.slugs() == ["kimi-k2-6"]
        assert loaded.router is None and loaded.auto_slug is None
        kimi = loaded.models[0]
        assert kimi.base_url == "https://api.moonshot.ai/v1"
        assert kimi.api_key_env == "MOONSHOT_API_KEY"
        assert kimi.display_name == "Kimi K2.6"
        assert kimi.max_context_limit == 256000
        assert kimi.max_output_tokens == 32000
        assert kimi.no_image_support is True
        assert kimi.extra_headers == {"X-Client": "codex"}

    def test_launch_models_mixing_bare_strings_and_objects(self) -> None:
        loaded = load_settings(FIXTURES / "launch-models.json")

        assert loaded.slugs() == ["qwen3-coder", "gpt-oss-20b", "devstral"]
        assert {m.provider for m in loaded.models} == {"ollama"}
        assert {m.kind for m in loaded.models} == {"chat"}
        bare = loaded.models[0]
        assert (bare.model, bare.base_url) == ("qwen3-coder", "http://127.0.0.1:11434/v1")
        assert bare.resolve_api_key({}) is None
        assert loaded.models[2].base_url == "http://10.0.0.5:11434/v1"

    def test_a_bare_top_level_list_of_model_rows(self, tmp_path: Path) -> None:
        loaded = load_settings(FIXTURES / "bare-list.json")

        assert loaded.slugs() == ["gpt-5-4-mini", "deepseek-v4-pro", "qwen3-coder"]
        assert loaded.router is None and loaded.auto_slug is None
        mini, deepseek, qwen = loaded.models
        assert (mini.kind, mini.api_key_env, mini.display_name) == (
            "chat",
            "OPENAI_API_KEY",
            "GPT-5.4 mini",
        )
        assert (deepseek.kind, deepseek.api_key) == ("anthropic", "${DEEPSEEK_API_KEY}")
        assert not deepseek.supports_images
        assert (qwen.provider, qwen.base_url) == ("ollama", "http://127.0.0.1:11434/v1")
        # The store re-reads such a file like any other.
        path = tmp_path / "models.json"
        path.write_text((FIXTURES / "bare-list.json").read_text())
        store = SettingsStore(path, check_interval=0)
        write(path, [{"model": "m", "provider": "openai"}])
        os.utime(path, ns=(1, 1))
        assert store.current().slugs() == ["m"]

    def test_a_bare_list_reports_rows_like_the_models_list(self) -> None:
        assert error_of([{"model": "m"}]).startswith(
            '/cfg/settings.json: models[0] (slug "m"): provider: required'
        )
        assert error_of([]) == '/cfg/settings.json: no models: add a "models" list'

    def test_snake_case_launch_models_key(self) -> None:
        loaded = parse_settings({"launch_models": ["qwen3-coder"]})
        assert loaded.slugs() == ["qwen3-coder"]

    def test_unknown_keys_are_ignored(self) -> None:
        loaded = parse_settings(
            {"models": [{"model": "m", "provider": "openai", "reasoningMode": "x"}], "theme": 1}
        )
        assert loaded.slugs() == ["m"]

    def test_thinking_alias(self) -> None:
        loaded = parse_settings(
            {"models": [{"model": "c", "provider": "anthropic", "supports_thinking": True}]}
        )
        assert loaded.models[0].thinking is True


class TestProviders:
    @pytest.mark.parametrize(
        ("provider", "kind", "base_url"),
        [
            ("openai", "chat", "https://api.openai.com/v1"),
            ("anthropic", "anthropic", "https://api.anthropic.com/v1"),
            ("ollama", "chat", "http://127.0.0.1:11434/v1"),
            ("codex", "codex", "https://chatgpt.com/backend-api/codex"),
        ],
    )
    def test_default_base_urls(self, provider: str, kind: str, base_url: str) -> None:
        model = ModelConfig.model_validate({"model": "m", "provider": provider})
        assert (model.kind, model.base_url) == (kind, base_url)

    @pytest.mark.parametrize(
        ("given", "expected"),
        [
            ("http://gpu:11434", "http://gpu:11434/v1"),
            ("http://gpu:11434/", "http://gpu:11434/v1"),
            ("http://gpu:11434/v1", "http://gpu:11434/v1"),
            ("http://gpu:11434/v1/", "http://gpu:11434/v1"),
        ],
    )
    def test_ollama_base_url_gets_v1(self, given: str, expected: str) -> None:
        model = ModelConfig.model_validate({"model": "m", "provider": "ollama", "baseUrl": given})
        assert model.base_url == expected

    def test_base_url_without_provider_means_generic_chat(self) -> None:
        model = ModelConfig.model_validate({"model": "m", "base_url": "http://h/v1"})
        assert (model.provider, model.kind) == ("generic-chat-completion-api", "chat")

    def test_generic_needs_a_base_url(self) -> None:
        data = {
            "models": ["a", "b", {"model": "kimi-k2.6", "provider": "generic-chat-completion-api"}]
        }
        assert error_of(data) == (
            '/cfg/settings.json: models[2] (slug "kimi-k2-6"): '
            "base_url: required for provider generic-chat-completion-api"
        )

    def test_no_provider_and_no_base_url(self) -> None:
        message = error_of({"models": [{"model": "m"}]})
        assert message.startswith('/cfg/settings.json: models[0] (slug "m"): provider: required')

    def test_unknown_provider(self) -> None:
        message = error_of({"models": [{"model": "m", "provider": "azure"}]})
        assert 'models[0] (slug "m"): provider: unknown provider "azure"' in message


class TestSlugs:
    @pytest.mark.parametrize(
        ("name", "slug"),
        [
            ("kimi-k2.6", "kimi-k2-6"),
            ("gpt-oss:20b", "gpt-oss-20b"),
            ("Qwen/Qwen3-Coder 480B", "qwen-qwen3-coder-480b"),
            ("--x__y--", "x-y"),
        ],
    )
    def test_made_from_model_name(self, name: str, slug: str) -> None:
        assert make_slug(name) == slug

    def test_explicit_slug_wins(self) -> None:
        loaded = parse_settings(
            {"models": [{"slug": "mine", "model": "glm-5.1", "provider": "openai"}]}
        )
        assert loaded.slugs() == ["mine"]

    def test_duplicate_slugs_name_both_entries(self) -> None:
        data = {"models": [{"model": "a.b", "provider": "openai"}], "customModels": ["a-b"]}
        assert error_of(data) == (
            '/cfg/settings.json: models[0] and customModels[0] both have slug "a-b"'
        )

    def test_name_without_letters_needs_a_slug(self) -> None:
        message = error_of({"models": [{"model": "...", "provider": "openai"}]})
        assert "models[0]: slug: cannot be made from this model name; give a slug" in message

    @settings(max_examples=200, deadline=None)
    @given(st.text(max_size=40).filter(lambda s: re.search(r"[A-Za-z0-9]", s) is not None))
    def test_slug_shape_and_idempotence(self, name: str) -> None:
        slug = make_slug(name)
        assert SLUG_SHAPE.match(slug)
        assert make_slug(slug) == slug


class TestKeys:
    def test_interpolation_is_resolved_per_call(self) -> None:
        model = ModelConfig.model_validate(
            {"model": "m", "provider": "openai", "api_key": "pre-${K1}-${K2}"}
        )
        environ = {"K1": "a", "K2": "b"}
        assert model.resolve_api_key(environ) == "pre-a-b"
        environ["K2"] = "c"
        assert model.resolve_api_key(environ) == "pre-a-c"

    def test_api_key_env_is_resolved_per_call(self) -> None:
        model = ModelConfig.model_validate(
            {"model": "m", "provider": "openai", "apiKeyEnv": "MY_KEY"}
        )
        environ: dict[str, str] = {}
        assert model.resolve_api_key(environ) is None
        assert model.missing_key_variable(environ) == "MY_KEY"
        environ["MY_KEY"] = "k1"
        assert model.resolve_api_key(environ) == "k1"
        assert model.target(environ).api_key == "k1"
        assert model.missing_key_variable(environ) is None

    def test_defaults_to_the_process_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        model = ModelConfig.model_validate(
            {"model": "m", "provider": "openai", "api_key_env": "XK"}
        )
        monkeypatch.setenv("XK", "from-env")
        assert model.resolve_api_key() == "from-env"

    def test_unset_variable_in_api_key_is_named(self) -> None:
        model = ModelConfig.model_validate(
            {"model": "m", "provider": "openai", "api_key": "${DEEPSEEK_API_KEY}"}
        )
        assert model.resolve_api_key({}) is None
        assert model.missing_key_variable({}) == "DEEPSEEK_API_KEY"

    def test_empty_variable_counts_as_unset(self) -> None:
        model = ModelConfig.model_validate({"model": "m", "provider": "openai", "api_key_env": "E"})
        assert model.resolve_api_key({"E": ""}) is None

    def test_literal_key_and_no_key(self) -> None:
        literal = ModelConfig.model_validate(
            {"model": "m", "provider": "ollama", "api_key": "ollama"}
        )
        assert literal.resolve_api_key({}) == "ollama"
        assert literal.missing_key_variable({}) is None
        keyless = ModelConfig.model_validate({"model": "m", "provider": "ollama"})
        assert keyless.resolve_api_key({}) is None
        assert keyless.missing_key_variable({}) is None

    def test_api_keys_are_stored_and_used_last(self) -> None:
        model = ModelConfig.model_validate(
            {"model": "m", "provider": "openai", "api_keys": ["${A}", "b"]}
        )
        assert model.api_keys == ["${A}", "b"]
        assert model.resolve_api_key({"A": "a"}) == "a"

    def test_key_never_in_repr_or_str(self) -> None:
        model = ModelConfig.model_validate(
            {
                "model": "m",
                "provider": "openai",
                "api_key": CANARY,
                "api_keys": [CANARY],
                "extra_headers": {"Authorization": CANARY},
            }
        )
        loaded = Settings(models=[model])
        for text in (repr(model), str(model), repr(loaded), str(loaded), repr(model.target({}))):
            assert CANARY not in text


class TestTarget:
    def test_fills_everything_an_adapter_needs(self) -> None:
        model = ModelConfig.model_validate(
            {
                "model": "claude-x",
                "provider": "anthropic",
                "base_url": "https://${HOST}/v1",
                "api_key": "${KEY}",
                "extraHeaders": {"X-Org": "${ORG}", "X-Fixed": "v", "X-Gone": "${UNSET}"},
                "maxContextLimit": 200000,
                "maxOutputTokens": 8000,
                "noImageSupport": True,
                "thinking": True,
                "connect_timeout": 3,
                "first_byte_timeout": 60,
                "idle_timeout": 90.5,
            }
        )
        target = model.target({"HOST": "proxy.example", "KEY": "k", "ORG": "o"})

        assert (target.slug, target.kind, target.model) == ("claude-x", "anthropic", "claude-x")
        assert target.base_url == "https://proxy.example/v1"
        assert target.api_key == "k"
        assert dict(target.extra_headers) == {"X-Org": "o", "X-Fixed": "v"}
        assert (target.context_window, target.max_output_tokens) == (200000, 8000)
        assert (target.supports_images, target.supports_thinking) == (False, True)
        assert target.timeouts == Timeouts(connect=3, first_byte=60, idle=90.5)

    def test_default_timeouts(self) -> None:
        target = ModelConfig.model_validate({"model": "m", "provider": "openai"}).target({})
        assert target.timeouts == Timeouts(connect=10, first_byte=300, idle=300)

    def test_unset_variable_in_base_url_is_an_error_naming_it(self) -> None:
        model = ModelConfig.model_validate(
            {"model": "m", "provider": "openai", "base_url": "${GATEWAY}/v1"}
        )
        with pytest.raises(SettingsError, match="GATEWAY is not set"):
            model.target({})
        assert model.missing_variables({}) == ["GATEWAY"]


class TestPrice:
    def test_cached_tokens_billed_at_cached_rate(self) -> None:
        price = Price(input=2.0, cached_input=0.5, output=10.0)
        assert price.cost(1_000_000, 400_000, 100_000) == pytest.approx(1.2 + 0.2 + 1.0)

    def test_without_cached_rate_cached_tokens_cost_full_price(self) -> None:
        price = Price(input=2.0, cached_input=None, output=10.0)
        assert price.cost(1_000_000, 400_000, 0) == pytest.approx(2.0)

    def test_camel_case_cached_input_in_file(self) -> None:
        loaded = parse_settings(
            {
                "models": [
                    {
                        "model": "m",
                        "provider": "openai",
                        "price": {"input": 1, "cachedInput": 0.1, "output": 4},
                    }
                ]
            }
        )
        assert loaded.models[0].price == Price(input=1, cached_input=0.1, output=4)


class TestErrors:
    def test_wrong_type_for_a_known_field(self) -> None:
        message = error_of(
            {"models": [{"model": "m", "provider": "openai", "maxContextLimit": "big"}]}
        )
        assert message.startswith('/cfg/settings.json: models[0] (slug "m"): max_context_limit: ')

    def test_nested_field_is_located(self) -> None:
        message = error_of(
            {"models": [{"model": "m", "provider": "openai", "price": {"input": 1}}]}
        )
        assert message == '/cfg/settings.json: models[0] (slug "m"): price.output: required'

    def test_no_key_value_in_any_error(self) -> None:
        entry = {"model": "m", "provider": "openai", "api_key": CANARY, "idle_timeout": -1}
        broken = [
            {"models": [entry]},
            {"models": [{**entry, "idle_timeout": 1, "api_key": [CANARY]}]},
            {"models": [{**entry, "idle_timeout": 1, "apiKey": CANARY + "x"}]},
            {"models": [{**entry, "idle_timeout": 1, "api_keys": [CANARY, 3]}]},
            {"models": [{**entry, "idle_timeout": 1, "extra_headers": {"A": CANARY, "B": 2}}]},
            {"models": [{**entry, "idle_timeout": 1}, {**entry, "idle_timeout": 1}]},
        ]
        for data in broken:
            message = error_of(data)
            assert CANARY not in message
            assert "models[" in message

    def test_a_key_pasted_as_api_key_env_is_rejected_without_echo(self) -> None:
        message = error_of(
            {"models": [{"model": "m", "provider": "openai", "api_key_env": CANARY}]}
        )
        assert message == (
            '/cfg/settings.json: models[0] (slug "m"): api_key_env: must be the name of an '
            "environment variable (put a key itself in api_key)"
        )

    def test_same_field_spelt_twice_differently(self) -> None:
        message = error_of(
            {
                "models": [
                    {
                        "model": "m",
                        "provider": "openai",
                        "base_url": "http://a",
                        "baseUrl": "http://b",
                    }
                ]
            }
        )
        assert message == (
            '/cfg/settings.json: models[0] (slug "m"): base_url: given twice, as base_url and baseUrl'
        )

    def test_not_an_object(self) -> None:
        assert "expected a JSON object" in error_of("models")
        assert "models[0]: expected an object or a model name string" in error_of([1, 2])

    def test_no_models(self) -> None:
        assert error_of({"models": []}) == '/cfg/settings.json: no models: add a "models" list'

    def test_invalid_json_gives_line_and_column(self, tmp_path: Path) -> None:
        path = tmp_path / "settings.json"
        path.write_text('{\n  "models": [\n    "a",,\n  ]\n}\n', encoding="utf-8")
        with pytest.raises(SettingsError) as caught:
            load_settings(path)
        assert str(caught.value).startswith(f"{path}: invalid JSON at line 3 column 9")

    def test_missing_file_names_the_path(self, tmp_path: Path) -> None:
        path = tmp_path / "nope.json"
        with pytest.raises(SettingsError, match=re.escape(f"{path}: settings file not found")):
            load_settings(path)


class TestRouter:
    def test_defaults(self) -> None:
        router = parse_settings(two_models()).router
        assert router == RouterConfig(
            classifier="cheap", candidates=[Candidate(slug="cheap", cost=1, supports_images=True)]
        )
        assert (router.slug, router.display_name, router.threshold) == (
            "codex-auto",
            "Auto (smart routing)",
            0.7,
        )
        assert (router.cache_size, router.cache_ttl, router.fallback_attempts) == (1024, 21600, 2)
        assert (router.classifier_timeout, router.cooldown, router.classifier_prompt_tokens) == (
            10,
            60,
            2000,
        )

    def test_candidate_images_default_to_the_model(self) -> None:
        data = two_models(candidates=[{"slug": "cheap", "cost": 1}, {"slug": "smart", "cost": 5}])
        router = parse_settings(data).router
        assert router is not None
        assert [c.supports_images for c in router.candidates] == [True, False]

    @pytest.mark.parametrize(
        ("router", "expected"),
        [
            (
                {"candidates": [{"slug": "nope", "cost": 1}]},
                'router.candidates[0]: slug "nope" is not a configured model',
            ),
            ({"classifier": "nope"}, 'router.classifier: "nope" is not a configured model'),
            ({"default": "nope"}, 'router.default: "nope" is not a configured model'),
            (
                {"compaction_model": "nope"},
                'router.compaction_model: "nope" is not a configured model',
            ),
            ({"threshold": 1.5}, "router.threshold: Input should be less than or equal to 1"),
            ({"slug": "smart"}, 'router.slug: "smart" is also the slug of a configured model'),
            (
                {"candidates": []},
                "router.candidates: at least one is required while the router is enabled",
            ),
            ({"classifier": None}, "router.classifier: required while the router is enabled"),
        ],
    )
    def test_invalid_router(self, router: dict[str, Any], expected: str) -> None:
        assert error_of(two_models(**router)).startswith(f"/cfg/settings.json: {expected}")

    def test_disabled_router_needs_no_candidates(self) -> None:
        loaded = parse_settings(two_models(enabled=False, candidates=[]))
        assert loaded.auto_slug is None
        assert loaded.slugs() == ["cheap", "smart"]


class TestServer:
    def test_defaults_and_overrides(self) -> None:
        assert parse_settings(two_models()).server.port == 8642
        loaded = parse_settings({**two_models(), "server": {"port": 9000, "allowedHosts": ["box"]}})
        server = loaded.server
        assert (server.host, server.port, server.allowed_hosts) == ("127.0.0.1", 9000, ["box"])
        assert server.max_body_bytes == 32 * 1024 * 1024

    def test_bad_port(self) -> None:
        message = error_of({**two_models(), "server": {"port": 70000}})
        assert message.startswith("/cfg/settings.json: server.port: ")


class TestDefaultPath:
    def test_explicit_variable_wins(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("AUTOROUTER_SETTINGS", "/x/s.json")
        assert default_settings_path() == Path("/x/s.json")

    def test_xdg_then_home(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        monkeypatch.delenv("AUTOROUTER_SETTINGS", raising=False)
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
        assert default_settings_path() == tmp_path / "codex-autorouter" / "settings.json"
        monkeypatch.delenv("XDG_CONFIG_HOME")
        monkeypatch.setenv("HOME", str(tmp_path))
        assert (
            default_settings_path() == tmp_path / ".config" / "codex-autorouter" / "settings.json"
        )


class TestSettingsStore:
    def test_edits_take_effect_and_bad_edits_keep_the_last_good(self, tmp_path: Path) -> None:
        path = write(tmp_path / "settings.json", {"models": ["one"]})
        store = SettingsStore(path, check_interval=0)
        assert store.current().slugs() == ["one"]
        assert store.last_error is None

        write(path, {"models": ["one", "two"]})
        assert store.current().slugs() == ["one", "two"]

        path.write_text('{"models": [', encoding="utf-8")
        assert store.current().slugs() == ["one", "two"]
        assert store.last_error is not None
        assert store.last_error.startswith(f"{path}: invalid JSON")

        write(path, {"models": ["three"]})
        assert store.current().slugs() == ["three"]
        assert store.last_error is None

    def test_a_bad_edit_is_logged_once(self, tmp_path: Path) -> None:
        from structlog.testing import capture_logs

        path = write(tmp_path / "settings.json", {"models": ["one"]})
        store = SettingsStore(path, check_interval=0)
        write(
            path,
            {
                "models": [
                    {
                        "model": "x",
                        "provider": "openai",
                        "api_key": CANARY,
                        "port": 1,
                        "idle_timeout": 0,
                    }
                ]
            },
        )
        with capture_logs() as logs:
            for _ in range(3):
                store.current()
        invalid = [entry for entry in logs if entry["event"] == "settings_invalid"]
        assert len(invalid) == 1
        assert "idle_timeout" in invalid[0]["error"]
        assert CANARY not in json.dumps(logs)

    def test_a_deleted_file_keeps_the_last_good(self, tmp_path: Path) -> None:
        path = write(tmp_path / "settings.json", {"models": ["one"]})
        store = SettingsStore(path, check_interval=0)
        os.remove(path)
        assert store.current().slugs() == ["one"]
        assert store.last_error is not None and "not found" in store.last_error

    def test_initial_load_errors_are_raised(self, tmp_path: Path) -> None:
        with pytest.raises(SettingsError):
            SettingsStore(tmp_path / "missing.json")

    def test_given_initial_settings_are_used(self, tmp_path: Path) -> None:
        path = write(tmp_path / "settings.json", {"models": ["one"]})
        initial = parse_settings({"models": ["preset"]})
        assert SettingsStore(path, initial, check_interval=0).current() is initial

    def test_between_checks_the_file_is_not_read(self, tmp_path: Path) -> None:
        path = write(tmp_path / "settings.json", {"models": ["one"]})
        store = SettingsStore(path, check_interval=3600)
        write(path, {"models": ["one", "two"]})
        assert store.current().slugs() == ["one"]
