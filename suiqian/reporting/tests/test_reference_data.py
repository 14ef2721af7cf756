import pytest
import yaml

from suiqian.reporting.models import PublishedValue
from suiqian.reporting.services import REFERENCE_DIR, ReferenceDataError, load_published_enrollment


def _variant(tmp_path, change):
    data = yaml.safe_load((REFERENCE_DIR / "enrollment-2020.yaml").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "variant.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_it_refuses_a_count_that_does_not_give_the_printed_ratio(shanxi, tmp_path):
    path = _variant(tmp_path, lambda d: d["rows"][0].update(public_school=12480))
    with pytest.raises(ReferenceDataError, match="阳泉市：按原始人数计算的比例 97.59% 与文件所印 97.60% 不符"):
        load_published_enrollment(path)
    assert not PublishedValue.objects.exists()


def test_it_refuses_a_total_that_is_not_the_sum(shanxi, tmp_path):
    path = _variant(tmp_path, lambda d: d["total"].update(migrant_children=140766))
    with pytest.raises(ReferenceDataError, match="合计行"):
        load_published_enrollment(path)


def test_it_refuses_a_code_that_names_another_unit(shanxi, tmp_path):
    path = _variant(tmp_path, lambda d: d["rows"][0].update(unit="140400"))
    with pytest.raises(ReferenceDataError, match="区划代码 140400 是长治市"):
        load_published_enrollment(path)
    assert not PublishedValue.objects.exists()


def test_seed_load_is_idempotent(shanxi):
    from django.core.management import call_command

    call_command("seed", "load")
    call_command("seed", "load")
    assert PublishedValue.objects.count() == 22
    from suiqian.supervision.models import KeySupervisionListing

    assert KeySupervisionListing.objects.filter(year=2021).count() == 11
