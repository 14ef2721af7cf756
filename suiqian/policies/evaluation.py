"""Precision and recall of the checker on the labelled corpus.

corpus/real/{train,dev,test}.yaml hold excerpts of published texts, split by place (no place in two
splits). The test split was frozen before any rule was tuned: its SHA-256 is TEST_SPLIT_SHA256 (and
in README.md) so that a change to it shows. corpus/invented/ holds excerpts written for this project;
they serve unit tests and count toward none of the corpus figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import hashlib

import yaml

from .checker import certain_codes, check_paragraphs
from .rules import RuleSet, load_rules

CORPUS_DIR = Path(__file__).with_name("corpus")
REAL_DIR = CORPUS_DIR / "real"
INVENTED_DIR = CORPUS_DIR / "invented"
SPLITS = ("train", "dev", "test")
# The test split is the union of files each frozen before the checker was tuned or run on them.
TEST_SPLIT_SHA256 = {
    "test.yaml": "43ecdb5d02d344e8cecb5eacd5f5105ae5b1ad4051fb893cc4ba9f7fdf928b27",
    "test-2.yaml": "a2ac4593d9af8b9dbd26ca7825684b6be062ac6113d5d84cc095a104396af932",
    "test-3.yaml": "ae0976202e15b74fad6556348c9e96c3b2d57d8bcf25fd5629a2491eda4fe607",
}
SPLIT_FILES = {"train": ("train.yaml",), "dev": ("dev.yaml",), "test": tuple(TEST_SPLIT_SHA256)}


@dataclass(frozen=True)
class Excerpt:
    id: str
    paragraphs: list[str]
    expected: frozenset[str]
    place: str = ""  # empty for invented excerpts
    year: int | None = None
    source: str = ""


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


def load_corpus(directory: Path = INVENTED_DIR) -> list[Excerpt]:
    """Every excerpt in the YAML files of `directory` (by default the invented ones)."""
    excerpts = []
    for path in sorted(directory.glob("*.yaml")):
        excerpts += load_file(path)
    return excerpts


def load_split(name: str) -> list[Excerpt]:
    """One split of the real corpus: train, dev or test."""
    if name not in SPLITS:
        raise ValueError(f"unknown split {name!r}")
    return [e for filename in SPLIT_FILES[name] for e in load_file(REAL_DIR / filename)]


def load_file(path: Path) -> list[Excerpt]:
    return [_excerpt(entry) for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or ()]


def _excerpt(entry: dict) -> Excerpt:
    paragraphs = [line for line in entry["text"].splitlines() if line.strip()]
    return Excerpt(entry["id"], paragraphs, frozenset(entry["expect"] or ()), entry.get("place", ""),
                   entry.get("year"), entry.get("source", ""))


def split_sha256() -> dict[str, str]:
    """The SHA-256 of each file of the test split as it is now (compare with TEST_SPLIT_SHA256)."""
    return {name: hashlib.sha256((REAL_DIR / name).read_bytes()).hexdigest() for name in TEST_SPLIT_SHA256}


def evaluate(excerpts: list[Excerpt], rules: RuleSet | None = None) -> Evaluation:
    """Per-code counts over excerpts, comparing the codes of certain findings with the codes expected
    (an uncertain finding asks a reviewer; it is neither a hit nor a false alarm)."""
    rules = rules or load_rules()
    counts = {rule.code: Counter() for rule in rules.rules}
    mistakes = []
    for excerpt in excerpts:
        found = certain_codes(check_paragraphs(excerpt.paragraphs, rules))
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
