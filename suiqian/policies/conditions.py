"""Key conditions of a county's rules, and a table comparing the counties of one city.

Each county is first held against the policy baseline: a cell is red when the county's own text
breaks a rule (a certain finding of the checker, shown with its clause). Only then does the table
mark, in amber, a value that differs from the one most counties share — and only where that
majority value is itself within policy, so a compliant county is never flagged for being less
strict than its neighbours. Conditions and findings come from the same sentences and negation.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .checker import Finding, attribute_duration, check_paragraphs
from .language import Sentence, about_other_group, document_sentences, is_negated
from .numerals import find_durations
from .rules import RuleSet, load_rules

# Anchor names of rules.yaml whose durations are reported, and the field each one fills.
DURATION_FIELDS = {
    "residence_permit": "residence_permit_months",
    "residence": "residence_months",
    "social_insurance": "social_insurance_months",
}


@dataclass(frozen=True)
class Conditions:
    documents: frozenset[str]  # normalized names, e.g. 居住证, 房产证/购房合同
    residence_permit_months: float | None  # None: not stated
    residence_months: float | None
    social_insurance_months: float | None
    simultaneous_enrollment: bool | None  # 公民同招 stated (True), contradicted (False), absent (None)
    lottery: bool | None  # 摇号 / 随机派位
    # The checker's certain findings on the same text: what of it breaks the policy baseline.
    findings: tuple[Finding, ...] = field(default=(), compare=False)


def extract_conditions(paragraphs: list[str], rules: RuleSet | None = None) -> Conditions:
    rules = rules or load_rules()
    # As in the checker: what the text asks of local 户籍 children is no condition for 随迁子女.
    sentences = [s for s in document_sentences(paragraphs, rules.language)
                 if not about_other_group(s.text, rules.language)]
    vocabulary = rules.conditions
    months = _stated_months(sentences, rules)
    return Conditions(
        documents=frozenset(name for name, pattern in vocabulary.documents.items()
                            if _stated(sentences, pattern, rules)),
        residence_permit_months=months.get("residence_permit_months"),
        residence_months=months.get("residence_months"),
        social_insurance_months=months.get("social_insurance_months"),
        simultaneous_enrollment=_yes_no(sentences, vocabulary.simultaneous_yes, vocabulary.simultaneous_no, rules),
        lottery=_yes_no(sentences, vocabulary.lottery_yes, vocabulary.lottery_no, rules),
        findings=tuple(f for f in check_paragraphs(paragraphs, rules) if f.certain),
    )


def _stated_spans(sentence: Sentence, pattern, rules: RuleSet) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(sentence.text)
            if not is_negated(sentence.text, m.start(), m.end(), rules.language)]


def _stated(sentences: list[Sentence], pattern, rules: RuleSet) -> bool:
    return any(_stated_spans(s, pattern, rules) for s in sentences)


def _stated_months(sentences: list[Sentence], rules: RuleSet) -> dict[str, float]:
    """The strictest (longest) duration stated for each subject."""
    ruled = set(DURATION_FIELDS) & set(rules.anchors)
    months: dict[str, float] = {}
    for sentence in sentences:
        for duration in find_durations(sentence.text):
            field = DURATION_FIELDS.get(attribute_duration(sentence.text, duration, rules, ruled))
            if field and not is_negated(sentence.text, duration.start, duration.end, rules.language):
                months[field] = max(months.get(field, 0), duration.months)
    return months


def _yes_no(sentences: list[Sentence], true_when, false_when, rules: RuleSet) -> bool | None:
    """True when stated, False when contradicted (民办学校提前招生, 不进行摇号), else None."""
    stated_true = stated_false = False
    for sentence in sentences:
        against = _stated_spans(sentence, false_when, rules)
        stated_false = stated_false or bool(against)
        stated_true = stated_true or any(
            not any(s < e2 and s2 < e for s2, e2 in against) for s, e in _stated_spans(sentence, true_when, rules))
    if stated_true:
        return True
    return False if stated_false else None


# --- consistency across a city -------------------------------------------------------------

@dataclass(frozen=True)
class ConsistencyColumn:
    key: str  # a Conditions field, or "document:<name>"
    label: str
    majority: object  # the value most counties share; meaningless when has_majority is False
    has_majority: bool  # False when no single value is the most common (a tie)
    majority_breaks_policy: bool = False  # most counties share a value that breaks the policy


@dataclass(frozen=True)
class ConsistencyCell:
    value: object
    display: str
    differs: bool  # amber: differs from a majority value that is within policy
    breaks: Finding | None = None  # red: the county's text breaks the policy here (with its clause)


@dataclass(frozen=True)
class ConsistencyRow:
    label: str
    conditions: Conditions
    cells: tuple[ConsistencyCell, ...]

    @property
    def differs(self) -> bool:
        return any(cell.differs for cell in self.cells)

    @property
    def violations(self) -> tuple[Finding, ...]:
        """One finding per broken rule, in the checker's order."""
        seen, out = set(), []
        for finding in self.conditions.findings:
            if finding.code not in seen:
                seen.add(finding.code)
                out.append(finding)
        return tuple(out)

    @property
    def breaks_policy(self) -> bool:
        return bool(self.conditions.findings)


@dataclass(frozen=True)
class ConsistencyTable:
    columns: tuple[ConsistencyColumn, ...]
    rows: tuple[ConsistencyRow, ...]

    def differing_labels(self) -> list[str]:
        """The counties that differ (amber) from the rest in at least one condition."""
        return [row.label for row in self.rows if row.differs]

    def breaking_labels(self) -> list[str]:
        """The counties whose rules break the policy (red)."""
        return [row.label for row in self.rows if row.breaks_policy]


SCALAR_COLUMNS = (
    ("residence_permit_months", "居住证持有时间"),
    ("residence_months", "居住时间"),
    ("social_insurance_months", "社保缴费时间"),
    ("simultaneous_enrollment", "公民同招"),
    ("lottery", "摇号（随机派位）"),
)


def consistency_table(rows: list[tuple[str, Conditions]], rules: RuleSet | None = None) -> ConsistencyTable:
    """One row per county, one column per condition (and per document any county requires)."""
    rules = rules or load_rules()
    baseline = rules.conditions.baseline
    documents = sorted({d for _, c in rows for d in c.documents}, key=_document_order(rows))
    getters = [(key, label, _field_getter(key)) for key, label in SCALAR_COLUMNS]
    getters += [(f"document:{d}", f"材料：{d}", _document_getter(d)) for d in documents]
    columns, cells_by_row = [], [[] for _ in rows]
    for key, label, get in getters:
        values = [get(conditions) for _, conditions in rows]
        breaks = [_breaking(conditions, baseline.get(key)) for _, conditions in rows]
        majority, has_majority = _majority(values)
        # The majority breaks the policy when the counties holding it are the ones found breaking it.
        majority_breaks = has_majority and any(b is not None for v, b in zip(values, breaks) if v == majority)
        columns.append(ConsistencyColumn(key, label, majority, has_majority, majority_breaks))
        for index, value in enumerate(values):
            differs = (breaks[index] is None and has_majority and not majority_breaks and value != majority)
            cells_by_row[index].append(ConsistencyCell(value, display_value(key, value), differs, breaks[index]))
    return ConsistencyTable(
        tuple(columns),
        tuple(ConsistencyRow(label, conditions, tuple(cells))
              for (label, conditions), cells in zip(rows, cells_by_row, strict=True)))


def _breaking(conditions: Conditions, code: str | None) -> Finding | None:
    if code is None:
        return None
    return next((f for f in conditions.findings if f.code == code), None)


def _field_getter(key: str):
    return lambda conditions: getattr(conditions, key)


def _document_getter(name: str):
    return lambda conditions: name in conditions.documents


def _document_order(rows):
    """Most often required first, so the columns read from the common to the unusual."""
    counts = Counter(d for _, c in rows for d in c.documents)
    return lambda name: (-counts[name], name)


def _majority(values: list) -> tuple[object, bool]:
    ranked = Counter(values).most_common()
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return None, False
    return ranked[0][0], True


def display_value(key: str, value) -> str:
    if key.startswith("document:"):
        return "要求" if value else "—"
    if key.endswith("_months"):
        return "未规定" if value is None else format_months(value)
    return {True: "是", False: "否", None: "未提及"}[value]


def format_months(months: float) -> str:
    if months >= 12 and months % 12 == 0:
        return f"{int(months // 12)}年"
    if months >= 12 and months % 12 == 6:
        return f"{int(months // 12)}年半"
    return f"{months:g}个月"


