"""Loading and validating rules.yaml into compiled patterns (see the header of rules.yaml for its format)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

RULES_PATH = Path(__file__).with_name("rules.yaml")
SEVERITIES = ("error", "warning")
KINDS = ("phrase", "duration", "property_only")
COMMON_KEYS = {"code", "severity", "kind", "title", "explanation", "clause", "alternatives_exempt", "suspect"}
KIND_KEYS = {
    "phrase": ({"patterns"}, {"context", "unless", "yields_to"}),
    "duration": ({"anchor", "max_months"}, set()),
    "property_only": ({"excluded", "property", "rental", "conditional"}, set()),
}
NEGATION_KEYS = ("before", "after", "next_clause", "sentence", "scope_breakers", "exception")
ALTERNATIVE_KEYS = ("inline", "priority", "other_group", "migrant", "ranking", "scoring", "claimed", "group", "cumulative_start", "header_alternative", "header_cumulative",
                    "enumerator", "items")
CODE_FORMAT = re.compile(r"[A-Z][A-Z0-9_]*")


class RulesError(ValueError):
    """rules.yaml cannot be used; the message (Chinese) says where and why."""


@dataclass(frozen=True)
class Negation:
    before: re.Pattern
    after: re.Pattern
    next_clause: re.Pattern
    sentence: re.Pattern
    scope_breakers: re.Pattern
    exception: re.Pattern


@dataclass(frozen=True)
class Alternatives:
    inline: re.Pattern
    priority: re.Pattern
    other_group: re.Pattern
    migrant: re.Pattern
    ranking: re.Pattern
    scoring: re.Pattern
    claimed: re.Pattern
    group: re.Pattern
    cumulative_start: re.Pattern
    header_alternative: re.Pattern
    header_cumulative: re.Pattern
    enumerator: re.Pattern
    items: dict[str, re.Pattern]


@dataclass(frozen=True)
class Language:
    clause_separators: str
    measure_note: re.Pattern
    negation: Negation
    alternatives: Alternatives


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    kind: str
    title: str
    explanation: str
    clause: str
    alternatives_exempt: bool = False
    suspect: tuple[re.Pattern, ...] = ()  # looks like this violation, but no rule is sure: 需人工核查
    patterns: tuple[re.Pattern, ...] = ()
    context: re.Pattern | None = None
    unless: re.Pattern | None = None
    yields_to: tuple[str, ...] = ()
    anchor: str | None = None
    max_months: float | None = None
    excluded: tuple[re.Pattern, ...] = ()
    property: re.Pattern | None = None
    rental: re.Pattern | None = None
    conditional: re.Pattern | None = None


@dataclass(frozen=True)
class ConditionVocabulary:
    baseline: dict[str, str]  # column key of 各县条件对比 -> the finding code that marks it red
    documents: dict[str, re.Pattern]
    simultaneous_yes: re.Pattern
    simultaneous_no: re.Pattern
    lottery_yes: re.Pattern
    lottery_no: re.Pattern


@dataclass(frozen=True)
class RuleSet:
    language: Language
    anchors: dict[str, re.Pattern]
    rules: tuple[Rule, ...]
    conditions: ConditionVocabulary
    by_code: dict[str, Rule] = field(default_factory=dict)

    def rule(self, code: str) -> Rule:
        return self.by_code[code]


# --- small validators ------------------------------------------------------------------

def _compile(value, where: str) -> re.Pattern:
    if not isinstance(value, str) or not value:
        raise RulesError(f"{where} 应为非空的正则表达式字符串")
    try:
        return re.compile(value)
    except re.error as e:
        raise RulesError(f"{where} 的正则表达式有误：{e}") from e


def _compile_list(value, where: str) -> tuple[re.Pattern, ...]:
    if not isinstance(value, list) or not value:
        raise RulesError(f"{where} 应为非空的正则表达式列表")
    return tuple(_compile(v, f"{where}[{i + 1}]") for i, v in enumerate(value))


def _any_of(value, where: str) -> re.Pattern:
    """A list of regexes or a single one, as one alternation."""
    patterns = _compile_list(value, where) if isinstance(value, list) else (_compile(value, where),)
    return re.compile("|".join(f"(?:{p.pattern})" for p in patterns))


def _mapping(value, where: str) -> dict:
    if not isinstance(value, dict) or not value:
        raise RulesError(f"{where} 应为非空的映射（键: 值）")
    return value


def _text(value, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RulesError(f"{where} 应为非空文字")
    return value.strip()


def _require_keys(mapping: dict, keys, where: str) -> None:
    missing = [k for k in keys if k not in mapping]
    if missing:
        raise RulesError(f"{where} 缺少 {', '.join(missing)}")


# --- sections ----------------------------------------------------------------------------

def _language(raw) -> Language:
    raw = _mapping(raw, "language")
    _require_keys(raw, ("clause_separators", "measure_note", "negation", "alternatives"), "language")
    negation = _mapping(raw["negation"], "language.negation")
    _require_keys(negation, NEGATION_KEYS, "language.negation")
    exception = _compile(negation["exception"], "language.negation.exception")
    if "body" not in exception.groupindex:
        raise RulesError("language.negation.exception 须含命名分组 (?P<body>…)")
    alternatives = _mapping(raw["alternatives"], "language.alternatives")
    _require_keys(alternatives, ALTERNATIVE_KEYS, "language.alternatives")
    items = _mapping(alternatives["items"], "language.alternatives.items")
    return Language(
        clause_separators=_text(raw["clause_separators"], "language.clause_separators"),
        measure_note=_compile(raw["measure_note"], "language.measure_note"),
        negation=Negation(
            **{k: _any_of(negation[k], f"language.negation.{k}") for k in NEGATION_KEYS if k != "exception"},
            exception=exception),
        alternatives=Alternatives(
            **{k: _compile(alternatives[k], f"language.alternatives.{k}") for k in ALTERNATIVE_KEYS if k != "items"},
            items={name: _compile(p, f"language.alternatives.items.{name}") for name, p in items.items()}),
    )


def _rule(raw, index: int, anchors: dict) -> Rule:
    where = f"rules 第 {index} 条"
    raw = _mapping(raw, where)
    code = raw.get("code")
    if not isinstance(code, str) or not CODE_FORMAT.fullmatch(code):
        raise RulesError(f"{where}：code 应为大写英文代码（如 FAMILY_PLANNING_PROOF）")
    where = f"{where}（{code}）"
    _require_keys(raw, ("severity", "kind", "title", "explanation", "clause"), where)
    if raw["severity"] not in SEVERITIES:
        raise RulesError(f"{where}：severity 只能是 error 或 warning")
    kind = raw["kind"]
    if kind not in KINDS:
        raise RulesError(f"{where}：kind 只能是 {'、'.join(KINDS)}")
    required, optional = KIND_KEYS[kind]
    _require_keys(raw, required, where)
    unknown = set(raw) - COMMON_KEYS - required - optional
    if unknown:
        raise RulesError(f"{where}：不认识的键 {', '.join(sorted(unknown))}")
    exempt = raw.get("alternatives_exempt", False)
    if not isinstance(exempt, bool):
        raise RulesError(f"{where}：alternatives_exempt 应为 true 或 false")
    common = dict(code=code, severity=raw["severity"], kind=kind, alternatives_exempt=exempt,
                  title=_text(raw["title"], f"{where} title"),
                  explanation=_text(raw["explanation"], f"{where} explanation"),
                  clause=_text(raw["clause"], f"{where} clause"),
                  suspect=_compile_list(raw["suspect"], f"{where} suspect") if "suspect" in raw else ())
    if kind == "phrase":
        yields_to = raw.get("yields_to", [])
        if not isinstance(yields_to, list) or not all(isinstance(c, str) for c in yields_to):
            raise RulesError(f"{where}：yields_to 应为代码列表")
        return Rule(**common, patterns=_compile_list(raw["patterns"], f"{where} patterns"),
                    context=_compile(raw["context"], f"{where} context") if "context" in raw else None,
                    unless=_compile(raw["unless"], f"{where} unless") if "unless" in raw else None,
                    yields_to=tuple(yields_to))
    if kind == "duration":
        if raw["anchor"] not in anchors:
            raise RulesError(f"{where}：anchor {raw['anchor']!r} 不在 anchors 中")
        months = raw["max_months"]
        if isinstance(months, bool) or not isinstance(months, (int, float)) or months <= 0:
            raise RulesError(f"{where}：max_months 应为正数（月数）")
        return Rule(**common, anchor=raw["anchor"], max_months=months)
    return Rule(**common, excluded=_compile_list(raw["excluded"], f"{where} excluded"),
                property=_compile(raw["property"], f"{where} property"),
                rental=_compile(raw["rental"], f"{where} rental"),
                conditional=_compile(raw["conditional"], f"{where} conditional"))


def _conditions(raw) -> ConditionVocabulary:
    raw = _mapping(raw, "conditions")
    _require_keys(raw, ("documents", "simultaneous_enrollment", "lottery"), "conditions")
    documents = _mapping(raw["documents"], "conditions.documents")
    pairs = {}
    for name in ("simultaneous_enrollment", "lottery"):
        section = _mapping(raw[name], f"conditions.{name}")
        _require_keys(section, ("true_when", "false_when"), f"conditions.{name}")
        pairs[name] = (_compile(section["true_when"], f"conditions.{name}.true_when"),
                       _compile(section["false_when"], f"conditions.{name}.false_when"))
    baseline = raw.get("baseline", {})
    if not isinstance(baseline, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in baseline.items()):
        raise RulesError("conditions.baseline 应为“列: 代码”的映射")
    return ConditionVocabulary(
        baseline=dict(baseline),
        documents={str(n): _compile(p, f"conditions.documents.{n}") for n, p in documents.items()},
        simultaneous_yes=pairs["simultaneous_enrollment"][0], simultaneous_no=pairs["simultaneous_enrollment"][1],
        lottery_yes=pairs["lottery"][0], lottery_no=pairs["lottery"][1])


def parse_rules(text: str) -> RuleSet:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise RulesError(f"规则文件不是有效的 YAML：{e}") from e
    raw = _mapping(raw, "规则文件")
    if raw.get("version") != 1:
        raise RulesError("规则文件 version 应为 1")
    _require_keys(raw, ("language", "anchors", "rules", "conditions"), "规则文件")
    anchors = {name: _compile(p, f"anchors.{name}") for name, p in _mapping(raw["anchors"], "anchors").items()}
    if not isinstance(raw["rules"], list) or not raw["rules"]:
        raise RulesError("rules 应为非空列表")
    rules = tuple(_rule(r, i, anchors) for i, r in enumerate(raw["rules"], 1))
    by_code = {}
    for rule in rules:
        if rule.code in by_code:
            raise RulesError(f"规则代码 {rule.code} 重复")
        by_code[rule.code] = rule
    for rule in rules:
        unknown = [c for c in rule.yields_to if c not in by_code]
        if unknown:
            raise RulesError(f"规则 {rule.code}：yields_to 中的 {', '.join(unknown)} 不存在")
    conditions = _conditions(raw["conditions"])
    unknown = sorted(c for c in conditions.baseline.values() if c not in by_code)
    if unknown:
        raise RulesError(f"conditions.baseline 中的 {', '.join(unknown)} 不存在")
    return RuleSet(language=_language(raw["language"]), anchors=anchors, rules=rules,
                   conditions=conditions, by_code=by_code)


def load_rules(path: Path | str | None = None) -> RuleSet:
    """The rules at `path` (default: the shipped rules.yaml), or RulesError saying what is wrong."""
    if path is None:
        return _default_rules()
    return _read_rules(Path(path))


def _read_rules(path: Path) -> RuleSet:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RulesError(f"无法读取规则文件 {path}：{e}") from e
    try:
        return parse_rules(text)
    except RulesError as e:
        raise RulesError(f"规则文件 {path.name} 有误：{e}") from e


@lru_cache(maxsize=1)
def _default_rules() -> RuleSet:
    return _read_rules(RULES_PATH)
