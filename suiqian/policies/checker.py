"""Checks a county's 随迁子女入学实施细则 against rules.yaml, sentence by sentence."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from .extraction import NeedsRecognition, extract_paragraphs
from .language import (
    Sentence,
    about_other_group,
    clause_bounds,
    document_sentences,
    inline_parts,
    is_alternative,
    is_claimed_status,
    is_negated,
    is_ranking,
)
from .numerals import Duration, find_durations
from .rules import Rule, RuleSet, load_rules

# How far after a duration its subject may come: 近两年的城镇职工养老保险缴费记录.
FOLLOWING_WINDOW = 12
LIST_BOUNDARY = re.compile(r"[、；;：:]")
# A period that qualifies the noun after it: 一年（含一年）以上的务工证.
MODIFIES_FOLLOWING = re.compile(r"[）)]?(?:[（(][^）)]{0,8}[）)])?(?:以上|及以上|以下)?(?:[（(][^）)]{0,8}[）)])?的")


UNCERTAIN_NOTE = "需人工核查：句子像是违反此项规定，但规则无法确定。"
# The shape of `suiqian policy check --format json`: keys added later go at the end.
JSON_KEYS = ("code", "severity", "paragraph", "start", "end", "text", "rule", "clause", "title", "trigger", "certain")


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    paragraph: int  # 1-based
    start: int  # character span of the offending sentence within its paragraph
    end: int
    text: str  # the sentence
    explanation: str
    clause: str
    title: str = ""
    trigger: str = ""  # the words that set it off
    certain: bool = True  # False: looks like a violation but no rule is sure (需人工核查)

    def to_dict(self) -> dict:
        """The JSON shape of `suiqian policy check`: the explanation goes out as `rule`."""
        data = asdict(self)
        data["rule"] = data.pop("explanation")
        return {key: data[key] for key in JSON_KEYS}

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        """Back from the stored JSON shape (a submission keeps its findings as to_dict() made them;
        those stored before titles and triggers existed lack them)."""
        return cls(code=data["code"], severity=data["severity"], paragraph=data["paragraph"], start=data["start"],
                   end=data["end"], text=data["text"], explanation=data["rule"], clause=data["clause"],
                   title=data.get("title", ""), trigger=data.get("trigger", ""), certain=data.get("certain", True))


@dataclass(frozen=True)
class Mention:
    code: str
    start: int
    end: int
    certain: bool = True


def check_file(data: bytes, filename: str, rules: RuleSet | None = None) -> list[Finding]:
    """Findings in an uploaded file; ExtractionError when it cannot be read."""
    return check_paragraphs(extract_paragraphs(data, filename), rules)


def check_document(data: bytes, filename: str) -> dict:
    """The paragraphs and findings (JSON shapes) of a file — what a submission keeps; also run in a sandbox,
    so a scan is said in the answer rather than by an exception type."""
    try:
        paragraphs = extract_paragraphs(data, filename)
    except NeedsRecognition:
        return {"needs_recognition": True, "paragraphs": [], "findings": []}
    return {"paragraphs": paragraphs, "findings": [f.to_dict() for f in check_paragraphs(paragraphs)]}


def check_paragraphs(paragraphs: list[str], rules: RuleSet | None = None) -> list[Finding]:
    """Certain findings, and uncertain ones (certain=False) where a sentence only looks like a violation."""
    rules = rules or load_rules()
    sentences = [s for s in document_sentences(paragraphs, rules.language)
                 if not about_other_group(s.text, rules.language)]
    found: dict[tuple[str, int, int], Finding] = {}
    for sentence in sentences:
        for mention in _phrase_mentions(sentence, rules) + _duration_mentions(sentence, rules):
            _add(found, rules.rule(mention.code), sentence, mention)
    for rule in rules.rules:
        if rule.kind == "property_only":
            for sentence, mention in _property_only_sentences(sentences, rule, rules):
                _add(found, rule, sentence, mention)
    for sentence in sentences:
        for mention in _suspect_mentions(sentence, rules):
            _add(found, rules.rule(mention.code), sentence, mention)
    order = {rule.code: i for i, rule in enumerate(rules.rules)}
    return sorted(found.values(), key=lambda f: (f.paragraph, f.start, order[f.code]))


def certain_codes(findings: list[Finding]) -> frozenset[str]:
    return frozenset(f.code for f in findings if f.certain)


def _add(found: dict, rule: Rule, sentence: Sentence, mention: Mention) -> None:
    """One finding per rule and sentence; a certain one replaces an uncertain one."""
    key = (rule.code, sentence.paragraph, sentence.start)
    if key in found and (found[key].certain or not mention.certain):
        return
    explanation = rule.explanation if mention.certain else f"{UNCERTAIN_NOTE}{rule.explanation}"
    found[key] = Finding(rule.code, rule.severity, sentence.paragraph, sentence.start, sentence.end, sentence.text,
                         explanation, rule.clause, rule.title, sentence.text[mention.start:mention.end],
                         mention.certain)


def _suspect_mentions(sentence: Sentence, rules: RuleSet) -> list[Mention]:
    mentions = []
    for rule in rules.rules:
        for pattern in rule.suspect:
            for match in pattern.finditer(sentence.text):
                clause_start, clause_end = clause_bounds(sentence.text, match.start(), rules.language.clause_separators)
                if rule.unless is not None and rule.unless.search(sentence.text, clause_start, clause_end):
                    continue
                if not is_negated(sentence.text, match.start(), match.end(), rules.language):
                    mentions.append(Mention(rule.code, match.start(), match.end(), certain=False))
    return mentions


# --- phrase rules: a proof named and not negated ---------------------------------------

def _phrase_mentions(sentence: Sentence, rules: RuleSet) -> list[Mention]:
    phrase_rules = [r for r in rules.rules if r.kind == "phrase"]
    raw = {rule.code: _raw_matches(sentence.text, rule) for rule in phrase_rules}
    mentions = []
    for rule in phrase_rules:
        for start, end in raw[rule.code]:
            if any(_overlaps((start, end), other) for code in rule.yields_to for other in raw[code]):
                continue
            if not _demanded(sentence, start, end, rule, rules):
                continue
            # A proof asked for points (独生子女加分需提供……) ranks applicants: a reviewer decides.
            certain = not (is_ranking(sentence.text, start, rules.language)
                           or is_claimed_status(sentence.text, start, rules.language))
            mentions.append(Mention(rule.code, start, end, certain))
    return mentions


def _raw_matches(text: str, rule: Rule) -> list[tuple[int, int]]:
    return [m.span() for pattern in rule.patterns for m in pattern.finditer(text)]


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _demanded(sentence: Sentence, start: int, end: int, rule: Rule, rules: RuleSet) -> bool:
    language = rules.language
    clause_start, clause_end = clause_bounds(sentence.text, start, language.clause_separators)
    clause = sentence.text[clause_start:clause_end]
    if rule.context is not None and not rule.context.search(clause):
        return False
    if rule.unless is not None and rule.unless.search(clause):
        return False
    if about_other_group(clause, language):
        return False
    if is_negated(sentence.text, start, end, language):
        return False
    return not (rule.alternatives_exempt and is_alternative(sentence, start, language))


# --- duration rules: 满一年, 十八个月 … attributed to what they are about -------------------

def _duration_mentions(sentence: Sentence, rules: RuleSet) -> list[Mention]:
    duration_rules = {r.anchor: r for r in rules.rules if r.kind == "duration"}
    exceeding = []
    for duration in find_durations(sentence.text):
        anchor = attribute_duration(sentence.text, duration, rules, set(duration_rules))
        anchors = [anchor] + coordinated_anchors(sentence.text, duration, anchor, rules, set(duration_rules))
        exceeding += [(duration, name) for name in anchors
                      if name in duration_rules and duration.months > duration_rules[name].max_months]
    mentions = []
    for duration, name in exceeding:
        rule = duration_rules[name]
        start, end = _with_anchor(sentence.text, duration, rules.anchors[name])
        if is_ranking(sentence.text, duration.start, rules.language):
            # A period that earns points ranks applicants; whether it also bars them, a reviewer decides.
            if not is_negated(sentence.text, duration.start, duration.end, rules.language):
                mentions.append(Mention(rule.code, start, end, certain=False))
        elif (_demanded(sentence, duration.start, duration.end, rule, rules)
              or _every_alternative_exceeds(sentence.text, duration, name, exceeding, rules)):
            mentions.append(Mention(rule.code, start, end))
    return mentions


def _every_alternative_exceeds(text: str, duration: Duration, name: str, exceeding: list, rules: RuleSet) -> bool:
    """居住两年以上（或居住1年以上，且……）: an alternative that asks too long a period of the same
    thing is no way out."""
    split = inline_parts(text, duration.start, rules.language)
    if split is None or is_negated(text, duration.start, duration.end, rules.language):
        return False
    _, others = split
    return all(any(s <= d.start < e for d, n in exceeding if n == name) for s, e in others)


COORDINATION = re.compile(r"^[^，,。；;]{0,10}$")
# Only activities are listed under one period (居住、就业、缴纳社保满一年); a permit is a document
# named in a list of documents (户口簿、居住证、社保证明（近一年）) and keeps its own period.
ACTIVITY_ANCHORS = {"residence", "social_insurance"}
COORDINATOR = re.compile(r"、|和|及|并|与")


def coordinated_anchors(text: str, duration: Duration, anchor: str | None, rules: RuleSet, ruled: set[str]) -> list[str]:
    """Other subjects listed with the nearest one: 连续居住、务工就业、参加社会保险两年以上 is about all three."""
    if anchor not in ACTIVITY_ANCHORS:
        return []
    clause_start, _ = clause_bounds(text, duration.start, rules.language.clause_separators)
    matches = sorted((m.start(), m.end(), name) for name, pattern in rules.anchors.items()
                     for m in pattern.finditer(text, clause_start, duration.start))
    found, following_start = [], None
    for start, end, name in reversed(matches):
        if following_start is not None and end > following_start - 1:
            following_start = min(start, following_start)  # 缴纳社会保险: one item named twice
            continue
        if following_start is not None:
            gap = text[end:following_start]
            if not (COORDINATION.match(gap) and COORDINATOR.search(gap)):
                break
            if name in ruled & ACTIVITY_ANCHORS and name != anchor and name not in found:
                found.append(name)
        following_start = start
    return found


def _with_anchor(text: str, duration: Duration, anchor) -> tuple[int, int]:
    """The span from the anchor (居住证) to the duration (满一年), for showing what triggered."""
    before = [m for m in anchor.finditer(text, max(0, duration.start - 30), duration.start)]
    start = before[-1].start() if before else duration.start
    return start, duration.end


def attribute_duration(text: str, duration: Duration, rules: RuleSet, ruled: set[str]) -> str | None:
    """The anchor a duration is about: the nearest before it in its clause (居住证满一年), else one
    right after it (近两年的养老保险), else the nearest ruled anchor in the clauses before it.
    Anchors inside a note on how the period is measured (以居住证登记时间为准) are passed over."""
    language = rules.language
    notes = [m.span() for m in language.measure_note.finditer(text)]
    clause_start, clause_end = clause_bounds(text, duration.start, language.clause_separators)
    nearest, nearest_end = _nearest_before_at(text, clause_start, duration.start, rules.anchors, notes)
    if nearest and LIST_BOUNDARY.search(text, nearest_end, duration.start):
        # 居住证、一年以上的务工证: past a list boundary, a period that modifies the item after it
        # (……以上的务工证) is about that item, not the one named before the boundary.
        modified = MODIFIES_FOLLOWING.match(text, duration.end)
        if modified:
            following = next((name for name, pattern in rules.anchors.items()
                              if pattern.match(text, modified.end())), None)
            if following:
                return following
    if nearest:
        return nearest
    following = _first_after(text, duration.end, min(duration.end + FOLLOWING_WINDOW, clause_end), rules.anchors)
    if following:
        return following
    ruled_anchors = {k: v for k, v in rules.anchors.items() if k in ruled}
    return _nearest_before(text, 0, clause_start, ruled_anchors, notes)


def _nearest_before(text: str, start: int, end: int, anchors: dict, notes: list[tuple[int, int]]) -> str | None:
    return _nearest_before_at(text, start, end, anchors, notes)[0]


def _nearest_before_at(text: str, start: int, end: int, anchors: dict,
                       notes: list[tuple[int, int]]) -> tuple[str | None, int]:
    best, best_end = None, -1
    for name, pattern in anchors.items():
        for match in pattern.finditer(text, start, end):
            if match.end() > best_end and not any(s <= match.start() < e for s, e in notes):
                best, best_end = name, match.end()
    return best, best_end


def _first_after(text: str, start: int, end: int, anchors: dict) -> str | None:
    best, best_start = None, end
    for name, pattern in anchors.items():
        match = pattern.search(text, start, end)
        if match and match.start() < best_start:
            best, best_start = name, match.start()
    return best


# --- owned housing only ----------------------------------------------------------------------

def _property_only_sentences(sentences: list[Sentence], rule: Rule, rules: RuleSet) -> list[tuple[Sentence, Mention]]:
    """Sentences refusing rental outright; and, when the document never accepts rental, those
    requiring owned housing (a 自有住房的，提供房产证 branch is not a requirement, nor is a 房产证
    offered as one option among others: 居住证或本人房产证)."""
    language = rules.language
    flagged, rental_accepted, requiring = [], False, []
    for sentence in sentences:
        exclusions = [m.span() for p in rule.excluded for m in p.finditer(sentence.text)
                      if not is_negated(sentence.text, m.start(), m.end(), language, cues_inside=False)]
        if exclusions:
            flagged.append((sentence, Mention(rule.code, *exclusions[0])))
        if any(not any(_overlaps(m.span(), e) for e in exclusions) for m in rule.rental.finditer(sentence.text)):
            rental_accepted = True
        if rule.conditional.search(sentence.text):
            continue
        demanded = [m for m in rule.property.finditer(sentence.text)
                    if not is_negated(sentence.text, m.start(), m.end(), language)
                    and not is_alternative(sentence, m.start(), language)]
        if demanded:
            requiring.append((sentence, Mention(rule.code, *demanded[0].span())))
    return flagged if rental_accepted else flagged + requiring
