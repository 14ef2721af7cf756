"""Sentences, clauses, negation and alternatives in the Chinese of county enrollment rules.

Offsets are character offsets: a sentence's within its paragraph, a mention's within its sentence.
The vocabulary (cue words, markers) comes from rules.yaml; this module holds only the logic.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .rules import Alternatives, Language, Negation

SENTENCE_END = re.compile(r"[。；;！!？?\n]")
COLONS = "：:"
# A proof word in a clause means the clause names its own object, so its negation is its own.
PROOF_WORD = re.compile(r"证明|证书|证(?!件)")


@dataclass(frozen=True)
class Sentence:
    paragraph: int  # 1-based
    start: int
    end: int
    text: str
    terminator: str  # the character that ended it, "" at the end of the paragraph
    alternatives_from: int | None = None  # offset from which a 下列条件之一 list applies


def split_sentences(paragraph: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, terminator) of each non-blank sentence, whitespace trimmed."""
    start = 0
    for match in SENTENCE_END.finditer(paragraph):
        yield from _trimmed(paragraph, start, match.start(), match.group())
        start = match.end()
    yield from _trimmed(paragraph, start, len(paragraph), "")


def _trimmed(paragraph: str, start: int, end: int, terminator: str):
    while start < end and paragraph[start].isspace():
        start += 1
    while end > start and paragraph[end - 1].isspace():
        end -= 1
    if start < end:
        yield start, end, terminator


def document_sentences(paragraphs: list[str], language: Language) -> list[Sentence]:
    """Every sentence of the document, marked where a 下列条件之一： list makes its items alternatives."""
    sentences = []
    tracker = ListTracker(language.alternatives)
    for number, paragraph in enumerate(paragraphs, 1):
        for index, (start, end, terminator) in enumerate(split_sentences(paragraph)):
            text = paragraph[start:end]
            alternatives_from = tracker.step(text, first_in_paragraph=index == 0, terminator=terminator)
            sentences.append(Sentence(number, start, end, text, terminator, alternatives_from))
    return sentences


class ListTracker:
    """Follows 符合下列条件之一：（一）……；（二）…… across sentences and paragraphs.

    A list goes on while its items start with an enumerator or continue the header's paragraph
    after a ；, and ends at the first sentence that does neither.
    """

    def __init__(self, alternatives: Alternatives):
        self.alternatives = alternatives
        self.mode = None  # None | "alternative" | "cumulative"
        self.open_paragraph = False  # the last list sentence ended with ；, not 。

    def step(self, text: str, first_in_paragraph: bool, terminator: str) -> int | None:
        continues = self.mode is not None and (
            self.alternatives.enumerator.match(text) or (self.open_paragraph and not first_in_paragraph))
        if not continues:
            self.mode = None
        result = 0 if continues and self.mode == "alternative" else None
        header = self._header(text)
        if header is not None:
            self.mode, colon = header
            if self.mode == "alternative":
                result = colon
        self.open_paragraph = self.mode is not None and terminator in "；;"
        return result

    def _header(self, text: str) -> tuple[str, int] | None:
        colon = max(text.rfind("："), text.rfind(":"))
        if colon < 0:
            return None
        head = text[:colon]
        if self.alternatives.header_cumulative.search(head):
            return "cumulative", colon
        if self.alternatives.header_alternative.search(head):
            return "alternative", colon
        return None


# --- clauses -----------------------------------------------------------------------------

def clause_bounds(text: str, pos: int, separators: str) -> tuple[int, int]:
    start = max(text.rfind(sep, 0, pos) for sep in separators) + 1
    ends = [i for i in (text.find(sep, pos) for sep in separators) if i >= 0]
    return start, min(ends, default=len(text))


def clauses(text: str, separators: str) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for i, ch in enumerate(text):
        if ch in separators:
            bounds.append((start, i))
            start = i + 1
    bounds.append((start, len(text)))
    return bounds


# --- negation ----------------------------------------------------------------------------

def in_exception(text: str, start: int, end: int, negation: Negation) -> bool:
    """Inside 除……外: named as the exception, so still demanded."""
    return any(m.start("body") <= start and end <= m.end("body") for m in negation.exception.finditer(text))


def is_negated(text: str, start: int, end: int, language: Language, cues_inside: bool = True) -> bool:
    """Whether the mention text[start:end] is prohibited, cancelled or waived rather than demanded.

    cues_inside=False for patterns that carry a refusal themselves (租房不予受理).
    """
    negation = language.negation
    if negation.sentence.search(text):
        return True
    if in_exception(text, start, end, negation):
        return False
    if cues_inside and negation.before.search(text, start, end):
        return True  # a cue inside a match that spans clauses: 超龄的，不得要求……证明
    return (_negated_before(text, start, language) or _negated_after(text, end, language)
            or _negated_by_next_clause(text, end, language))


def _negated_before(text: str, start: int, language: Language) -> bool:
    negation = language.negation
    cue = None
    for match in negation.before.finditer(text, 0, start):
        cue = match
    if cue is None:
        return False
    between = text[cue.end():start]
    if negation.scope_breakers.search(between):
        return False
    first_separator = min((i for i in (between.find(s) for s in language.clause_separators) if i >= 0),
                          default=None)
    if first_separator is None:
        return True
    # 不得要求提供以下证明：计划生育证明，…… — a colon carries the cue over the commas of its list.
    return any(c in between[:first_separator] for c in COLONS)


def _negated_after(text: str, end: int, language: Language) -> bool:
    _, clause_end = clause_bounds(text, end, language.clause_separators)
    return bool(language.negation.after.search(text, end, clause_end))


def _negated_by_next_clause(text: str, end: int, language: Language) -> bool:
    _, clause_end = clause_bounds(text, end, language.clause_separators)
    if clause_end >= len(text):
        return False
    next_start = clause_end + 1
    _, next_end = clause_bounds(text, next_start, language.clause_separators)
    following = text[next_start:next_end].strip()
    match = language.negation.next_clause.match(following)
    return bool(match) and not PROOF_WORD.search(following[match.end():])


# --- alternatives ------------------------------------------------------------------------

def about_other_group(text: str, language: Language) -> bool:
    """Whether the sentence speaks only of children with local 户籍, not of 随迁子女."""
    alternatives = language.alternatives
    return bool(alternatives.other_group.search(text)) and not alternatives.migrant.search(text)


def is_ranking(text: str, pos: int, language: Language) -> bool:
    """Whether the clause at `pos` scores applicants (积分) rather than sets a condition."""
    clause_start, clause_end = clause_bounds(text, pos, language.clause_separators)
    if language.alternatives.ranking.search(text, clause_start, clause_end):
        return True
    if language.alternatives.scoring.search(text):
        return True
    # 积分达15分（其中……连续居住满一年，得分不低于5分）: a bracket opened in a scoring clause.
    opener = max(text.rfind("（", 0, pos), text.rfind("(", 0, pos))
    return opener >= 0 and bool(language.alternatives.ranking.search(text, max(0, opener - 20), opener))


def is_claimed_status(text: str, pos: int, language: Language) -> bool:
    """Whether the clause at `pos`, or the one before it, asks the proof only of families claiming a
    status (如是独生子女的，提供……)."""
    spans = clauses(text, language.clause_separators)
    index = next(i for i, (s, e) in enumerate(spans) if s <= pos <= e)
    start = spans[max(0, index - 1)][0]
    return bool(language.alternatives.claimed.search(text, start, spans[index][1]))


def item_categories(text: str, alternatives: Alternatives) -> set[str]:
    return {name for name, pattern in alternatives.items.items() if pattern.search(text)}


def is_alternative(sentence: Sentence, start: int, language: Language) -> bool:
    """Whether the requirement at `start` is one option among several rather than demanded on its own."""
    if sentence.alternatives_from is not None and start >= sentence.alternatives_from:
        return True
    if language.alternatives.priority.search(sentence.text):
        return True
    return _inline_alternative(sentence.text, start, language) or _group_alternative(sentence.text, start, language)


def inline_parts(text: str, pos: int, language: Language) -> tuple[tuple[int, int], list[tuple[int, int]]] | None:
    """The 或-joined part of the clause holding `pos`, and the other parts; None without 或."""
    clause_start, clause_end = clause_bounds(text, pos, language.clause_separators)
    markers = list(language.alternatives.inline.finditer(text, clause_start, clause_end))
    if not markers:
        return None
    edges = [clause_start, *(p for m in markers for p in (m.start(), m.end())), clause_end]
    parts = [(edges[i], edges[i + 1]) for i in range(0, len(edges), 2)]
    own = next((p for p in parts if p[0] <= pos <= p[1]), None)
    if own is None:
        return None
    return own, [p for p in parts if p != own]


def _inline_alternative(text: str, pos: int, language: Language) -> bool:
    """社保满一年或劳动合同或营业执照 — another 或-joined part names a different kind of item."""
    alternatives = language.alternatives
    split = inline_parts(text, pos, language)
    if split is None:
        return False
    own, parts = split
    own_segment = _own_segment(text, own[0], own[1], pos)
    own_categories = item_categories(own_segment, alternatives)
    others = set()
    for part in parts:
        others |= item_categories(text[part[0]:part[1]], alternatives)
    return bool(others - own_categories)


def _own_segment(text: str, start: int, end: int, pos: int) -> str:
    """The item the requirement belongs to: from the last list boundary before it to the part's end.
    A bracket that only annotates the item before it (旧居住证（需满一年以上）) is no boundary."""
    boundary = max(text.rfind(ch, start, pos) for ch in "（(、：:")
    if boundary >= start and text[boundary] in "（(" and not _names_an_item(text[boundary + 1:pos]):
        boundary = max(text.rfind(ch, start, boundary) for ch in "、：:")
    return text[max(start, boundary + 1):end]


ITEM_WORDS = re.compile(r"证|合同|执照|证明|保险|社保")


def _names_an_item(text: str) -> bool:
    return bool(ITEM_WORDS.search(text))


def _group_alternative(text: str, pos: int, language: Language) -> bool:
    """……之一即可 / ……，任选其一 — the marker covers its clause, or the clause before a bare marker."""
    alternatives = language.alternatives
    spans = clauses(text, language.clause_separators)
    for marker in alternatives.group.finditer(text):
        index = next(i for i, (s, e) in enumerate(spans) if s <= marker.start() <= e)
        scope_start, scope_end = spans[index]
        own = text[scope_start:scope_end]
        bare = not item_categories(own, alternatives)
        if bare and index > 0 and not alternatives.cumulative_start.match(own.strip()):
            scope_start = spans[index - 1][0]
        if scope_start <= pos < scope_end and len(item_categories(text[scope_start:scope_end], alternatives)) >= 2:
            return True
    return False
