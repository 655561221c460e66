"""`python -m report.cli expenses.csv`: print a summary of an expense export."""

import argparse
import sys

from report.summary import read_rows, summarize


def format_text(summary: dict[str, object]) -> str:
    lines = [f"{summary['count']} expenses, total {summary['total']:.2f}"]
    by_category = summary["by_category"]
    assert isinstance(by_category, dict)
    for category, amount in sorted(by_category.items()):
        lines.append(f"  {category}: {amount:.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="report")
    parser.add_argument("csv_file")
    args = parser.parse_args(argv)
    summary = summarize(read_rows(args.csv_file))
    print(format_text(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
