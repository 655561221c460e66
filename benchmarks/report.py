"""The benchmark report: per route pass rate, tokens and cost, beside the baselines.

    python -m benchmarks.report results.jsonl [--json out.json] [--plot out.png]

Prints Markdown; writes JSON (default: next to the results, `.report.json`) and a PNG
of cost against pass rate when matplotlib is installed (`pip install -e '.[bench]'`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks.harness.analysis import analyze
from benchmarks.harness.render import markdown, plot, plotting_available
from benchmarks.harness.results import read_results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report", description=__doc__)
    parser.add_argument("results", type=Path)
    parser.add_argument("--json", type=Path, help="where the JSON report goes")
    parser.add_argument("--plot", type=Path, help="where the PNG goes")
    parser.add_argument("--markdown", type=Path, help="also write the Markdown here")
    args = parser.parse_args(argv)
    results = read_results(args.results)
    if not results:
        print(f"{args.results} holds no runs", file=sys.stderr)
        return 1
    report = analyze(results)
    tasks = len({r.task for r in results})
    title = f"Routes compared: {report.runs} runs over {tasks} tasks"
    text = markdown(report, title)
    print(text)
    if args.markdown:
        args.markdown.write_text(text)
    json_path = args.json or args.results.with_suffix(".report.json")
    json_path.write_text(json.dumps(report.as_dict(), indent=2) + "\n")
    written = [str(json_path)]
    if plotting_available():
        written.append(str(plot(report, args.plot or args.results.with_suffix(".png"), title)))
    else:
        print(
            "(no plot: matplotlib is not installed; `pip install -e '.[bench]'`)", file=sys.stderr
        )
    print("written: " + ", ".join(written), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
