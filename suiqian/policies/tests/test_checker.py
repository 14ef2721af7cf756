import pytest

from suiqian.policies.checker import Finding, check_paragraphs
from suiqian.policies.language import split_sentences
from suiqian.policies.rules import load_rules


def codes(*paragraphs: str) -> list[str]:
    """Codes of the certain findings (uncertain ones are tested apart)."""
    return [f.code for f in check_paragraphs(list(paragraphs)) if f.certain]


@pytest.mark.parametrize("text", [
    "不得要求提供户籍地无人监护证明",
    "居住证且居住满半年",
    "随迁子女父母一方持有本县居住证且在本县居住满半年的，可申请入学。",
    "父母一方在本县居住满六个月，连续缴纳社保6个月以上。",
])
def test_it_finds_nothing_in_text_that_meets_the_baseline(text):
    assert codes(text) == []


@pytest.mark.parametrize("text", [
    "不得要求提供计划生育证明。",
    "无需提供计划生育证明。",
    "取消计划生育证明。",
    "严禁要求家长提供计划生育证明。",
    "不再要求提供计划生育证明。",
    "不需要提供计划生育证明。",
    "计划生育证明不作为入学条件。",
    "计划生育证明、超龄证明，一律不得要求提供。",
    "不得要求家长提供以下证明：计划生育证明，超过正常入学年龄证明，户籍地无人监护证明。",
    "对仍要求提供计划生育证明的学校，严肃追究责任。",
    "入学报名材料不包括计划生育证明、无人监护证明。",
])
def test_it_reads_negation_and_prohibition_as_compliant(text):
    assert codes(text) == []


@pytest.mark.parametrize("text, expected", [
    ("须提供计划生育证明。", ["FAMILY_PLANNING_PROOF"]),
    ("不再要求提供超龄证明，但须提供计划生育证明。", ["FAMILY_PLANNING_PROOF"]),
    ("取消户籍限制后须提供计划生育证明。", ["FAMILY_PLANNING_PROOF"]),
    ("除户籍地无人监护证明外，不得要求提供其他证明材料。", ["NO_GUARDIAN_PROOF"]),
    ("除户籍地无人监护证明以外不得要求提供任何材料。", ["NO_GUARDIAN_PROOF"]),
    ("须提供户籍地无人监护证明，不再要求计划生育证明。", ["NO_GUARDIAN_PROOF"]),
])
def test_it_limits_a_negation_to_what_it_covers(text, expected):
    assert codes(text) == expected


@pytest.mark.parametrize("text", [
    "父母一方提供社保缴费证明（连续缴纳满一年）、劳动合同或营业执照之一即可。",
    "连续缴纳社保满一年或签订劳动合同或持有营业执照。",
    "就业证明：社会保险缴费证明（满一年）、劳动合同、营业执照，任选其一。",
    "社保缴费满一年的，优先安排在就近学校。",
])
def test_it_accepts_a_longer_insurance_period_offered_as_one_alternative(text):
    assert codes(text) == []


@pytest.mark.parametrize("text", [
    "父母一方须连续缴纳社保满一年。",
    "父亲或母亲须连续缴纳社保满一年。",
    "持有居住证且在本县居住满半年，同时须连续缴纳社保满一年。",
    "在本县缴纳社保满一年，并有合法稳定住所或劳动合同之一。",
])
def test_it_flags_the_same_period_demanded_on_its_own(text):
    assert codes(text) == ["SOCIAL_INSURANCE_YEARS_EXCEEDS"]


def test_it_tells_an_alternatives_list_from_a_cumulative_one():
    items = ["（一）在本县缴纳社会保险满一年；", "（二）与用人单位签订劳动合同。"]
    assert codes("符合下列条件之一的，即可申请入学：", *items) == []
    assert codes("同时具备下列条件的，方可申请入学：", *items) == ["SOCIAL_INSURANCE_YEARS_EXCEEDS"]
    # The list ends where its items end.
    assert codes("符合下列条件之一的，即可申请入学：", *items, "另须在本县缴纳社会保险满一年。") == [
        "SOCIAL_INSURANCE_YEARS_EXCEEDS"]


@pytest.mark.parametrize("text, expected", [
    ("持有居住证满一年。", ["RESIDENCE_PERMIT_DURATION_EXCEEDS"]),
    ("持有居住证且居住满一年。", ["RESIDENCE_YEARS_EXCEEDS"]),
    ("居住证持有人在本县居住满半年。", []),
    ("提供近两年的城镇职工养老保险缴费记录。", ["SOCIAL_INSURANCE_YEARS_EXCEEDS"]),
    ("签订一年以上劳动合同。", []),
    ("居住证有效期为一年。", []),
    ("居住证须在有效期内，且办理时间不少于一年。", ["RESIDENCE_PERMIT_DURATION_EXCEEDS"]),
    ("2021年8月31日前在本县居住满半年的，可于9月1日前报名。", []),
    ("居住时间以居住证登记时间为准，不少于两年。", ["RESIDENCE_YEARS_EXCEEDS"]),
])
def test_it_attributes_each_duration_to_what_it_is_about(text, expected):
    assert codes(text) == expected


@pytest.mark.parametrize("paragraphs, expected", [
    (["须提供房产证。"], ["PROPERTY_ONLY"]),
    (["须提供房产证。", "租房的，提供租赁备案证明。"], []),
    (["自有住房的，提供房产证。"], []),
    (["房产证或租房合同均可，租赁合同不作为入学依据。"], ["PROPERTY_ONLY"]),
    (["不得以租房为由拒绝接收随迁子女。"], []),
    (["在本县无房产的家庭，子女不予安排城区学校就读。"], ["PROPERTY_ONLY"]),
])
def test_it_flags_owned_housing_only_when_rental_is_never_accepted(paragraphs, expected):
    assert codes(*paragraphs) == expected


@pytest.mark.parametrize("text, expected", [
    ("父母双方均须持有居住证。", ["BOTH_PARENTS_REQUIRED"]),
    ("父母双方或一方持有居住证。", []),
    ("父母双方之一持有居住证。", []),
    ("提供父母双方的户口簿。", []),
])
def test_it_flags_both_parents_only_for_permit_work_or_insurance(text, expected):
    assert codes(text) == expected


def test_it_reports_the_offending_sentence_with_its_span_in_the_paragraph():
    paragraph = "第三条 报名材料。父母一方居住证；计划生育证明；户口簿。"
    [finding] = check_paragraphs(["总则。", paragraph])
    assert (finding.paragraph, finding.text) == (2, "计划生育证明")
    assert paragraph[finding.start:finding.end] == finding.text
    assert finding.clause == "晋教基函〔2021〕24号 二" and finding.severity == "error"
    assert finding.explanation == load_rules().rule("FAMILY_PLANNING_PROOF").explanation


def test_it_reports_one_finding_per_code_and_sentence_in_document_order():
    findings = check_paragraphs(["须提供计划生育证明和独生子女证。", "父母双方均须持有居住证满一年。"])
    assert [(f.paragraph, f.code) for f in findings] == [
        (1, "FAMILY_PLANNING_PROOF"), (2, "RESIDENCE_PERMIT_DURATION_EXCEEDS"), (2, "BOTH_PARENTS_REQUIRED")]


def test_it_splits_sentences_on_chinese_and_western_punctuation_keeping_offsets():
    paragraph = "  一、总则。二、条件；三、材料! 四？五\n六"
    assert [paragraph[s:e] for s, e, _ in split_sentences(paragraph)] == [
        "一、总则", "二、条件", "三、材料", "四", "五", "六"]


def test_it_serializes_a_finding_as_the_command_prints_it():
    finding = Finding("OVERAGE_PROOF", "error", 3, 4, 10, "须提供超龄证明", "说明", "晋教基函〔2021〕24号 二",
                      "要求超龄证明", "超龄证明")
    assert finding.to_dict() == {"code": "OVERAGE_PROOF", "severity": "error", "paragraph": 3, "start": 4,
                                 "end": 10, "text": "须提供超龄证明", "rule": "说明",
                                 "clause": "晋教基函〔2021〕24号 二", "title": "要求超龄证明", "trigger": "超龄证明",
                                 "certain": True}
    assert Finding.from_dict(finding.to_dict()) == finding


def test_findings_stored_before_titles_and_triggers_still_load():
    old = {"code": "OVERAGE_PROOF", "severity": "error", "paragraph": 1, "start": 0, "end": 3, "text": "x",
           "rule": "说明", "clause": "条"}
    assert Finding.from_dict(old).certain is True and Finding.from_dict(old).trigger == ""


def test_every_finding_shows_the_words_that_triggered_it_the_clause_and_why():
    [permit, both] = check_paragraphs(["父母双方均须持有居住证满两年。"])
    assert permit.code == "RESIDENCE_PERMIT_DURATION_EXCEEDS" and permit.trigger == "居住证满两年"
    assert both.code == "BOTH_PARENTS_REQUIRED" and both.trigger == "父母双方"
    assert all(f.clause and f.explanation and f.title and f.certain for f in (permit, both))


@pytest.mark.parametrize("text, code", [
    ("居住证须于2020年9月1日前签发。", "RESIDENCE_PERMIT_DURATION_EXCEEDS"),  # a cut-off date: how long depends
    ("积分项目：在本区连续居住满三年的，计10分。", "RESIDENCE_YEARS_EXCEEDS"),  # ranking, not eligibility
    ("须提交监护情况证明。", "NO_GUARDIAN_PROOF"),
    ("父母双方须到校现场确认。", "BOTH_PARENTS_REQUIRED"),
])
def test_it_marks_a_sentence_that_only_looks_like_a_violation_as_uncertain(text, code):
    findings = check_paragraphs([text])
    assert [(f.code, f.certain) for f in findings] == [(code, False)]
    assert findings[0].explanation.startswith("需人工核查")
    assert findings[0].to_dict()["certain"] is False


def test_an_uncertain_look_gives_way_to_a_certain_finding_in_the_same_sentence():
    [finding] = check_paragraphs(["父母双方均须持有本县居住证。"])
    assert finding.certain
