import copy

import pytest
import yaml

from suiqian.reporting.formspec import FORMS_DIR, FormSpecError, parse_form_spec, read_form_file
from suiqian.reporting.rules import evaluate

RAW = yaml.safe_load((FORMS_DIR / "summary-2021.yaml").read_text(encoding="utf-8"))


def variant(change):
    data = copy.deepcopy(RAW)
    change(data)
    return data


def test_the_shipped_form_is_attachment_3():
    spec = read_form_file(FORMS_DIR / "summary-2021.yaml")
    assert spec.title == "2021 年义务教育阶段进城务工人员随迁子女就学工作汇总表"
    assert [h["label"] for h in spec.header] == ["填报单位（市级教育行政部门公章）", "填报人", "填报时间"]
    assert len(spec.notes) == 2 and "jjc@sxedc.com" in spec.notes[0]
    assert len(spec.fields) == 19
    assert [c.text for c in spec.cells if c.number] == ["1", "2", "3", "3", "4"]  # the paper's numbering
    assert {f.code for f in spec.fields_at("county")} == {f.code for f in spec.fields} - {
        "county_total", "enrollment_rules_reviewed", "enrollment_rules_unreviewed"}
    groups = {g["code"]: g for g in spec.groups}
    assert "assumption" in groups["new_places_migrant"]


def test_it_lists_every_problem_of_a_broken_file():
    def breaks(d):
        d["rules"][0]["expr"] = "new_places_primary + nonexistent == new_places_total"
        d["rules"][1]["expr"] = "__import__('os').system('x')"
        d["layout"]["rows"][0].pop()
        d["fields"].append({"code": "orphan", "label": "孤立", "levels": ["county"]})
    with pytest.raises(FormSpecError) as e:
        parse_form_spec(variant(breaks))
    text = str(e.value)
    assert "不存在的字段：nonexistent" in text
    assert "不允许的语法（Attribute）：__import__" in text
    assert "版式第 1 行占 6 列，应为 7 列" in text
    assert "字段 orphan 没有出现在版式中" in text


def test_rules_are_evaluated_without_eval_and_skip_empty_fields():
    spec = parse_form_spec(RAW)
    assert evaluate(spec, {"new_places_primary": 1, "new_places_junior": None, "new_places_total": 3}) == []
    found = evaluate(spec, {"new_places_primary": 1, "new_places_junior": 1, "new_places_total": 3})
    assert [f.rule for f in found] == ["new_places_sum"]


def test_the_year_on_year_rule_flags_a_change_over_30_percent():
    spec = parse_form_spec(RAW)
    found = evaluate(spec, {"gaokao_applicants": 131, "zhongkao_applicants": 130},
                     {"gaokao_applicants": 100, "zhongkao_applicants": 100})
    assert [(f.rule, f.fields) for f in found] == [("year_on_year", ("gaokao_applicants",))]
    assert "131 比上年的 100 变化超过 ±30%" in found[0].message
