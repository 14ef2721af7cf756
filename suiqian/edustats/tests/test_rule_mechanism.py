"""The second-source rule as the form file states it: a name for the source, a for-each-field rule."""

import pytest
import yaml

from suiqian.reporting import rules as rule_engine
from suiqian.reporting.formspec import FORMS_DIR, FormSpecError, parse_form_spec


def spec_with(**changes):
    data = yaml.safe_load((FORMS_DIR / "summary-2021.yaml").read_text(encoding="utf-8"))
    data.update(changes)
    return parse_form_spec(data)


def test_the_form_file_declares_the_statistics_and_a_warning_rule_naming_it():
    spec = spec_with()
    assert [(s.code, s.supplier) for s in spec.sources] == [("statistics", "edu_statistics")]
    rule = next(r for r in spec.rules if "statistics" in r.names)
    assert rule.for_each_field and rule.severity == "warning"


def test_a_rule_naming_a_source_the_file_does_not_declare_is_refused():
    data = yaml.safe_load((FORMS_DIR / "summary-2021.yaml").read_text(encoding="utf-8"))
    with pytest.raises(FormSpecError, match="不存在的字段：statistics"):
        parse_form_spec(dict(data, sources=[]))
    with pytest.raises(FormSpecError, match="第二数据来源"):
        parse_form_spec(dict(data, sources=[{"code": "previous", "label": "上年", "supplier": "x"}]))


def test_the_rule_is_skipped_where_the_source_has_no_figure_and_warns_where_it_differs():
    spec = spec_with()
    values = {"public_school_primary": 500, "public_school_junior": 300, "migrant_children_total": 1000}
    findings = rule_engine.evaluate(spec, values, sources={"statistics": {"public_school_primary": 480,
                                                                          "migrant_children_total": 1000}})
    assert [(f.rule, f.fields) for f in findings] == [("statistics_differs", ("public_school_primary",))]
    assert rule_engine.evaluate(spec, values) == []  # no statistics: nothing to hold against
