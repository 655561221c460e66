"""The dashboard's two main charts as a PNG: decisions per model over time (stacked) and
cumulative spend against the priciest eligible candidate. Needs the `plot` extra."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def write_plot(summary: dict[str, Any], out: Path) -> None:
    times = [datetime.fromisoformat(t) for t in summary["buckets"]]
    width = summary["bucket_seconds"] / 86400.0
    figure, (decisions, spend) = plt.subplots(2, 1, figsize=(9, 7), constrained_layout=True)
    bottom = [0] * len(times)
    for model, counts in summary["decisions"]["over_time_by_model"].items():
        decisions.bar(times, counts, width=width * 0.9, bottom=bottom, label=model, align="edge")
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    decisions.set_title("Auto decisions per model")
    decisions.set_ylabel("decisions")
    if summary["decisions"]["over_time_by_model"]:
        decisions.legend(fontsize=8)
    money = summary["spend"]
    spend.plot(times, money["actual_cumulative"], label="actual", linewidth=2)
    spend.plot(times, money["baseline_cumulative"], label="priciest eligible", linewidth=2)
    share = money["saving_share"]
    saved = f"saved ${money['saving_usd']:.4f}" + (f" ({share:.0%})" if share is not None else "")
    spend.set_title(f"Cumulative spend of Auto requests: {saved}")
    spend.set_ylabel("USD")
    spend.legend(fontsize=8)
    figure.autofmt_xdate()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    plt.close(figure)
