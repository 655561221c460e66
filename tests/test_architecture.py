"""The import contracts in pyproject.toml hold, and a wrong arrow breaks them.

`lint-imports` runs on a copy of the packages in a temporary directory, so a deliberately
bad import can be added without touching the tree.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter not installed")


def _copy_tree(tmp_path: Path) -> Path:
    for package in ("router", "adapters"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _add_import(module: Path, line: str) -> None:
    text = module.read_text()
    module.write_text(text + f"\n{line}  # noqa\n")


def test_the_tree_keeps_every_contract() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        ("adapters/base.py", "import router.settings", "adapters never import router"),
        (
            "router/settings/paths.py",
            "import router.telemetry.logs",
            "router's rooms import downwards only",
        ),
        (
            "router/app/hosts.py",
            "import router.cli.doctor",
            "the HTTP app does not import the command line",
        ),
        (
            "adapters/chat/request.py",
            "import adapters.anthropic.request",
            "upstream dialects do not import each other",
        ),
    ],
)
def test_a_wrong_arrow_breaks_its_contract(
    tmp_path: Path, module: str, bad_import: str, contract: str
) -> None:
    tree = _copy_tree(tmp_path)
    _add_import(tree / module, bad_import)
    result = _lint(tree)
    assert result.returncode != 0
    assert f"{contract} BROKEN" in result.stdout
