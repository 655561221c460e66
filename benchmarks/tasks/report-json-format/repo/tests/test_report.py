import json
from pathlib import Path

import pytest

from report.cli import main
from report.summary import summarize

ROWS = "date,category,amount\n2024-01-02,food,12.50\n2024-01-03,travel,40\n2024-01-05,food,7.5\n"


@pytest.fixture
def export(tmp_path: Path) -> str:
    path = tmp_path / "expenses.csv"
    path.write_text(ROWS)
    return str(path)


def test_text_is_the_default(export: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([export]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "3 expenses, total 60.00",
        "  food: 20.00",
        "  travel: 40.00",
    ]


def test_json_output(export: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([export, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "count": 3,
        "total": 60.0,
        "average": 20.0,
        "by_category": {"food": 20.0, "travel": 40.0},
    }


def test_average_of_nothing_is_zero() -> None:
    assert summarize([])["average"] == 0.0


def test_unknown_format_is_refused(export: str) -> None:
    with pytest.raises(SystemExit):
        main([export, "--format", "xml"])
