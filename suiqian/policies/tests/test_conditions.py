from suiqian.policies.conditions import Conditions, consistency_table, extract_conditions

COUNTY_A = [
    "一、入学条件",
    "父母一方持有本县居住证且在本县居住满半年。",
    "二、报名材料：户口簿、居住证、房产证或租赁合同、劳动合同或营业执照之一。",
    "三、公办学校和民办学校同步招生，民办学校报名人数超过招生计划的实行电脑随机派位。",
]


def test_it_extracts_documents_durations_and_enrollment_practice():
    conditions = extract_conditions(COUNTY_A)
    assert conditions == Conditions(
        documents=frozenset({"户口簿", "居住证", "房产证/购房合同", "租房合同/租赁备案", "劳动合同", "营业执照"}),
        residence_permit_months=None, residence_months=6, social_insurance_months=None,
        simultaneous_enrollment=True, lottery=True)


def test_it_reads_the_strictest_duration_and_leaves_out_documents_it_waives():
    conditions = extract_conditions([
        "父母一方持有居住证满一年，在本县居住满两年，连续缴纳社保满十八个月。",
        "小学一年级新生居住满半年即可。",
        "不得要求提供计划生育证明，须提供出生医学证明和预防接种证。",
    ])
    assert (conditions.residence_permit_months, conditions.residence_months, conditions.social_insurance_months) == (
        12, 24, 18)
    assert conditions.documents == {"居住证", "社保缴费证明", "出生证明", "预防接种证明"}


def test_it_tells_stated_contradicted_and_absent_enrollment_practice_apart():
    assert extract_conditions(["严禁民办学校提前招生，落实公民同招。"]).simultaneous_enrollment is True
    assert extract_conditions(["民办学校提前招生，自主组织面试。"]).simultaneous_enrollment is False
    assert extract_conditions(["民办学校不进行摇号，择优录取。"]).lottery is False
    absent = extract_conditions(["持居住证即可报名。"])
    assert (absent.simultaneous_enrollment, absent.lottery) == (None, None)


def county(permit=None, residence=6, insurance=None, documents=("户口簿", "居住证"), same_time=True, lottery=True):
    return Conditions(frozenset(documents), permit, residence, insurance, same_time, lottery)


def test_it_marks_the_county_that_differs_from_the_rest_of_the_city():
    table = consistency_table([
        ("城区", county()),
        ("泽州县", county(documents=("户口簿", "居住证", "计划生育证明"))),
        ("沁水县", county()),
        ("阳城县", county(residence=36, lottery=None)),
    ])
    assert [c.label for c in table.columns] == [
        "居住证持有时间", "居住时间", "社保缴费时间", "公民同招", "摇号（随机派位）",
        "材料：居住证", "材料：户口簿", "材料：计划生育证明"]
    assert table.differing_labels() == ["泽州县", "阳城县"]
    by_label = {row.label: row for row in table.rows}
    residence = [c.label for c in table.columns].index("居住时间")
    assert by_label["阳城县"].cells[residence].differs and by_label["阳城县"].cells[residence].display == "3年"
    assert not by_label["城区"].cells[residence].differs and by_label["城区"].cells[residence].display == "6个月"
    assert table.columns[residence].majority == 6
    family_planning = by_label["泽州县"].cells[-1]
    assert (family_planning.value, family_planning.display, family_planning.differs) == (True, "要求", True)
    assert by_label["城区"].cells[0].display == "未规定"


def test_it_marks_nothing_where_the_counties_split_evenly():
    table = consistency_table([("甲县", county(residence=6)), ("乙县", county(residence=12))])
    residence = table.columns[1]
    assert not residence.has_majority
    assert not any(row.cells[1].differs for row in table.rows)


COMPLIANT_COUNTY = ["父母一方持有本县居住证，在本县居住满半年，即可申请入学。",
                    "报名材料：户口簿、居住证、房产证或租赁合同。"]
STRICT_COUNTY = ["父母一方持有本县居住证满两年，在本县连续缴纳社保满一年。",
                 "报名材料：户口簿、居住证、房产证，不接受租房合同。", "须提供计划生育证明。"]


def test_a_document_the_county_refuses_is_not_shown_as_required():
    conditions = extract_conditions(STRICT_COUNTY)
    assert "租房合同/租赁备案" not in conditions.documents
    assert "房产证/购房合同" in conditions.documents
    assert {f.code for f in conditions.findings} >= {"PROPERTY_ONLY", "FAMILY_PLANNING_PROOF"}


def test_a_compliant_county_is_never_red_when_the_others_agree_on_a_stricter_rule():
    table = consistency_table([("甲县", extract_conditions(COMPLIANT_COUNTY)),
                               ("乙县", extract_conditions(STRICT_COUNTY)),
                               ("丙县", extract_conditions(STRICT_COUNTY))])
    rows = {row.label: row for row in table.rows}
    assert table.breaking_labels() == ["乙县", "丙县"]
    assert not rows["甲县"].breaks_policy
    keys = [c.key for c in table.columns]
    assert all(cell.breaks is None for cell in rows["甲县"].cells)
    # Amber only where the others' shared value is itself within policy (they state no residence period).
    assert [keys[i] for i, cell in enumerate(rows["甲县"].cells) if cell.differs] == ["residence_months"]
    rental = keys.index("document:租房合同/租赁备案")
    assert rows["甲县"].cells[rental].display == "要求" and not rows["甲县"].cells[rental].differs
    assert rows["乙县"].cells[rental].breaks.code == "PROPERTY_ONLY"
    permit = keys.index("residence_permit_months")
    assert table.columns[permit].majority_breaks_policy
    red = rows["乙县"].cells[permit]
    assert red.breaks.code == "RESIDENCE_PERMIT_DURATION_EXCEEDS" and "居住证暂行条例" in red.breaks.clause
    assert not red.differs
    family = keys.index("document:计划生育证明")
    assert rows["乙县"].cells[family].breaks is not None and rows["甲县"].cells[family].display == "—"


def test_divergence_from_a_compliant_majority_is_amber_not_red():
    lenient = ["父母一方持有本县居住证即可申请入学。", "实行公民同招。"]
    other = ["父母一方持有本县居住证即可申请入学。", "民办学校提前招生。"]
    table = consistency_table([("甲县", extract_conditions(lenient)), ("乙县", extract_conditions(lenient)),
                               ("丙县", extract_conditions(other))])
    same_time = [c.key for c in table.columns].index("simultaneous_enrollment")
    cell = {row.label: row for row in table.rows}["丙县"].cells[same_time]
    assert cell.differs and cell.breaks is None
    assert table.breaking_labels() == []
