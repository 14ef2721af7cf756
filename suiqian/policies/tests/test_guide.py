"""One test for each hard case of corpus/GUIDE.md, on the guide's own examples."""

import pytest

from suiqian.policies.checker import check_paragraphs
from suiqian.policies.conditions import extract_conditions
from suiqian.policies.evaluation import SPLITS, load_split

REAL = {e.id: e for name in SPLITS if name != "test" for e in load_split(name)}


def certain(text: str) -> set[str]:
    return {f.code for f in check_paragraphs(text.splitlines()) if f.certain}


def uncertain(text: str) -> set[str]:
    return {f.code for f in check_paragraphs(text.splitlines()) if not f.certain}


def real(excerpt_id: str) -> str:
    return "\n".join(REAL[excerpt_id].paragraphs)


def test_1_ranking_is_not_eligibility():
    assert certain(real("cdpd-2")) == set() and REAL["cdpd-2"].expected == frozenset()
    text = "积分项目：在本区连续居住满三年的，计10分。"
    assert certain(text) == set() and uncertain(text) == {"RESIDENCE_YEARS_EXCEEDS"}
    # A condition outside the scoring clause is a condition.
    assert certain("须在本区连续居住满三年，积分入学另行规定。") == {"RESIDENCE_YEARS_EXCEEDS"}


def test_2_alternatives_and_one_of():
    assert certain(real("nnjn-4")) == set()
    assert certain(real("zz-1")) == set()
    assert certain("父亲或母亲持有本县居住证满一年的，其子女可在县城公办学校就读。") == {
        "RESIDENCE_PERMIT_DURATION_EXCEEDS"}
    assert certain("提供户口簿、计划生育证明或独生子女证之一即可。") == {"FAMILY_PLANNING_PROOF"}
    # Every option asks too long a period of the same thing: no way out.
    assert certain(real("gzby-1")) >= {"RESIDENCE_YEARS_EXCEEDS", "SOCIAL_INSURANCE_YEARS_EXCEEDS"}
    assert certain("须在本县居住满两年（或居住满一年且缴纳社保）。") == {"RESIDENCE_YEARS_EXCEEDS"}
    assert certain("须在本县居住满两年或在本县签订劳动合同。") == set()
    assert certain("持务工证明(含一年以上养老保险凭证)或个体工商营业执照报名。") == set()


def test_3_exemptions():
    assert certain("持有本县居住证的，免于提供户籍地开具的证明。") == set()
    assert certain("须在本县居住满一年，烈士子女、现役军人子女不受此限。") == {"RESIDENCE_YEARS_EXCEEDS"}
    assert certain(real("fz-3")) == set()
    # A proof asked only of families claiming a status: a reviewer decides.
    claimed = "非本市户籍适龄儿童如是独生子女的，提供《独生子女父母光荣证》。"
    assert certain(claimed) == set() and uncertain(claimed) == {"FAMILY_PLANNING_PROOF"}
    assert certain("非本市户籍适龄儿童须提供《独生子女父母光荣证》。") == {"FAMILY_PLANNING_PROOF"}


def test_4_prohibitions():
    assert certain(real("moe-2")) == set() and uncertain(real("moe-2")) == set()
    refusing = "报名材料：户口簿、居住证、房产证，不接受租房合同。"
    assert certain(refusing) == {"PROPERTY_ONLY"}
    assert "租房合同/租赁备案" not in extract_conditions([refusing]).documents
    assert certain("不再要求提供计划生育证明、超龄证明。") == set()


def test_5_rules_about_other_groups():
    for excerpt_id in ("zjyz-1", "nnjn-2"):
        assert certain(real(excerpt_id)) == set() and REAL[excerpt_id].expected == frozenset()
    assert certain("本市户籍适龄儿童须在学区内居住满三年。") == set()
    assert certain("非本市户籍适龄儿童须在学区内居住满三年。") == {"RESIDENCE_YEARS_EXCEEDS"}
    assert "房产证/购房合同" not in extract_conditions(["本地户籍儿童须提供房产证。"]).documents
    # One clause about the other group inside a sentence about both.
    assert certain(real("szlg-7")) == set()
    assert certain("非深户儿童提供居住证，深户适龄儿童应同时提供其父母的《计划生育服务证》。") == set()
    assert certain("非深户适龄儿童应提供其父母的《计划生育服务证》。") == {"FAMILY_PLANNING_PROOF"}


@pytest.mark.parametrize("text, certain_codes, uncertain_codes", [
    ("2019年实施细则：父母一方持有居住证满一年。", {"RESIDENCE_PERMIT_DURATION_EXCEEDS"}, set()),
    ("居住证须于2020年9月1日前签发。", set(), {"RESIDENCE_PERMIT_DURATION_EXCEEDS"}),
])
def test_6_rules_dated_before_2021_are_held_to_todays_baseline(text, certain_codes, uncertain_codes):
    assert certain(text) == certain_codes and uncertain(text) == uncertain_codes


def test_7_other_names_for_the_same_requirement():
    assert certain(real("hd-1")) == {"NO_GUARDIAN_PROOF"}
    assert certain(real("wz-2")) == {"NO_GUARDIAN_PROOF", "BOTH_PARENTS_REQUIRED"}
    assert certain(real("cdsl-4")) == {"OTHER_UNNECESSARY_PROOF"}
    assert certain(real("fz-4")) == set()  # a sufficient case, not a necessary one
    assert certain(real("bjdx-1")) == {"BOTH_PARENTS_REQUIRED"}
    assert certain(real("bjmtg-1")) == {"BOTH_PARENTS_REQUIRED"}
    assert certain("买卖双方均应签字。") == set()
    assert certain(real("qzlj-1")) == {"FAMILY_PLANNING_PROOF", "RESIDENCE_YEARS_EXCEEDS"}
    # A period qualifying the item after a list boundary is about that item.
    assert certain(real("qz-2")) == {"RESIDENCE_YEARS_EXCEEDS"}
    assert certain("须提供居住一年以上的暂住证。") == {"RESIDENCE_YEARS_EXCEEDS"}
