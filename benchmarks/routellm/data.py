"""RouteLLM's outcome tables as shipped in benchmarks/data/routellm (see its README)."""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "routellm"
DATASETS = ("gsm8k", "mmlu")
FOLDS = 5


@dataclass(frozen=True)
class Table:
    name: str
    ids: list[str]
    prompts: list[str]
    weak: np.ndarray  # bool per prompt
    strong: np.ndarray

    @property
    def folds(self) -> np.ndarray:
        return np.array([fold_of(i) for i in self.ids])


def fold_of(prompt_id: str) -> int:
    """The cross-validation fold of a prompt, fixed by its id alone."""
    digest = hashlib.sha256(prompt_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % FOLDS


def load(name: str, data_dir: Path = DATA_DIR) -> Table:
    ids, prompts, weak, strong = [], [], [], []
    with gzip.open(data_dir / f"{name}.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            # Only the prompt text is read: MMLU's domain column is left alone.
            ids.append(row["id"])
            prompts.append(row["prompt"])
            weak.append(bool(row["weak"]))
            strong.append(bool(row["strong"]))
    return Table(name, ids, prompts, np.array(weak), np.array(strong))
