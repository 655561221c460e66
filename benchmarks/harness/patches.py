"""Applying a task's patch outside Codex, with Codex's own apply_patch.

The native Codex binary acts as `apply_patch` when started under that name (its arg0
dispatch), so a task's `solution.patch` is checked by the very parser that applies it
during a benchmark, not by a look-alike.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[2] / ".tools" / "node_modules" / "@openai"


def native_codex(tools: Path = TOOLS) -> Path | None:
    """The platform's native Codex binary inside the npm install, if there is one."""
    found = sorted(tools.glob("codex-*/vendor/*/bin/codex"))
    return found[0] if found else None


def apply_patch(patch: str, workspace: Path, binary: Path) -> subprocess.CompletedProcess[str]:
    """Apply `patch` (`*** Begin Patch ... *** End Patch`) in `workspace`."""
    return subprocess.run(
        ["apply_patch", patch],
        executable=str(binary),
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
