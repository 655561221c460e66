"""A team gateway end to end: one Redis, two proxy instances, one Codex task.

Starts a real `redis-server` on a free loopback port, the mock upstreams, two real
`autorouter serve` processes sharing that Redis, and a small round-robin balancer in
front of them. The real `codex exec -m codex-auto` then runs one task through the
balancer: its round trips (the request, the tool call's result) alternate between the
instances. It prints which instance served each round trip and exits non-zero unless
the task took exactly one classifier call and one model.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from aiohttp import ClientSession, ClientTimeout, web

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from examples.auto_router_demo import model_handler, run_codex, settings_for  # noqa: E402
from examples.mockupstream import MockUpstream, classifier_handler  # noqa: E402
from examples.redis_server import REDIS_SERVER, RedisServer  # noqa: E402

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start_instance(name: str, settings: Path, work: Path, redis_url: str) -> tuple[Any, int]:
    port = free_port()
    state = work / name
    state.mkdir()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "router",
        "serve",
        "--settings",
        str(settings),
        "--port",
        str(port),
        "--routing-log",
        str(state / "routing.jsonl"),
        env={**os.environ, "AUTOROUTER_STATE_DIR": str(state), "AUTOROUTER_REDIS_URL": redis_url},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=(state / "service.log").open("wb"),
    )
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient(trust_env=False) as http:
        while time.monotonic() < deadline:
            try:
                if (await http.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                    return process, port
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
    raise SystemExit(f"instance {name} did not start; see {state / 'service.log'}")


def balancer(ports: list[int], served: list[int]) -> web.Application:
    """Round robin over the instances, one request at a time, streamed through."""
    turns = itertools.cycle(ports)
    session: dict[str, ClientSession] = {}

    async def forward(request: web.Request) -> web.StreamResponse:
        port = next(turns)
        served.append(port)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream = await session["client"].request(
            request.method,
            f"http://127.0.0.1:{port}{request.path_qs}",
            headers=headers,
            data=await request.read(),
        )
        response = web.StreamResponse(
            status=upstream.status,
            headers={k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP},
        )
        await response.prepare(request)
        async for chunk in upstream.content.iter_any():
            await response.write(chunk)
        await response.write_eof()
        upstream.release()
        return response

    async def open_session(_: web.Application) -> None:
        session["client"] = ClientSession(timeout=ClientTimeout(total=120), auto_decompress=False)

    async def close_session(_: web.Application) -> None:
        await session["client"].close()

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    app.on_startup.append(open_session)
    app.on_cleanup.append(close_session)
    return app


async def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="autorouter-team-"))
    (work / "redis").mkdir()
    if REDIS_SERVER is None:
        raise SystemExit("redis-server is not installed (make demo-team installs it as root)")
    redis = RedisServer(work / "redis")
    redis.start()
    redis_url = redis.url
    instances: list[Any] = []
    try:
        async with MockUpstream() as mock:
            mock.on("mock-classifier", classifier_handler)
            mock.on("*", model_handler)
            settings = work / "settings.json"
            settings.write_text(json.dumps(settings_for(mock), indent=2))
            started = [await start_instance(n, settings, work, redis_url) for n in ("a", "b")]
            instances = [process for process, _ in started]
            ports = [port for _, port in started]
            served: list[int] = []
            runner = web.AppRunner(balancer(ports, served), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            front = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            print(
                f"redis at {redis_url}; instances a :{ports[0]} and b :{ports[1]}; "
                f"balancer :{front}; work dir {work}\n"
            )
            status, detail = await run_codex(f"http://127.0.0.1:{front}/v1", settings, work)
            await runner.cleanup()
            classifier_calls = len(mock.requests_for("mock-classifier"))
    finally:
        for process in instances:
            process.terminate()
            await process.wait()
        redis.stop()

    names = {port: name for port, name in zip(ports, ("a", "b"), strict=True)}
    routes = []
    for name in ("a", "b"):
        log = work / name / "routing.jsonl"
        lines = log.read_text().splitlines() if log.exists() else []
        routes += [dict(json.loads(line), instance=name) for line in lines]
    decisions = sorted(
        (r for r in routes if r.get("event") == "route"), key=lambda r: str(r.get("timestamp"))
    )
    print(f"real codex exec -m codex-auto through the balancer: {status}: {detail}\n")
    print(f"{'round trip':<11} {'instance':<9} {'model':<14} reason")
    for number, record in enumerate(decisions, 1):
        print(f"{number:<11} {record['instance']:<9} {record['chosen']:<14} {record['reason']}")
    models = {r["chosen"] for r in decisions}
    used = {names[port] for port in served if port in names}
    print(
        "\nround trips per instance: "
        + ", ".join(f"{n}: {sum(r['instance'] == n for r in decisions)}" for n in ("a", "b"))
    )
    print(f"classifier calls across both instances: {classifier_calls}")
    print(f"models used for the task: {len(models)} ({', '.join(sorted(models))})")
    ok = (
        status == "ok"
        and classifier_calls == 1
        and len(models) == 1
        and used == {"a", "b"}
        and len(decisions) >= 2
    )
    print(
        "\nOne task, two instances, one classifier call, one model."
        if ok
        else "\nThe team gateway did not behave as it should (see above)."
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
