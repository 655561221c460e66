"""`python -m benchmarks.local_scorer`: the local scorer's cost per decision and memory.

10,000 outcome records (RouteLLM's MMLU prompts, three candidates) are written to an
outcome store; a fresh interpreter then builds an Auto router with `"classifier":
"local"` on it, waits for the fit and times decisions for new tasks (the whole
`AutoRouter.decide`: eligibility, scoring, policy), on prompts it was not fitted on.
RSS is read from /proc before the local scorer is touched, after the fit and after the
decisions; the peak (VmHWM) includes the fit itself.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from benchmarks.routellm.data import load
from router.learning.outcomes import JsonlOutcomeStore, OutcomeRecord

SLUGS = ("weak", "mid", "strong")

_CHILD = textwrap.dedent(
    """
    import asyncio, json, sys, time

    def rss(field):
        for line in open("/proc/self/status"):
            if line.startswith(field):
                return int(line.split()[1]) / 1024
        return 0.0

    from router.routing.auto.router import AutoRouter
    from router.routing.task import TaskKey
    from router.settings import parse_settings

    store, prompts_path, decisions = sys.argv[1], sys.argv[2], int(sys.argv[3])
    prompts = json.load(open(prompts_path))
    settings = parse_settings({
        "models": [{"model": s, "provider": "openai"} for s in ("weak", "mid", "strong")],
        "router": {
            "classifier": "local", "outcomes_path": store, "local_min_outcomes": 50,
            "candidates": [
                {"slug": s, "cost": c, "card": s}
                for s, c in (("weak", 1.0), ("mid", 3.0), ("strong", 10.0))
            ],
        },
    })

    async def call_model(slug, body):
        raise AssertionError("the local classifier calls no model")

    async def main():
        # What every Auto decision loads anyway (the token counter) is loaded first, so
        # the figures below are the local scorer's own.
        from router.routing.auto import tokens
        tokens.warm_up()
        while not tokens.encoding_ready():
            await asyncio.sleep(0.05)
        before = rss("VmRSS:")
        auto = AutoRouter(settings, call_model)
        started = time.perf_counter()
        scorer = await auto.local.wait_fitted()
        fit_s = time.perf_counter() - started
        fitted = rss("VmRSS:")
        times = []
        for n in range(decisions):
            text = prompts[n % len(prompts)]
            body = {"model": "codex-auto", "input": [
                {"type": "message", "role": "user",
                 "content": [{"type": "input_text", "text": text}]}]}
            key = TaskKey(f"bench:{n}", "session", "s", str(n), "turn", "codex")
            t = time.perf_counter()
            decision = await auto.decide(key, body)
            times.append((time.perf_counter() - t) * 1000)
            assert decision.scorer == "local", decision
        times.sort()
        # The scorer alone (features and dot products), without the rest of a decision
        # (eligibility, the token estimate, the policy).
        scoring = []
        for n in range(decisions):
            t = time.perf_counter()
            scorer.scores(prompts[n % len(prompts)], ["weak", "mid", "strong"])
            scoring.append((time.perf_counter() - t) * 1000)
        scoring.sort()
        print(json.dumps({
            "records": scorer.records, "fit_seconds": round(fit_s, 2),
            "decisions": decisions,
            "decision_ms_p50": round(times[len(times) // 2], 3),
            "decision_ms_p95": round(times[int(len(times) * 0.95)], 3),
            "decision_ms_max": round(times[-1], 3),
            "scoring_ms_p50": round(scoring[len(scoring) // 2], 3),
            "scoring_ms_p95": round(scoring[int(len(scoring) * 0.95)], 3),
            "rss_before_mb": round(before, 1), "rss_fitted_mb": round(fitted, 1),
            "rss_after_mb": round(rss("VmRSS:"), 1), "rss_peak_mb": round(rss("VmHWM:"), 1),
        }))

    asyncio.run(main())
    """
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--decisions", type=int, default=2_000)
    args = parser.parse_args(argv)
    table = load("mmlu")
    with tempfile.TemporaryDirectory() as tmp:
        store = JsonlOutcomeStore(Path(tmp) / "outcomes.jsonl")
        for n in range(args.records):
            weak, strong = bool(table.weak[n]), bool(table.strong[n])
            outcomes = {"weak": weak, "mid": weak or (strong and n % 2 == 0), "strong": strong}
            store.append(OutcomeRecord.from_text(f"t{n}", table.prompts[n], "weak", outcomes))
        prompts = Path(tmp) / "prompts.json"
        prompts.write_text(json.dumps(table.prompts[args.records :]))
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(store.path), str(prompts), str(args.decisions)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            return 1
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["store_mb"] = round(store.path.stat().st_size / 1e6, 1)
    result["rss_added_mb"] = round(result["rss_after_mb"] - result["rss_before_mb"], 1)
    result["rss_peak_added_mb"] = round(result["rss_peak_mb"] - result["rss_before_mb"], 1)
    print(json.dumps(result, indent=2))
    out = Path("benchmarks/results")
    out.mkdir(parents=True, exist_ok=True)
    (out / "local_scorer.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
