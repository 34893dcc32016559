"""Score the detector against labelled cases: per-level precision/recall and the safety figures."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

LEVELS = ("urgent", "concern", "none")


@dataclass
class Report:
    """Confusion matrix (gold -> predicted -> count), derived rates and the misclassified cases."""

    confusion: dict[str, dict[str, int]]
    errors: list[dict] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(sum(row.values()) for row in self.confusion.values())

    def precision(self, level: str) -> float:
        predicted = sum(self.confusion[g][level] for g in LEVELS)
        return self.confusion[level][level] / predicted if predicted else 1.0

    def recall(self, level: str) -> float:
        gold = sum(self.confusion[level].values())
        return self.confusion[level][level] / gold if gold else 1.0

    @property
    def none_as_urgent(self) -> float:
        """Share of 'none' cases rated urgent (false alarms)."""
        gold = sum(self.confusion["none"].values())
        return self.confusion["none"]["urgent"] / gold if gold else 0.0

    @property
    def flagged_recall(self) -> float:
        """Share of urgent or concern cases rated urgent or concern."""
        gold = [g for g in ("urgent", "concern")]
        total = sum(sum(self.confusion[g].values()) for g in gold)
        hit = sum(self.confusion[g][p] for g in gold for p in ("urgent", "concern"))
        return hit / total if total else 1.0

    def summary(self) -> dict:
        return {
            "cases": self.total,
            "per_level": {lv: {"precision": round(self.precision(lv), 4), "recall": round(self.recall(lv), 4)}
                          for lv in LEVELS},
            "urgent_recall": round(self.recall("urgent"), 4),
            "urgent_precision": round(self.precision("urgent"), 4),
            "none_rated_urgent": round(self.none_as_urgent, 4),
            "concern_or_urgent_recall": round(self.flagged_recall, 4),
            "confusion": self.confusion,
        }


def evaluate(cases: Iterable[Mapping], predict: Callable[[str, str | None], str]) -> Report:
    """Run `predict(text, lang) -> level` over cases with 'text', 'label' and optional 'lang'/'id'."""
    confusion = {g: {p: 0 for p in LEVELS} for g in LEVELS}
    errors: list[dict] = []
    for case in cases:
        gold = case["label"]
        if gold not in LEVELS:
            raise ValueError(f"case {case.get('id', '?')}: unknown label {gold!r}")
        got = predict(case["text"], case.get("lang"))
        confusion[gold][got] += 1
        if got != gold:
            errors.append({"id": case.get("id"), "label": gold, "got": got, "text": case["text"]})
    return Report(confusion, errors)
