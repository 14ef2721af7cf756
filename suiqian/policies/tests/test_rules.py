import pytest
import yaml

from suiqian.policies.rules import RULES_PATH, RulesError, load_rules, parse_rules

CODES = {"RESIDENCE_PERMIT_DURATION_EXCEEDS", "RESIDENCE_YEARS_EXCEEDS", "SOCIAL_INSURANCE_YEARS_EXCEEDS",
         "FAMILY_PLANNING_PROOF", "OVERAGE_PROOF", "NO_GUARDIAN_PROOF", "PROPERTY_ONLY", "BOTH_PARENTS_REQUIRED",
         "OTHER_UNNECESSARY_PROOF"}


def shipped() -> dict:
    return yaml.safe_load(RULES_PATH.read_text(encoding="utf-8"))


def test_it_loads_the_shipped_rules_with_every_code_clause_and_chinese_explanation():
    rules = load_rules()
    assert {r.code for r in rules.rules} == CODES
    for rule in rules.rules:
        assert rule.clause and any("\u4e00" <= ch <= "\u9fff" for ch in rule.explanation)
    durations = [r for r in rules.rules if r.kind == "duration"]
    assert {r.max_months for r in durations} == {6}  # the 居住半年 baseline


def mutate(change) -> str:
    raw = shipped()
    change(raw)
    return yaml.safe_dump(raw, allow_unicode=True)


def rule(raw, code):
    return next(r for r in raw["rules"] if r["code"] == code)


@pytest.mark.parametrize("change, message", [
    (lambda raw: rule(raw, "OVERAGE_PROOF").pop("clause"), "OVERAGE_PROOF.*缺少 clause"),
    (lambda raw: rule(raw, "OVERAGE_PROOF").update(severity="fatal"), "severity 只能是 error 或 warning"),
    (lambda raw: rule(raw, "OVERAGE_PROOF").update(patterns=["超龄(证明"]), "正则表达式有误"),
    (lambda raw: rule(raw, "OVERAGE_PROOF").update(pattern="超龄"), "不认识的键 pattern"),
    (lambda raw: rule(raw, "OVERAGE_PROOF").update(kind="keyword"), "kind 只能是"),
    (lambda raw: rule(raw, "RESIDENCE_YEARS_EXCEEDS").update(max_months="半年"), "max_months 应为正数"),
    (lambda raw: rule(raw, "RESIDENCE_YEARS_EXCEEDS").update(anchor="housing"), "anchor 'housing' 不在 anchors 中"),
    (lambda raw: rule(raw, "OTHER_UNNECESSARY_PROOF").update(yields_to=["NOPE"]), "NOPE 不存在"),
    (lambda raw: raw["rules"].append(dict(rule(raw, "OVERAGE_PROOF"))), "OVERAGE_PROOF 重复"),
    (lambda raw: raw["language"]["negation"].pop("before"), "language.negation 缺少 before"),
    (lambda raw: raw.update(version=2), "version 应为 1"),
])
def test_it_refuses_a_malformed_rules_file_saying_where(change, message):
    with pytest.raises(RulesError, match=message):
        parse_rules(mutate(change))


def test_it_refuses_text_that_is_not_yaml_and_names_the_file(tmp_path):
    with pytest.raises(RulesError, match="不是有效的 YAML"):
        parse_rules("rules: [")
    path = tmp_path / "broken.yaml"
    path.write_text("version: 1\n", encoding="utf-8")
    with pytest.raises(RulesError, match="broken.yaml 有误"):
        load_rules(path)


def test_it_checks_with_a_rules_file_given_explicitly(tmp_path):
    from suiqian.policies.checker import check_paragraphs

    path = tmp_path / "strict.yaml"
    path.write_text(mutate(lambda raw: rule(raw, "RESIDENCE_YEARS_EXCEEDS").update(max_months=12)), encoding="utf-8")
    text = ["在本县居住满一年。"]
    assert [f.code for f in check_paragraphs(text)] == ["RESIDENCE_YEARS_EXCEEDS"]
    assert check_paragraphs(text, load_rules(path)) == []
