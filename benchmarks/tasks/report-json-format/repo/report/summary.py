"""Reading expense rows and summing them up."""

import csv
from pathlib import Path


def read_rows(path: str) -> list[dict[str, str]]:
    with Path(path).open(newline="") as handle:
        return list(csv.DictReader(handle))


def summarize(rows: list[dict[str, str]]) -> dict[str, object]:
    """Count, total amount and total per category of the expense rows."""
    by_category: dict[str, float] = {}
    total = 0.0
    for row in rows:
        amount = float(row["amount"])
        total += amount
        category = row["category"]
        by_category[category] = round(by_category.get(category, 0.0) + amount, 2)
    return {"count": len(rows), "total": round(total, 2), "by_category": by_category}
