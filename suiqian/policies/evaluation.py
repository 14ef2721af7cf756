"""Precision and recall of the checker on the labelled corpus (corpus/*.yaml)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .checker import check_paragraphs
from .rules import RuleSet, load_rules

CORPUS_DIR = Path(__file__).with_name("corpus")


@dataclass(frozen=True)
class Excerpt:
    id: str
    paragraphs: list[str]
    expected: frozenset[str]


@dataclass(frozen=True)
class CodeScore:
    code: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def support(self) -> int:
        return self.true_positives + self.false_negatives

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.support if self.support else 1.0


@dataclass
class Evaluation:
    scores: list[CodeScore]
    excerpts: int
    compliant: int
    mistakes: list[tuple[str, frozenset[str], frozenset[str]]] = field(default_factory=list)

    @property
    def overall(self) -> CodeScore:
        return CodeScore("overall", *(sum(getattr(s, k) for s in self.scores)
                                      for k in ("true_positives", "false_positives", "false_negatives")))


def load_corpus(directory: Path = CORPUS_DIR) -> list[Excerpt]:
    excerpts = []
    for path in sorted(directory.glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
            paragraphs = [line for line in entry["text"].splitlines() if line.strip()]
            excerpts.append(Excerpt(entry["id"], paragraphs, frozenset(entry["expect"] or ())))
    return excerpts


def evaluate(excerpts: list[Excerpt], rules: RuleSet | None = None) -> Evaluation:
    """Per-code counts over excerpts, comparing the set of codes found with the set expected."""
    rules = rules or load_rules()
    counts = {rule.code: Counter() for rule in rules.rules}
    mistakes = []
    for excerpt in excerpts:
        found = frozenset(f.code for f in check_paragraphs(excerpt.paragraphs, rules))
        for code in counts:
            if code in found and code in excerpt.expected:
                counts[code]["tp"] += 1
            elif code in found:
                counts[code]["fp"] += 1
            elif code in excerpt.expected:
                counts[code]["fn"] += 1
        if found != excerpt.expected:
            mistakes.append((excerpt.id, excerpt.expected, found))
    scores = [CodeScore(code, c["tp"], c["fp"], c["fn"]) for code, c in counts.items()]
    return Evaluation(scores, len(excerpts), sum(1 for e in excerpts if not e.expected), mistakes)
