"""The fitted constants of ranking, abstention and answer choice, kept in one JSON file.

`qa eval --fit` writes qa/search/calibration.json from question files by cross-validation (the
held-out figures go to its report); the service only reads it. Keeping every fitted number in
one reviewed file means none can hide in the code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from qa.search.confidence import AbstentionModel, LogisticModel
from qa.search.fusion import Fusion

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")


@dataclass(frozen=True)
class Calibration:
    fusion: Fusion = Fusion()
    abstention: AbstentionModel = AbstentionModel({"top": 0.0}, 0.0, 0.5)
    # Answer sentence choice and verification (qa.answer.verify): P(best sentence) and P(stated).
    choice: LogisticModel = LogisticModel({"similarity": 1.0}, 0.0, 0.5)
    verification: LogisticModel = LogisticModel({"choice": 1.0}, 0.0, 0.5)
    topic: LogisticModel = LogisticModel({"coverage": 1.0}, 0.0, 0.5)  # related vs none
    # The follow-up rule (qa.answer.followup): history_weight α, term_weight λ, max_drop θ. The
    # default (no file entry) never lets a conversation move search; the fitted rule is in the file.
    followup: dict[str, float] = field(
        default_factory=lambda: {"history_weight": 0.0, "term_weight": 0.0, "max_drop": 0.0}
    )
    source: dict = field(default_factory=dict)  # what it was fitted on, and the held-out figures

    def to_json(self) -> dict:
        return {
            "fusion": {"sentence_weight": self.fusion.sentence_weight, "keyword_weight": self.fusion.keyword_weight},
            "abstention": {
                "weights": self.abstention.weights,
                "bias": self.abstention.bias,
                "threshold": self.abstention.threshold,
            },
            "choice": _model_json(self.choice),
            "verification": _model_json(self.verification),
            "topic": _model_json(self.topic),
            "followup": self.followup,
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: dict) -> Calibration:
        defaults = cls()
        return cls(
            Fusion(**data["fusion"]),
            _model(data["abstention"]),
            _model(data["choice"]) if "choice" in data else defaults.choice,
            _model(data["verification"]) if "verification" in data else defaults.verification,
            _model(data["topic"]) if "topic" in data else defaults.topic,
            data.get("followup", defaults.followup),
            data.get("source", {}),
        )


def _model_json(model: LogisticModel) -> dict:
    return {"weights": model.weights, "bias": model.bias, "threshold": model.threshold}


def _model(data: dict) -> LogisticModel:
    return LogisticModel(data["weights"], data["bias"], data["threshold"])


def load_calibration(path: Path = CALIBRATION_FILE) -> Calibration:
    return Calibration.from_json(json.loads(path.read_text(encoding="utf-8")))
