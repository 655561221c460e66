"""Auto routing end to end, with no keys and no network.

Starts the mock upstreams (cheap, mid and strong text models, an image-capable model and a
classifier that scores only from what is visible in the prompt), starts the real proxy
with the Auto router on, and sends it tasks:

- trivial -> cheap, medium -> mid, hard -> strong, an image -> the image-capable model;
- the same task again (a tool round trip of it) -> served from the decision cache;
- the classifier down -> the configured default;
- one task through the real `codex exec -m codex-auto`, which runs the chosen model's
  tool call in a scratch workspace.

It prints what was chosen and why, and exits non-zero if any routing was not what this
setup should produce, so `make demo` cannot pass on a broken router.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from examples.mockupstream import HttpError, MockUpstream, Text, ToolCall, classifier_handler  # noqa: E402
from router.app.picker import PICKER, TOKEN_HEADER  # noqa: E402
from router.app.server import create_app  # noqa: E402
from router.codex_setup.catalog import codex_overrides, write_catalog  # noqa: E402
from router.routing.auto.explain import summarize_routing_log  # noqa: E402
from router.settings import SettingsStore, load_settings  # noqa: E402
from router.telemetry.logs import configure_logging  # noqa: E402

RED_PIXEL_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
    "z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


def settings_for(mock: MockUpstream) -> dict[str, Any]:
    def chat(slug: str, price: tuple[float, float], **extra: Any) -> dict[str, Any]:
        return {
            "slug": slug,
            "model": slug,
            "provider": "generic-chat-completion-api",
            "base_url": mock.base_url,
            "price": {"input": price[0], "output": price[1]},
            **extra,
        }

    return {
        "models": [
            chat("cheap-coder", (0.1, 0.4), no_image_support=True),
            chat("mid-coder", (0.6, 2.4), no_image_support=True),
            chat("strong-coder", (3.0, 15.0), no_image_support=True),
            {
                "slug": "vision-model",
                "model": "vision-model",
                "provider": "anthropic",
                "base_url": mock.anthropic_base_url,
                "price": {"input": 4.0, "output": 20.0},
            },
            chat("mock-classifier", (0.05, 0.2)),
        ],
        "router": {
            "enabled": True,
            "slug": "codex-auto",
            "classifier": "mock-classifier",
            "threshold": 0.7,
            "default": "mid-coder",
            "candidates": [
                {
                    "slug": "cheap-coder",
                    "cost": 0.1,
                    "card": "Cheap, fast and small. Simple single-file edits.",
                },
                {
                    "slug": "mid-coder",
                    "cost": 0.6,
                    "card": "Solid general coder. Refactors, bug fixes, tests.",
                },
                {
                    "slug": "strong-coder",
                    "cost": 3.0,
                    "card": "Strong reasoning, frontier. Hard multi-file and concurrency work.",
                },
                {
                    "slug": "vision-model",
                    "cost": 4.0,
                    "card": "Reads images and screenshots; solid general coder.",
                },
            ],
        },
    }


def model_handler(body: dict[str, Any]) -> Any:
    """Every text model: run a shell command when asked to create a file, else answer."""
    messages = body.get("messages") or []
    last = messages[-1] if messages else {}
    if last.get("role") == "tool" or (
        isinstance(last.get("content"), list)
        and any(block.get("type") == "tool_result" for block in last["content"])
    ):
        return Text("Done: the file is there.")
    if "create hello.txt" in json.dumps(messages):
        return ToolCall("exec_command", {"cmd": "echo hello from auto > hello.txt"})
    return Text(f"Answer from {body.get('model')}.")


@dataclass
class Task:
    name: str
    prompt: str
    expected: str
    image: bool = False
    session: str = ""
    turn: str = ""


async def send(client: httpx.AsyncClient, base_url: str, task: Task) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "input_text", "text": task.prompt}]
    if task.image:
        content.insert(0, {"type": "input_image", "image_url": RED_PIXEL_PNG})
    headers = {
        "session-id": task.session,
        "x-codex-turn-metadata": json.dumps({"turn_id": task.turn, "request_kind": "turn"}),
    }
    body = {
        "model": "codex-auto",
        "stream": True,
        "input": [{"type": "message", "role": "user", "content": content}],
    }
    response = await client.post(f"{base_url}/responses", json=body, headers=headers)
    return {
        "status": response.status_code,
        "chosen": response.headers.get("x-autorouter-model"),
        "reason": response.headers.get("x-autorouter-reason"),
        "completed": "event: response.completed" in response.text,
        "request_id": response.headers.get("x-request-id"),
    }


def decision_for(records: list[dict[str, Any]], request_id: str | None) -> dict[str, Any]:
    for record in records:
        if record.get("event") == "route" and record.get("request_id") == request_id:
            return record
    return {}


async def run_codex(base_url: str, settings_path: Path, workdir: Path) -> tuple[str, str]:
    codex = REPO / ".tools" / "node_modules" / ".bin" / "codex"
    if not codex.exists():
        return "skipped", "Codex CLI not installed (make demo installs it)"
    home = workdir / "codex-home"
    workspace = workdir / "workspace"
    home.mkdir()
    workspace.mkdir()
    catalog = write_catalog(load_settings(settings_path), workdir / "catalog.json")
    command = [
        str(codex),
        "exec",
        "--skip-git-repo-check",
        "--sandbox",
        "workspace-write",
        "--disable",
        "unbounded_connection_retries",
        "--json",
        *codex_overrides(base_url, catalog, "codex-auto"),
        "--",
        "create hello.txt",
    ]
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=workspace,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": str(home), "CODEX_HOME": str(home)},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await asyncio.wait_for(process.communicate(), 120)
    except TimeoutError:
        process.terminate()
        return "failed", "codex exec timed out"
    created = workspace / "hello.txt"
    if process.returncode == 0 and created.exists():
        return "ok", f"codex exec exit 0, hello.txt = {created.read_text().strip()!r}"
    return "failed", f"codex exec exit {process.returncode}, hello.txt exists: {created.exists()}"


async def dashboard_check(origin: str, token: str) -> str:
    """What the proxy's own dashboard reports for the demo's requests."""
    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
        page = await client.get(f"{origin}/dashboard")
        data = await client.get(f"{origin}/api/dashboard", headers={TOKEN_HEADER: token})
    if page.status_code != 200 or data.status_code != 200:
        return f"dashboard answered {page.status_code}/{data.status_code}"
    summary = data.json()
    return (
        f"{summary['totals']['requests']} requests, {summary['decisions']['total']} decisions "
        f"at {origin}/dashboard while the demo ran"
    )


async def main() -> int:
    configure_logging(open("/dev/null", "w"))  # noqa: SIM115 - the demo prints its own table
    workdir = Path(tempfile.mkdtemp(prefix="autorouter-demo-"))
    async with MockUpstream() as mock:
        mock.on("mock-classifier", classifier_handler)
        mock.on("*", model_handler)
        settings_path = workdir / "settings.json"
        settings_path.write_text(json.dumps(settings_for(mock), indent=2))
        routing_log = workdir / "routing.jsonl"
        app = create_app(SettingsStore(settings_path), routing_log_path=routing_log)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        base_url = f"http://127.0.0.1:{port}/v1"
        print(f"mock upstreams at {mock.root_url}; proxy at {base_url}; work dir {workdir}\n")

        trivial = Task("trivial", "Say hi and print hello.", "cheap-coder")
        tasks = [
            trivial,
            Task("medium", "Refactor the config parser and write tests for it.", "mid-coder"),
            Task(
                "hard",
                "Redesign the architecture of the job scheduler to remove a race condition in "
                "its concurrency layer; this is a multi-file change.",
                "strong-coder",
            ),
            Task("image", "What is wrong in this screenshot?", "vision-model", image=True),
            Task("repeat (tool round trip)", trivial.prompt, "cheap-coder"),
            Task("classifier down", "Rename the variable x to count.", "mid-coder"),
        ]
        for task in tasks:
            task.session = str(uuid.uuid4())
            task.turn = str(uuid.uuid4())
        tasks[4].session, tasks[4].turn = trivial.session, trivial.turn

        rows = []
        async with httpx.AsyncClient(timeout=60, trust_env=False) as client:
            for task in tasks:
                if task.name == "classifier down":
                    mock.script(
                        "mock-classifier",
                        HttpError(500, {"error": {"message": "classifier offline"}}),
                    )
                outcome = await send(client, base_url, task)
                rows.append((task, outcome))

        codex_status, codex_detail = await run_codex(base_url, settings_path, workdir)
        dashboard = await dashboard_check(f"http://127.0.0.1:{port}", app[PICKER].token)

        records = [json.loads(line) for line in routing_log.read_text().splitlines() if line]
        await runner.cleanup()

    failures = 0
    print(f"{'task':<26} {'expected':<14} {'chosen':<14} {'reason':<18} {'score':>5}  classifier")
    print("-" * 92)
    for task, outcome in rows:
        decision = decision_for(records, outcome["request_id"])
        score = next(
            (
                c.get("score")
                for c in decision.get("candidates", [])
                if c.get("slug") == outcome["chosen"]
            ),
            None,
        )
        classifier = (
            f"{decision['classifier_ms']:.0f} ms, {decision.get('classifier_tokens') or 0} tok"
            if decision.get("classifier_ms") is not None and not decision.get("cache_hit")
            else (decision.get("classifier_error") or "not called")
        )
        ok = outcome["chosen"] == task.expected and outcome["completed"]
        failures += not ok
        mark = "" if ok else "   <-- unexpected"
        print(
            f"{task.name:<26} {task.expected:<14} {outcome['chosen'] or '-':<14} "
            f"{outcome['reason'] or '-':<18} {score if score is not None else '-':>5}  {classifier}{mark}"
        )
    cache_hit = rows[4][1]["reason"] == "cache_hit"
    fallback = rows[5][1]["reason"] == "classifier_failed"
    failures += (not cache_hit) + (not fallback)
    print(f"\nreal codex exec -m codex-auto: {codex_status}: {codex_detail}")
    failures += codex_status == "failed"
    print("\n" + summarize_routing_log(records, load_settings(settings_path)))
    print(
        "\nThe classifier saw only the prompt and the cards (never a price); see the routing log:"
    )
    print(f"  {routing_log}")
    print(f"\nThe dashboard showed them too ({dashboard}). To look at it yourself:")
    print(
        f"  .venv/bin/autorouter serve --settings {settings_path} --routing-log {routing_log}"
        " --port 8650"
    )
    print("  then open http://127.0.0.1:8650/dashboard (and /metrics for Prometheus)")
    if failures:
        print(f"\n{failures} routing outcome(s) were not what this setup should produce.")
        return 1
    print("\nEvery task went where it should.")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
