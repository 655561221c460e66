"""Run tasks through real Codex and the proxy, once per route, and judge each run.

    python -m benchmarks.run --settings S --routes codex-auto,cheap,strong [--tasks GLOBS]
        [--repeat N] [--jobs J] [--out results.jsonl] [--proxy URL --routing-log PATH]
    python -m benchmarks.run --sim --routes codex-auto,cheap,mid,strong   # offline, no keys

Results go to `--out` as JSON lines, one per run (see benchmarks/harness/results.py);
Codex's own `--json` events go next to it, in `<out>.codex/`. Ctrl-C keeps every
finished run, and `--resume` picks an interrupted benchmark up where it stopped.
Then: `python -m benchmarks.report <out>`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path

from benchmarks.harness.codex_runner import DEFAULT_CODEX
from benchmarks.harness.progress import Progress
from benchmarks.harness.proxy import ProxyHandle, external_proxy, start_proxy
from benchmarks.harness.results import read_results
from benchmarks.harness.runner import BenchContext, plan_jobs, run_all
from benchmarks.harness.tasks import TASKS_DIR, load_tasks
from benchmarks.sim import setup as sim_setup
from examples.mockupstream import MockUpstream
from router.codex_setup.catalog import write_catalog
from router.settings import Settings, SettingsError, load_settings
from router.settings.paths import state_dir
from router.telemetry.logs import configure_logging, routing_log_path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--settings", help="the proxy settings file (your models and keys)")
    source.add_argument("--sim", action="store_true", help="offline: simulated models, no keys")
    parser.add_argument(
        "--routes", required=True, help="comma-separated slugs, e.g. codex-auto,cheap"
    )
    parser.add_argument("--tasks", default="*", help="comma-separated task names or globs")
    parser.add_argument("--exclude", default="", help="comma-separated globs to leave out")
    parser.add_argument("--tasks-dir", default=str(TASKS_DIR))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1, help="parallel runs (one proxy each)")
    parser.add_argument("--out", help="results file (default benchmarks/results/<time>.jsonl)")
    parser.add_argument("--resume", action="store_true", help="skip runs already in --out")
    parser.add_argument("--proxy", help="use this running proxy instead of starting one")
    parser.add_argument("--routing-log", help="that proxy's routing log (default: its state dir)")
    parser.add_argument("--seed", type=int, default=0, help="the simulation's seed")
    parser.add_argument("--time-limit", type=float, help="seconds per run (default: per task)")
    parser.add_argument("--codex", default=str(DEFAULT_CODEX), help="the Codex CLI to run")
    parser.add_argument("--keep-workdir", action="store_true", help="keep workspaces for a look")
    args = parser.parse_args(argv)
    if args.proxy and args.sim:
        parser.error("--sim starts its own proxy; --proxy is for your running one")
    if args.proxy and args.jobs != 1:
        parser.error("--proxy runs one job at a time (its log is shared; see records.py)")
    if args.repeat < 1 or args.jobs < 1:
        parser.error("--repeat and --jobs must be at least 1")
    return args


def split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def check_routes(routes: list[str], settings: Settings) -> None:
    known = settings.slugs()
    unknown = [route for route in routes if route not in known]
    if unknown:
        raise SystemExit(
            f"unknown route(s) {', '.join(unknown)}; the settings offer {', '.join(known)}"
        )


def results_path(args: argparse.Namespace) -> Path:
    if args.out:
        return Path(args.out)
    return RESULTS_DIR / f"{time.strftime('%Y%m%d-%H%M%S')}.jsonl"


async def amain(args: argparse.Namespace, out: Path, workdir: Path) -> int:
    codex_bin = Path(args.codex)
    if not codex_bin.exists():
        raise SystemExit(f"Codex CLI not found at {codex_bin} (`make setup` installs it)")
    tasks = load_tasks(split(args.tasks), split(args.exclude), Path(args.tasks_dir))
    routes = split(args.routes)
    done = {(r.task, r.route, r.repeat) for r in read_results(out)} if out.exists() else set()
    jobs = plan_jobs(tasks, routes, args.repeat, done)
    configure_logging(open(workdir / "service.log", "w"))  # noqa: SIM115 - lives as long as the run

    async with AsyncExitStack() as stack:
        world = None
        if args.sim:
            mock = await stack.enter_async_context(MockUpstream())
            world = sim_setup.install(mock, tasks, args.seed)
            settings_path = workdir / "settings.json"
            settings_path.write_text(json.dumps(sim_setup.sim_settings(mock), indent=2))
        else:
            settings_path = Path(args.settings).expanduser()
        settings = load_settings(settings_path)
        check_routes(routes, settings)
        proxies: list[ProxyHandle] = []
        if args.proxy:
            log = (
                Path(args.routing_log) if args.routing_log else routing_log_path(None, state_dir())
            )
            proxies.append(external_proxy(args.proxy, log))
        else:
            for worker in range(args.jobs):
                proxy = await start_proxy(settings_path, workdir / f"routing-{worker}.jsonl")
                stack.push_async_callback(proxy.close)
                proxies.append(proxy)
        ctx = BenchContext(
            codex_bin=codex_bin,
            catalog=write_catalog(settings, workdir / "catalog.json"),
            settings=settings,
            workdir=workdir,
            results_path=out,
            events_dir=out.with_suffix(".codex"),
            world=world,
            time_limit=args.time_limit,
        )
        mode = "SIMULATION (mock models, no keys)" if args.sim else f"settings {settings_path}"
        print(
            f"{len(jobs)} runs ({len(tasks)} tasks x {len(routes)} routes x {args.repeat}, "
            f"{len(done)} already done) with {mode}; results -> {out}",
            file=sys.stderr,
        )
        progress = Progress(len(jobs))
        try:
            await run_all(ctx, jobs, proxies, progress.update)
        finally:
            progress.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = results_path(args)
    if out.exists() and out.stat().st_size and not args.resume:
        raise SystemExit(
            f"{out} already has results: pass --resume to continue it, or another --out"
        )
    workdir = Path(tempfile.mkdtemp(prefix="autorouter-bench-"))
    try:
        return asyncio.run(amain(args, out, workdir))
    except KeyboardInterrupt:
        kept = len(read_results(out)) if out.exists() else 0
        print(
            f"\ninterrupted: {kept} finished runs kept in {out} (--resume continues)",
            file=sys.stderr,
        )
        return 130
    except SettingsError as exc:
        print(f"settings error: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.keep_workdir:
            print(f"workspaces kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
