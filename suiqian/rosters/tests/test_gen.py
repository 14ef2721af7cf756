"""Synthetic rosters: valid rows that the import accepts, ages that fit grades, and a next term that detection explains."""

import csv
import datetime as dt
from collections import Counter

from django.core.management import call_command
from stdnum.cn import ric

from suiqian.rosters import detection, jobs
from suiqian.rosters.models import DropoutCase, ImportJob, Transfer
from suiqian.rosters.synthetic import Generator, shanxi_counties
from suiqian.rosters.terms import Term


def read(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_generated_rows_are_valid_and_ages_fit_grades(tmp_path):
    path = tmp_path / "g.csv"
    call_command("roster", "gen", "--rows", "3000", "--term", "2021-fall", "--seed", "5", "-o", str(path))
    rows = read(path)
    assert len(rows) == 3000 and len({r["身份证号"] for r in rows}) == 3000
    for r in rows:
        number = r["身份证号"]
        assert number[-1] == ric.calc_check_digit(number)
        assert ric.get_birth_date(number).isoformat() == r["出生日期"]
        assert (int(number[16]) % 2 == 1) == (r["性别"] == "男")
        age_on_sept_1 = (dt.date(2021, 9, 1) - dt.date.fromisoformat(r["出生日期"])).days / 365.25
        assert 5 + int(r["年级"]) <= age_on_sept_1 < 7 + int(r["年级"]), r
    by_city = Counter(r["县区代码"][:4] for r in rows)
    # 附件1's shares: 太原、运城、晋城 far ahead of 忻州.
    assert by_city["1401"] > 3 * by_city["1409"] and by_city["1405"] > 3 * by_city["1409"]
    assert {r["学校类型"] for r in rows} == {"公办", "民办", "政府购买学位"}


def test_the_counties_are_shanxis_current_ones():
    codes = {c.code for c in shanxi_counties()}
    assert len(codes) == 117 and "140525" in codes and "140211" not in codes  # 南郊区 became 云冈区 in 2018


def test_a_bad_rate_spoils_about_that_share_and_the_import_finds_each(operator, tmp_path):
    path = tmp_path / "bad.csv"
    call_command("roster", "gen", "--rows", "2000", "--term", "2021-fall", "--seed", "3", "--bad-rate", "0.03",
                 "-o", str(path))
    job = jobs.import_file(operator, None, path, "2021-fall", on_error="skip")
    assert 30 <= job.rows_bad <= 90
    assert job.rows_written + job.rows_bad == 2000


def test_detection_finds_what_the_follow_up_term_made_happen(operator, tmp_path, capsys):
    spring, fall = tmp_path / "spring.csv", tmp_path / "fall.csv"
    call_command("roster", "gen", "--rows", "4000", "--term", "2021-spring", "--seed", "8", "-o", str(spring))
    call_command("roster", "gen", "--follow", str(spring), "--term", "2021-fall", "--seed", "9", "-o", str(fall))
    said = capsys.readouterr().out
    dropped = int(said.split("辍学 ")[1].split("，")[0])
    moved = int(said.split("转学 ")[1].split("，")[0])
    graduated = int(said.split("毕业 ")[1].split("，")[0])
    assert graduated == sum(1 for r in read(spring) if r["年级"] == "9")
    for path, term in ((spring, "2021-spring"), (fall, "2021-fall")):
        assert jobs.import_file(operator, None, path, term).status == ImportJob.Status.DONE
    result = detection.detect("2021-fall")
    assert result.cases_opened == dropped == DropoutCase.objects.count()
    assert result.transfers == moved == Transfer.objects.count()
    assert not DropoutCase.objects.filter(grade=9).exists()


def test_gbk_output_reads_back(operator, tmp_path):
    path = tmp_path / "gbk.csv"
    call_command("roster", "gen", "--rows", "50", "--term", "2021-fall", "-o", str(path), "--encoding", "gbk")
    assert jobs.import_file(operator, None, path, "2021-fall").rows_written == 50


def test_the_generator_is_repeatable():
    a, b = Generator(4), Generator(4)
    term = Term.parse("2021-fall")
    assert [a.child(term) for _ in range(20)] == [b.child(term) for _ in range(20)]
