"""The two-attempt bench, offline: every route on the same simulated tasks.

    python -m benchmarks.bench            # quick: `make bench`
    python -m benchmarks.bench --long     # full: `make bench-long`

Writes `benchmarks/results/bench-sim.json` (the numbers with bootstrap 95% intervals),
`bench-sim.png` (cost against pass within two attempts), `bench-sim.md` (the table) and
`bench-sim.trials.jsonl` (every trial, attempt by attempt). See benchmarks/README.md for
what is run and what is derived.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench.derive import derive
from benchmarks.bench.plan import FOLDS, model_slugs, phase_jobs, profiles
from benchmarks.bench.pool import run_pool
from benchmarks.bench.summary import markdown, plot, summarize
from benchmarks.bench.trials import Trial, TrialContext, append_trial
from benchmarks.harness.codex_runner import DEFAULT_CODEX
from benchmarks.harness.proxy import ProxyHandle, start_proxy
from benchmarks.harness.records import classifier_rate
from benchmarks.harness.tasks import TASKS_DIR, load_tasks
from benchmarks.sim import setup as sim_setup
from examples.mockupstream import MockUpstream
from router.codex_setup.catalog import write_catalog
from router.settings import load_settings
from router.telemetry.logs import configure_logging

RESULTS_DIR = Path(__file__).resolve().parents[1] / "results"
# The quick bench: twelve tasks spread over the difficulty range, hand-written and imported,
# one repeat: about 110 Codex runs, within 10 minutes on two cores.
QUICK_TASKS = (
    "fix-greeting-typo,last-n-off-by-one,humaneval-002,fahrenheit-formula,slugify-dashes,"
    "humaneval-003,parse-duration,lru-cache-recency,report-json-format,bank-transfer-atomic,"
    "inventory-rename-api,job-graph-cycles"
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__)
    parser.add_argument("--long", action="store_true", help="every task, 3 repeats")
    parser.add_argument("--tasks", help="comma-separated task names or globs")
    parser.add_argument("--repeat", type=int, help="repeats (quick 1, long 3)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel Codex sessions")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bias", type=float, default=sim_setup.DEFAULT_BIAS)
    parser.add_argument("--noise", type=float, default=sim_setup.DEFAULT_NOISE)
    parser.add_argument(
        "--threshold", type=float, default=sim_setup.THRESHOLD, help="Auto's score threshold"
    )
    parser.add_argument(
        "--min-outcomes", type=int, help="outcomes before a calibration moves (quick 5, long 20)"
    )
    parser.add_argument("--resamples", type=int, default=2000, help="bootstrap resamples")
    parser.add_argument("--out-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--tasks-dir", type=Path, default=TASKS_DIR)
    parser.add_argument("--codex", type=Path, default=DEFAULT_CODEX)
    args = parser.parse_args(argv)
    args.tasks = args.tasks or ("*" if args.long else QUICK_TASKS)
    args.repeat = args.repeat or (3 if args.long else 1)
    args.min_outcomes = args.min_outcomes or (20 if args.long else 5)
    return args


def fit_calibration(workdir: Path, fold: int, workers: int, min_outcomes: int) -> str:
    """`autorouter calibrate` on the raw Auto outcomes of the other fold; returns its report."""
    target = workdir / f"fit-f{fold}"
    target.mkdir(parents=True, exist_ok=True)
    sources: list[str] = []
    for worker in range(workers):
        store = workdir / f"w{worker}" / f"auto-f{1 - fold}"
        if (store / "outcomes.sqlite3").exists():
            sources += ["--from", str(store)]
    command = [
        str(Path(sys.executable).parent / "autorouter"),
        "calibrate",
        "--routing-log",
        str(target / "routing.jsonl"),
        "--min-outcomes",
        str(min_outcomes),
        *sources,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"calibrate failed for fold {fold}: {done.stderr.strip()}")
    for worker in range(workers):
        for kind in ("calibrated", "escalation"):
            shutil.copy2(target / "calibration.json", workdir / f"w{worker}" / f"{kind}-f{fold}")
    return done.stdout


async def start_proxies(
    workdir: Path, settings_paths: dict[tuple[bool, int], Path], workers: int
) -> list[dict[str, ProxyHandle]]:
    found: list[dict[str, ProxyHandle]] = []
    for worker in range(workers):
        mine: dict[str, ProxyHandle] = {}
        for profile in profiles():
            folder = workdir / f"w{worker}" / profile.name
            folder.mkdir(parents=True, exist_ok=True)
            settings = settings_paths[(profile.calibrate, profile.escalation)]
            mine[profile.name] = await start_proxy(settings, folder / "routing.jsonl")
        found.append(mine)
    return found


def write_settings(
    mock: MockUpstream, workdir: Path, threshold: float
) -> dict[tuple[bool, int], Path]:
    paths: dict[tuple[bool, int], Path] = {}
    for profile in profiles():
        key = (profile.calibrate, profile.escalation)
        if key in paths:
            continue
        path = workdir / f"settings-{int(profile.calibrate)}-{profile.escalation}.json"
        document = sim_setup.sim_settings(
            mock, calibrate=profile.calibrate, escalation=profile.escalation, threshold=threshold
        )
        path.write_text(json.dumps(document, indent=2))
        paths[key] = path
    return paths


async def amain(args: argparse.Namespace, workdir: Path) -> int:
    if not args.codex.exists():
        raise SystemExit(f"Codex CLI not found at {args.codex} (`make setup` installs it)")
    tasks = load_tasks([t.strip() for t in args.tasks.split(",") if t.strip()], [], args.tasks_dir)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    trials_path = args.out_dir / "bench-sim.trials.jsonl"
    trials_path.unlink(missing_ok=True)
    configure_logging(open(workdir / "service.log", "w"))  # noqa: SIM115 - lives as long as the run
    started = time.monotonic()
    trials: list[Trial] = []
    reports: dict[str, str] = {}
    async with MockUpstream() as mock:
        world = sim_setup.install(mock, tasks, args.seed, bias=args.bias, noise=args.noise)
        settings_paths = write_settings(mock, workdir, args.threshold)
        settings = load_settings(settings_paths[(False, 0)])
        ctx = TrialContext(
            codex_bin=args.codex,
            catalog=write_catalog(settings, workdir / "catalog.json"),
            workdir=workdir,
            world=world,
            classifier_usd_per_token=classifier_rate(settings),
        )
        proxies = await start_proxies(workdir, settings_paths, args.jobs)
        try:

            def keep(trial: Trial) -> None:
                trials.append(trial)
                append_trial(trials_path, trial)

            for phase in (1, 2):
                jobs = phase_jobs(tasks, args.repeat, phase)
                print(f"phase {phase}: {len(jobs)} trials", file=sys.stderr)
                await run_pool(ctx, jobs, proxies, keep)
                if phase == 1:
                    for fold in FOLDS:
                        reports[f"fold {fold}"] = fit_calibration(
                            workdir, fold, args.jobs, args.min_outcomes
                        )
        finally:
            for mine in proxies:
                for proxy in mine.values():
                    await proxy.close()
    elapsed = time.monotonic() - started
    document = summarize(
        derive(trials, model_slugs()),
        repeats=args.repeat,
        resamples=args.resamples,
        seed=args.seed,
        extra={
            "run": {
                "codex_exec": sum(len(t.attempts) for t in trials),
                "trials": len(trials),
                "seconds": round(elapsed, 1),
                "jobs": args.jobs,
                "seed": args.seed,
                "classifier_bias": args.bias,
                "classifier_noise": args.noise,
                "threshold": args.threshold,
                "min_outcomes": args.min_outcomes,
                "outcomes_recorded": sum(a.recorded for t in trials for a in t.attempts),
                "escalated_attempts": sum(
                    a.reason == "escalated" for t in trials for a in t.attempts
                ),
            },
            "calibration_reports": reports,
        },
    )
    (args.out_dir / "bench-sim.json").write_text(json.dumps(document, indent=2) + "\n")
    table = markdown(document)
    (args.out_dir / "bench-sim.md").write_text(table)
    plot(document, args.out_dir / "bench-sim.png")
    print(table)
    print(json.dumps(document["goal"], indent=2))
    print(
        f"{document['run']['codex_exec']} Codex runs in {elapsed / 60:.1f} min; "
        f"written: {args.out_dir}/bench-sim.json, .png, .md, .trials.jsonl",
        file=sys.stderr,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="autorouter-bench-"))
    try:
        return asyncio.run(amain(args, workdir))
    except KeyboardInterrupt:
        print("\ninterrupted; finished trials are in bench-sim.trials.jsonl", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
