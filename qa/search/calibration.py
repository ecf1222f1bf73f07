"""The fitted constants of ranking, abstention and answer choice, kept in one JSON file.

`qa eval --fit` writes qa/search/calibration.json from question files by cross-validation (the
held-out figures go to its report); the service only reads it. Keeping every fitted number in
one reviewed file means none can hide in the code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from qa.search.confidence import AbstentionModel
from qa.search.fusion import Fusion

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")


@dataclass(frozen=True)
class Calibration:
    fusion: Fusion = Fusion()
    abstention: AbstentionModel = AbstentionModel({"top": 0.0}, 0.0, 0.5)
    answer_weights: dict[str, float] = field(default_factory=lambda: {"sentence": 1.0})
    source: dict = field(default_factory=dict)  # what it was fitted on, and the held-out figures

    def to_json(self) -> dict:
        return {
            "fusion": {"sentence_weight": self.fusion.sentence_weight,
                       "keyword_weight": self.fusion.keyword_weight},
            "abstention": {"weights": self.abstention.weights, "bias": self.abstention.bias,
                           "threshold": self.abstention.threshold},
            "answer": {"weights": self.answer_weights},
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Calibration":
        a = data["abstention"]
        return cls(Fusion(**data["fusion"]), AbstentionModel(a["weights"], a["bias"], a["threshold"]),
                   data["answer"]["weights"], data.get("source", {}))


def load_calibration(path: Path = CALIBRATION_FILE) -> Calibration:
    return Calibration.from_json(json.loads(path.read_text(encoding="utf-8")))
