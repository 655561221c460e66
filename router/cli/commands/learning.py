"""`autorouter feedback` and `autorouter calibrate`: tell Auto how a task went, and fit
the calibration of the classifier's scores from what it has been told."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from router.learning import calibration, store
from router.settings.paths import state_dir

Command = Callable[..., argparse.ArgumentParser]
_PROBES = (0.3, 0.5, 0.7, 0.9)


def _directory(args: argparse.Namespace) -> Path:
    from router.telemetry.logs import routing_log_path

    return routing_log_path(getattr(args, "routing_log", None), state_dir()).parent


def cmd_feedback(args: argparse.Namespace) -> int:
    path = _directory(args) / store.FILE_NAME
    outcome: store.Outcome = "pass" if args.verdict == "good" else "fail"
    if not path.exists():
        print(
            f"feedback: no outcome store at {path} yet: Auto has decided no task", file=sys.stderr
        )
        return 2
    try:
        with store.connected(path) as connection:
            task = (
                store.last_task(connection)
                if args.last
                else store.resolve_task(connection, args.task)
            )
            store.set_outcome(connection, task.task, outcome, args.source, args.note)
    except store.OutcomeStoreError as exc:
        print(f"feedback: {exc}", file=sys.stderr)
        return 2
    print(f"{task.task}: {args.verdict} ({task.chosen}, {args.source})")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    directory = _directory(args)
    target = directory / calibration.FILE_NAME
    extra = [Path(p).expanduser() for p in args.source_store]
    extra = [p / store.FILE_NAME if p.is_dir() else p for p in extra]
    observations: list[store.Observation] = []
    try:
        for source in [directory / store.FILE_NAME, *extra]:
            if not source.exists():
                if source in extra:
                    print(f"calibrate: no outcome store at {source}", file=sys.stderr)
                    return 2
                continue
            with store.connected(source) as connection:
                observations += store.observations(connection)
        previous = calibration.load(target)
    except (store.OutcomeStoreError, ValueError) as exc:
        print(f"calibrate: {exc}", file=sys.stderr)
        return 2
    fitted = calibration.fit(observations, previous=previous, min_outcomes=args.min_outcomes)
    print(_report(previous, fitted))
    if args.dry_run:
        print("\n(dry run: nothing written)")
        return 0
    calibration.save(fitted, target)
    print(f"\nCalibration {fitted.version} written to {target}; the proxy applies it to new tasks.")
    return 0


def _report(previous: calibration.Calibration, fitted: calibration.Calibration) -> str:
    if not fitted.models:
        return (
            "No judged Auto tasks yet: the calibration stays the identity (raw scores are used).\n"
            "Judge tasks with `autorouter feedback good|bad --last`, or run the benchmark."
        )
    head = "  ".join(f"{p:>11}" for p in _PROBES)
    lines = [f"{'candidate':<20} {'outcomes':>8} {'trust':>6}  raw ->     {head}"]
    for slug, fit in fitted.models.items():
        cells = "  ".join(
            f"{previous.apply(slug, p):.2f} -> {fitted.apply(slug, p):.2f}" for p in _PROBES
        )
        lines.append(f"{slug:<20} {fit.outcomes:>8} {fitted.trust(slug):>6.2f}  {'':10}{cells}")
        if fit.outcomes < fitted.min_outcomes:
            lines.append(
                f"{'':20} fewer than {fitted.min_outcomes} outcomes: identity kept for {slug}"
            )
    return "\n".join(lines)


def add_commands(command: Command) -> None:
    feedback = command("feedback", cmd_feedback, "mark an Auto task good or bad (it teaches Auto)")
    feedback.add_argument("verdict", choices=["good", "bad"])
    which = feedback.add_mutually_exclusive_group(required=True)
    which.add_argument("--task", help="the task id (or a unique prefix, as the dashboard shows)")
    which.add_argument("--last", action="store_true", help="the latest Auto task")
    feedback.add_argument(
        "--source",
        choices=["user", "oracle"],
        default="user",
        help="oracle for a test suite's verdict (the benchmark); weighs more",
    )
    feedback.add_argument("--note", help="why, kept with the outcome")
    feedback.add_argument("--routing-log", help="the routing log whose store to use")
    calibrate = command("calibrate", cmd_calibrate, "fit calibrated scores from judged tasks")
    calibrate.add_argument(
        "--from",
        dest="source_store",
        action="append",
        default=[],
        metavar="STORE",
        help="also learn from another outcome store (a benchmark run's directory or file)",
    )
    calibrate.add_argument("--min-outcomes", type=int, default=calibration.MIN_OUTCOMES)
    calibrate.add_argument("--dry-run", action="store_true", help="report, write nothing")
    calibrate.add_argument("--routing-log", help="the routing log whose store to use")
