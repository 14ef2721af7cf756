"""Importing term rosters: checks with reasons, formats and encodings, atomic replacement, no plain 身份证号."""

import csv
import hashlib
import hmac
import io
import json
import random
import tempfile

import polars as pl
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from stdnum.cn import ric

from suiqian.accounts.scope import Scope
from suiqian.rosters import cases, checks, detection, duplicates, errors, identity, imports, jobs, queries, reading
from suiqian.rosters.columns import HEADER
from suiqian.rosters.models import ImportJob, Roster, RosterEntry
from suiqian.rosters.tests.conftest import unit
from suiqian.rosters.tests.factories import child, import_rows, roster_text, write_roster

SPRING = "2021-spring"


def current_ids(county_code: str, term: str = SPRING) -> set[str]:
    """The masked numbers on a county's current roster."""
    return set(RosterEntry.objects.filter(roster__unit__code=county_code, roster__term=term,
                                          roster__status=Roster.Status.CURRENT).values_list("id_masked", flat=True))


def masked(c) -> str:
    return c.id[:6] + "********" + c.id[-4:]


def test_a_clean_roster_is_imported_county_by_county(operator, tmp_path):
    zezhou = [child(i, "140525") for i in range(3)]
    qinshui = [child(10 + i, "140521", grade=8) for i in range(2)]
    job = import_rows(operator, None, tmp_path, zezhou + qinshui, SPRING)
    assert job.status == ImportJob.Status.DONE, job.message
    assert (job.rows_read, job.rows_written, job.rows_bad) == (5, 5, 0)
    assert sorted(job.units) == ["140521", "140525"]
    assert current_ids("140525") == {masked(c) for c in zezhou}
    assert current_ids("140521") == {masked(c) for c in qinshui}
    entry = RosterEntry.objects.get(id_masked=masked(qinshui[0]))
    assert (entry.name, entry.sex, entry.grade, entry.school_type, entry.migrant_worker) == (
        "学生010", "男", 8, 1, True)
    assert "已导入 5 名学生" in job.message


def test_every_kind_of_bad_row_is_listed_with_its_reason_and_a_masked_number(operator, county_user, tmp_path):
    good = child(1)
    bad_checksum = child(2)
    bad_checksum = bad_checksum.moved(id=bad_checksum.id[:-1] + ("0" if bad_checksum.id[-1] != "0" else "1"))
    wrong_birth = child(3).moved(born="2011-01-01")
    grade_10 = child(4).moved(grade=10)
    unknown_type = child(5).moved(school_type="公立")
    outside = child(6, county="140521")  # 沁水县: the sibling county
    duplicate = child(7).moved(id=good.id, name="重复者")
    wrong_sex = child(8).moved(sex="女")
    rows = [good, bad_checksum, wrong_birth, grade_10, unknown_type, outside, duplicate, wrong_sex]
    job = import_rows(Scope.of(county_user), county_user, tmp_path, rows, SPRING, unit=unit("140525"),
                      on_error="skip")
    assert job.status == ImportJob.Status.DONE
    assert job.rows_written == 1 and job.rows_bad == 7
    reasons = {row: reason for row, _, reason in job.bad_rows_sample}
    assert reasons[3] == "身份证号校验位错误"
    assert reasons[4].startswith("出生日期与身份证号不符（身份证号为 ")
    assert reasons[5].startswith("年级应为 1–9") and "“10”" in reasons[5]
    assert reasons[6] == "学校类型应为 公办、民办 或 政府购买学位"
    assert reasons[7] == "县区代码不在您的权限范围内"
    assert "身份证号与第 2 行重复" in reasons[8]
    assert reasons[9] == "性别与身份证号不符"
    # The downloadable list has every bad row, masked, and no full number anywhere.
    text = (settings.MEDIA_ROOT / job.bad_rows_file).read_text(encoding="utf-8-sig")
    listed = list(csv.reader(io.StringIO(text)))
    assert listed[0] == ["行号", "身份证号（已隐去部分）", "姓名", "县区代码", "错误原因"]
    assert [r[0] for r in listed[1:]] == ["3", "4", "5", "6", "7", "8", "9"]
    assert listed[1][1] == masked(bad_checksum)
    dumped = text + json.dumps(job.bad_rows_sample, ensure_ascii=False)
    assert not any(c.id in dumped for c in rows)


def test_a_county_importing_for_a_city_file_is_told_which_rows_are_not_its_own(operator, tmp_path):
    rows = [child(1, "140525"), child(2, "140521")]
    job = import_rows(operator, None, tmp_path, rows, SPRING, unit=unit("140525"), on_error="skip")
    assert job.bad_rows_sample == [[3, masked(rows[1]), "县区代码不属于泽州县"]]
    assert current_ids("140525") == {masked(rows[0])} and not current_ids("140521")


def test_unknown_units_and_city_codes_are_refused(operator, tmp_path):
    rows = [child(1, "149999"), child(2, "140500")]
    job = import_rows(operator, None, tmp_path, rows, SPRING, on_error="skip")
    assert job.status == ImportJob.Status.FAILED
    assert [r[2] for r in job.bad_rows_sample] == ["县区代码不存在或不是县级单位"] * 2
    assert job.message == "全部 2 行都有错误，未导入任何数据"


def test_stop_on_error_imports_nothing_and_skip_imports_the_good_rows(operator, tmp_path):
    rows = [child(1), child(2).moved(grade=0), child(3)]
    stopped = import_rows(operator, None, tmp_path, rows, SPRING, on_error="stop")
    assert stopped.status == ImportJob.Status.FAILED and stopped.rows_written == 0
    assert "发现 1 行有错误" in stopped.message and "未导入任何数据" in stopped.message
    assert not RosterEntry.objects.exists() and not Roster.objects.exists()
    skipped = import_rows(operator, None, tmp_path, rows, SPRING, on_error="skip")
    assert skipped.status == ImportJob.Status.DONE
    assert current_ids("140525") == {masked(rows[0]), masked(rows[2])}


def test_a_reimport_replaces_each_county_present_and_leaves_the_others(operator, tmp_path):
    import_rows(operator, None, tmp_path, [child(1, "140525"), child(2, "140525"), child(3, "140521")], SPRING)
    job = import_rows(operator, None, tmp_path, [child(4, "140525")], SPRING)
    assert job.units == ["140525"]
    assert current_ids("140525") == {masked(child(4, "140525"))}
    assert current_ids("140521") == {masked(child(3, "140521"))}
    # The replaced roster is kept as history, without its rows.
    replaced = Roster.objects.get(unit__code="140525", status=Roster.Status.REPLACED)
    assert replaced.rows == 2 and not RosterEntry.objects.filter(roster_id=replaced.pk).exists()
    assert RosterEntry.objects.count() == 2


def test_an_empty_county_file_replaces_the_roster_with_an_empty_one(operator, tmp_path):
    import_rows(operator, None, tmp_path, [child(1)], SPRING)
    job = import_rows(operator, None, tmp_path, [], SPRING, unit=unit("140525"))
    assert job.status == ImportJob.Status.DONE
    assert current_ids("140525") == set()
    assert Roster.objects.get(unit__code="140525", status=Roster.Status.CURRENT).rows == 0


def test_a_failing_reimport_leaves_the_old_roster_intact(operator, tmp_path, monkeypatch):
    before = [child(1), child(2)]
    import_rows(operator, None, tmp_path, before, SPRING)
    # Bad rows, stop on error:
    failed = import_rows(operator, None, tmp_path, [child(3), child(4).moved(grade=10)], SPRING)
    assert failed.status == ImportJob.Status.FAILED
    assert current_ids("140525") == {masked(c) for c in before}
    # A crash half-way, after a first batch was written:
    monkeypatch.setattr(reading, "BLOCK_BYTES", 200)
    real_complete = imports._Import._complete
    calls = []

    def crash_on_second_batch(self, pending):
        calls.append(pending)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_complete(self, pending)

    monkeypatch.setattr(imports._Import, "_complete", crash_on_second_batch)
    with pytest.raises(RuntimeError):
        import_rows(operator, None, tmp_path, [child(n) for n in range(10, 20)], SPRING)
    crashed = ImportJob.objects.latest("pk")
    assert crashed.status == ImportJob.Status.FAILED and "未导入任何数据" in crashed.message
    assert current_ids("140525") == {masked(c) for c in before}
    assert not Roster.objects.filter(status=Roster.Status.STAGING).exists()
    assert RosterEntry.objects.count() == 2


def test_duplicates_are_found_across_batches(operator, tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "BLOCK_BYTES", 300)  # two or three rows per batch
    rows = [child(n) for n in range(12)] + [child(3).moved(name="又一个")]
    job = import_rows(operator, None, tmp_path, rows, SPRING, on_error="skip")
    assert job.rows_written == 12
    assert job.bad_rows_sample == [[14, masked(child(3)), "身份证号与第 5 行重复"]]


def test_duplicates_are_found_when_the_keys_spill_to_disk(operator, tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "BLOCK_BYTES", 400)
    monkeypatch.setattr(duplicates, "BUFFER_ROWS", 2)  # every batch's keys go through the buckets' files
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    rows = [child(n) for n in range(60)] + [child(7).moved(name="再一个"), child(41).moved(name="又一个")]
    job = import_rows(operator, None, tmp_path, rows, SPRING, on_error="skip")
    assert job.status == ImportJob.Status.DONE
    assert job.rows_written == 60 and job.rows_bad == 2
    assert job.bad_rows_sample == [[62, masked(child(7)), "身份证号与第 9 行重复"],
                                   [63, masked(child(41)), "身份证号与第 43 行重复"]]
    assert job.bad_reasons == {"身份证号与前面的行重复": 2}
    assert RosterEntry.objects.filter(name__in=["再一个", "又一个"]).count() == 0
    assert Roster.objects.get(status=Roster.Status.CURRENT, unit__code="140525").rows == 60
    assert not list((tmp_path / "tmp").iterdir())  # the spilled keys are gone


def test_a_number_repeating_a_bad_row_is_bad_and_a_bad_row_repeating_one_says_both(operator, tmp_path):
    first = child(1).moved(grade=10)  # bad, but its number is usable
    again = child(1).moved(name="第二次")  # good in itself
    third = child(2)
    twice_bad = child(2).moved(school_type="公立")
    job = import_rows(operator, None, tmp_path, [first, again, third, twice_bad], SPRING, on_error="skip")
    reasons = {row: reason for row, _, reason in job.bad_rows_sample}
    assert set(reasons) == {2, 3, 5}
    assert reasons[3] == "身份证号与第 2 行重复"
    assert reasons[5] == "学校类型应为 公办、民办 或 政府购买学位；身份证号与第 4 行重复"
    assert job.rows_written == 1 and current_ids("140525") == {masked(third)}
    listed = list(csv.reader(io.StringIO((settings.MEDIA_ROOT / job.bad_rows_file).read_text(encoding="utf-8-sig"))))
    assert [r[0] for r in listed[1:]] == ["2", "3", "5"]
    assert listed[2][1:] == [masked(again), "第二次", "140525", "身份证号与第 2 行重复"]


def test_a_stopped_import_lists_duplicates_after_its_first_bad_row_too(operator, tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "BLOCK_BYTES", 300)
    rows = [child(1), child(2).moved(grade=10)] + [child(n) for n in range(3, 12)] + [child(5).moved(name="重名")]
    job = import_rows(operator, None, tmp_path, rows, SPRING)
    assert job.status == ImportJob.Status.FAILED and "发现 2 行有错误" in job.message
    assert job.rows_written == 0 and not RosterEntry.objects.exists()
    listed = list(csv.reader(io.StringIO((settings.MEDIA_ROOT / job.bad_rows_file).read_text(encoding="utf-8-sig"))))
    assert listed[2] == ["13", masked(child(5)), "重名", "140525", "身份证号与第 6 行重复"]


def test_a_school_with_commas_and_quotes_is_stored_as_written(operator, tmp_path):
    plain, odd = child(1), child(2, school='泽州县"希望",第一小学')
    path = tmp_path / "quoted.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([HEADER, plain.row(), odd.row()])
    job = jobs.import_file(operator, None, path, SPRING)
    assert job.status == ImportJob.Status.DONE, (job.message, job.bad_rows_sample)
    assert RosterEntry.objects.get(id_masked=masked(odd)).school == '泽州县"希望",第一小学'
    assert RosterEntry.objects.get(id_masked=masked(plain)).school == plain.school


def test_gbk_bom_xlsx_and_xls_files_give_the_same_roster(operator, tmp_path):
    import xlwt
    from openpyxl import Workbook

    rows = [child(1, school="泽州县第一小学"), child(2, school_type="政府购买学位", migrant_worker="否"),
            child(3, grade=8, male=False)]
    text = roster_text(rows)
    (tmp_path / "gbk.csv").write_bytes(text.encode("gbk"))
    (tmp_path / "bom.csv").write_bytes(text.encode("utf-8-sig"))
    (tmp_path / "crlf.csv").write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    table = [line.split(",") for line in text.splitlines()]
    wb = Workbook()
    for r in table:
        # Excel keeps grades as numbers and dates as dates.
        wb.active.append([int(v) if v.isdigit() and len(v) < 3 else v for v in r])
    wb.save(tmp_path / "roster.xlsx")
    book = xlwt.Workbook()
    sheet = book.add_sheet("名册")
    for i, r in enumerate(table):
        for j, v in enumerate(r):
            sheet.write(i, j, int(v) if v.isdigit() and len(v) < 3 else v)
    book.save(str(tmp_path / "roster.xls"))
    expected = {(masked(c), c.name, c.school, c.grade) for c in rows}
    for name in ("gbk.csv", "bom.csv", "crlf.csv", "roster.xlsx", "roster.xls"):
        job = jobs.import_file(operator, None, tmp_path / name, SPRING)
        assert job.status == ImportJob.Status.DONE, (name, job.message)
        got = set(RosterEntry.objects.filter(roster__status=Roster.Status.CURRENT)
                  .values_list("id_masked", "name", "school", "grade"))
        assert got == expected, name


def test_spaces_and_other_date_spellings_are_accepted(operator, tmp_path):
    c = child(1)
    row = [f" {c.id.lower()} ", c.name + "\u3000", c.sex, c.born.replace("-", "/"), c.school, " 公办", "3", c.county, "是"]
    job = import_rows(operator, None, tmp_path, [row], SPRING)
    assert job.status == ImportJob.Status.DONE, job.bad_rows_sample
    assert RosterEntry.objects.get().name == c.name


def test_a_file_without_the_required_columns_is_refused_as_a_whole(operator, tmp_path):
    path = write_roster(tmp_path, [], header=("身份证号", "姓名", "性别"))
    job = jobs.import_file(operator, None, path, SPRING)
    assert job.status == ImportJob.Status.FAILED
    assert job.message.startswith("表头缺少列：出生日期、学校名称、学校类型、年级、县区代码、进城务工人员随迁子女")


def test_a_bad_term_is_refused(operator, tmp_path):
    with pytest.raises(errors.RosterError, match="学期“2021-autumn”格式不对"):
        import_rows(operator, None, tmp_path, [child(1)], "2021-autumn")


def test_only_the_units_own_filler_may_import(county_user, sibling_county_user, tmp_path, shanxi):
    from suiqian.conftest import make_user

    viewer = make_user("140525", roles=["viewer"], username="viewer")
    for user, code in ((sibling_county_user, "140525"), (viewer, "140525")):
        with pytest.raises(errors.NotAllowed):
            jobs.start_import(Scope.of(user), user, unit(code), SPRING, "stop", None)


# --- the number, checked and hashed ------------------------------------------------------------

def test_the_vectorised_check_digit_and_birth_date_agree_with_stdnum(operator):
    rng = random.Random(7)
    numbers = []
    for _ in range(3000):
        body = f"{rng.choice(['140525', '410102', '130423'])}{rng.randint(2003, 2017)}{rng.randint(1, 13):02d}" \
               f"{rng.randint(1, 31):02d}{rng.randint(0, 999):03d}"
        numbers.append(body + rng.choice("0123456789X"))
    batch = pl.DataFrame({"row": range(len(numbers)), "id_number": numbers, "birth_date": [None] * len(numbers)},
                         schema={"row": pl.Int64, "id_number": pl.String, "birth_date": pl.String})
    ids = checks._id_columns(batch.with_columns(birth=pl.lit(None, pl.Date)))
    shape_ok = ids["id_shape_ok"].to_list()
    date_ok = batch.select(identity.birth_date_expr("id_number").is_not_null()).to_series().to_list()
    for number, vectorised_shape, vectorised_date in zip(numbers, shape_ok, date_ok, strict=True):
        assert vectorised_shape == (number[-1] == ric.calc_check_digit(number)), number
        try:
            ric.get_birth_date(number)
            real_date = True
        except Exception:  # noqa: BLE001
            real_date = False
        assert vectorised_date == real_date, number


def test_the_stored_hash_is_hmac_sha256_of_the_number_under_the_roster_key(operator, tmp_path, settings):
    settings.ROSTER_ID_KEY = "测试用密钥-roster"
    c = child(1)
    import_rows(operator, None, tmp_path, [c], SPRING)
    expected = hmac.new("测试用密钥-roster".encode(), c.id.encode(), hashlib.sha256).digest()[:16]
    assert bytes(RosterEntry.objects.get().id_hash) == expected == identity.hash_id(c.id)[:16]


def test_without_polars_hash_the_same_hash_is_computed_in_python(operator, tmp_path, monkeypatch):
    monkeypatch.setattr(identity, "plh", None)
    c = child(1)
    import_rows(operator, None, tmp_path, [c], SPRING)
    assert bytes(RosterEntry.objects.get().id_hash) == identity.hash_id(c.id)[:16]


def test_without_a_roster_key_the_key_is_derived_from_the_secret_key_not_equal_to_it(settings):
    del settings.ROSTER_ID_KEY
    settings.SECRET_KEY = "s3cret-for-test"
    key = identity.id_key()
    assert key == hmac.new(b"s3cret-for-test", identity.KEY_LABEL, hashlib.sha256).hexdigest()
    assert "s3cret" not in key


def _every_value_in_the_database():
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    yield table, value


def test_no_plain_id_number_is_left_anywhere_in_the_database(operator, county_user, tmp_path, settings):
    spring = [child(n) for n in range(6)] + [child(9).moved(grade=10)]
    fall = [c.next_year() for c in spring[1:6]]
    import_rows(Scope.of(county_user), county_user, tmp_path, spring, SPRING, unit=unit("140525"), on_error="skip")
    import_rows(operator, None, tmp_path, fall, "2021-fall")
    detection.detect("2021-fall")
    case = queries.cases(operator).get()
    cases.change_case_status(Scope.of(county_user), county_user, case, "returned", "已返校")
    numbers = {c.id for c in spring}
    scanned = 0
    for table, value in _every_value_in_the_database():
        if isinstance(value, memoryview | bytes):
            value = bytes(value)
            assert not any(n.encode() in value for n in numbers), table
        elif isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False)
        if isinstance(value, str):
            scanned += 1
            assert not any(n in value for n in numbers), (table, value)
            assert not any(n[:17] in value for n in numbers), (table, value)
    assert scanned > 100
    # Nor on disk: the stored upload is gone, the bad-rows list is masked.
    media = list(settings.MEDIA_ROOT.rglob("*"))
    for path in media:
        if path.is_file():
            assert not any(n in path.read_text(encoding="utf-8-sig") for n in numbers), path


# --- the command -----------------------------------------------------------------------------

def test_the_import_command_prints_progress_and_bad_rows(operator, tmp_path, capsys):
    path = write_roster(tmp_path, [child(1), child(2).moved(school_type="公立")])
    with pytest.raises(CommandError, match="发现 1 行有错误"):
        call_command("roster", "import", str(path), "--term", SPRING)
    err = capsys.readouterr().err
    assert "已读取 2 行，已校验 2 行，已写入 0 行，错误行 1" in err
    assert f"第 3 行\t{masked(child(2))}\t学校类型应为" in err
    call_command("roster", "import", str(path), "--term", SPRING, "--on-error", "skip",
                 "--bad-rows", str(tmp_path / "bad.csv"))
    out = capsys.readouterr()
    assert "已导入 1 名学生" in out.out and "跳过 1 行错误行" in out.out
    assert (tmp_path / "bad.csv").read_text(encoding="utf-8-sig").splitlines()[1].startswith("3,")


def test_the_import_command_acts_within_the_users_scope(county_user, tmp_path):
    path = write_roster(tmp_path, [child(1, "140521")])
    with pytest.raises(CommandError, match="县区代码不在您的权限范围内|全部 1 行都有错误"):
        call_command("roster", "import", str(path), "--term", SPRING, "--as", county_user.username,
                     "--on-error", "skip")
