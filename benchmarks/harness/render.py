"""The report as Markdown, and the cost-against-pass-rate plot (when matplotlib exists)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from benchmarks.harness.analysis import Report, Row

SIMULATION_BANNER = (
    "> **SIMULATION**: these runs used mock models of graded skill (benchmarks/sim), not "
    "real ones. Real Codex, the real proxy and the real oracles ran, but who solved what was "
    "drawn from a hidden difficulty model: the numbers show what the harness measures, not "
    "what Auto saves you."
)


def _usd(value: float | None) -> str:
    if value is None:
        return "-"
    return f"${value:.4f}" if value < 100 else f"${value:,.0f}"


def _percent(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value * 100:+.0f}%" if signed else f"{value * 100:.0f}%"


def _points(value: float | None) -> str:
    return "-" if value is None else f"{value:+.0f} pts"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _route_cells(row: Row) -> list[str]:
    return [
        f"{row.name}" + (" (auto)" if row.kind == "auto" else ""),
        str(row.runs),
        _percent(row.pass_rate),
        _usd(row.cost_per_run),
        _usd(row.cost_per_solved),
        _usd(row.cost_usd),
        f"{row.input_tokens:,.0f}",
        f"{row.cached_tokens:,.0f}",
        f"{row.output_tokens:,.0f}",
        f"{row.reasoning_tokens:,.0f}",
        f"{row.requests:.1f}",
        f"{row.tool_calls:.1f}",
        f"{row.classifier_calls:.1f}",
        f"{row.wall_s:.1f}",
        _percent(row.saving_vs_strongest, signed=True),
        _points(row.pass_change_vs_strongest),
        row.note,
    ]


def markdown(report: Report, title: str) -> str:
    lines: list[str] = []
    if report.simulation:
        lines += [SIMULATION_BANNER, ""]
    lines += [f"# {title}", ""]
    lines += _table(
        [
            "route",
            "runs",
            "pass",
            "cost/run",
            "cost/solved",
            "total",
            "input tok",
            "cached tok",
            "output tok",
            "reasoning tok",
            "requests",
            "tool calls",
            "classifier calls",
            "wall s",
            "saving vs strongest",
            "pass vs strongest",
            "models used (runs)",
        ],
        [_route_cells(row) for row in report.routes],
    )
    if report.baselines:
        lines += ["", "Baselines, from the single-model runs (no extra runs):", ""]
        lines += _table(
            [
                "baseline",
                "runs",
                "pass",
                "cost/run",
                "cost/solved",
                "saving vs strongest",
                "pass vs strongest",
                "how",
            ],
            [
                [
                    row.name,
                    str(row.runs),
                    _percent(row.pass_rate),
                    _usd(row.cost_per_run),
                    _usd(row.cost_per_solved),
                    _percent(row.saving_vs_strongest, signed=True),
                    _points(row.pass_change_vs_strongest),
                    row.note,
                ]
                for row in report.baselines
            ],
        )
    checks = ", ".join(f"{k} {v}" for k, v in sorted(report.usage_checks.items()))
    lines += [
        "",
        f"- Strongest route: {report.strongest or '-'}, cheapest: {report.cheapest or '-'} "
        "(by configured price). Saving = 1 - cost per run / the strongest route's.",
        "- Tokens are means per run, from the proxy's routing log for each run's Codex "
        f"session; checked against Codex's own `turn.completed` usage: {checks or 'no runs'}.",
        "- Cost = the proxy's per-request cost from configured prices, plus the classifier's "
        "tokens at its input price (the log gives them as one total).",
    ]
    if report.unpriced_requests:
        lines.append(
            f"- {report.unpriced_requests} requests went to models without a price and count as $0."
        )
    if report.simulation:
        lines += ["", SIMULATION_BANNER]
    return "\n".join(lines) + "\n"


def plotting_available() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def plot(report: Report, path: Path, title: str) -> Path:
    """Cost per run (x) against pass rate (y) for routes and baselines; needs matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=120)
    styles = {"auto": ("*", 220), "model": ("o", 80), "baseline": ("s", 60)}
    # always-cheapest / always-strongest sit exactly on their routes' points.
    baselines = [row for row in report.baselines if not row.note.startswith("= route")]
    for row in [*report.routes, *baselines]:
        marker, size = styles.get(row.kind, ("o", 60))
        point = (row.cost_per_run, row.pass_rate * 100)
        axes.scatter(*point, marker=marker, s=size)
        below = row.kind == "baseline"  # keeps a baseline's label off a route's nearby
        offset = (6, -12) if below else (6, 4)
        axes.annotate(row.name, point, xytext=offset, textcoords="offset points", fontsize=8)
    axes.set_xlabel("cost per run (USD)")
    axes.set_ylabel("pass rate (%)")
    axes.set_ylim(-5, 105)
    axes.set_title(("SIMULATION: " if report.simulation else "") + title, fontsize=10)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path
