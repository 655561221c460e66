"""The figures of one run, checked against their targets, as a table and as JSON."""

from __future__ import annotations

import json
import operator
import os
import platform
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

_COMPARE: dict[str, Callable[[float, float], bool]] = {"<=": operator.le, ">=": operator.ge}


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: float
    unit: str
    target: float | None = None
    compare: str = "<="
    """How `value` must relate to `target`: "<=" or ">="."""

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return _COMPARE[self.compare](self.value, self.target)


def _number(value: float) -> str:
    return (
        f"{value:.2f}"
        if abs(value) < 10
        else f"{value:.1f}"
        if abs(value) < 100
        else f"{value:.0f}"
    )


def table(figures: list[Figure]) -> str:
    rows = [("figure", "value", "target", "result")]
    for f in figures:
        target = f"{f.compare} {_number(f.target)} {f.unit}" if f.target is not None else ""
        result = "" if f.met is None else "met" if f.met else "NOT MET"
        rows.append((f.label, f"{_number(f.value)} {f.unit}", target, result))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c:<{widths[2]}}  {d}".rstrip() for a, b, c, d in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def write_json(path: Path, figures: list[Figure], details: dict[str, Any]) -> None:
    document = {
        "machine": {
            "cpus": len(os.sched_getaffinity(0)),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "figures": {f.key: {**asdict(f), "met": f.met} for f in figures},
        "details": details,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
