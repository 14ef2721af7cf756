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
