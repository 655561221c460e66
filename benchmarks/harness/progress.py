"""A one-line progress bar on stderr (a line per run when stderr is not a terminal)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from benchmarks.harness.results import RunResult

WIDTH = 24


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self.passed = 0
        self.cost = 0.0
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.live = self.stream.isatty()

    def update(self, result: RunResult) -> None:
        self.done += 1
        self.passed += result.passed
        self.cost += result.cost_usd
        verdict = "pass" if result.passed else "FAIL"
        last = f"{result.task} via {result.route}: {verdict}"
        filled = WIDTH * self.done // max(self.total, 1)
        elapsed = int(time.monotonic() - self.started)
        line = (
            f"[{'#' * filled}{'.' * (WIDTH - filled)}] {self.done}/{self.total} runs, "
            f"{self.passed} passed, ${self.cost:.4f}, {elapsed // 60}m{elapsed % 60:02d}s | {last}"
        )
        if self.live:
            self.stream.write("\r\x1b[2K" + line)
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.live and self.done not in (0, self.total):
            self.stream.write("\n")
            self.stream.flush()
