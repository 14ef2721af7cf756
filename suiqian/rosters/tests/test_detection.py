"""Dropout detection between two terms, transfers, 名册未上报, follow-up of cases, and their export."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from suiqian.accounts.scope import Scope
from suiqian.rosters import cases, detection, errors, queries
from suiqian.rosters.models import CaseEvent, CaseStatus, DropoutCase, PersonalDataExport, Transfer
from suiqian.rosters.tests.factories import child, import_rows

SPRING, FALL = "2021-spring", "2021-fall"


def masked(c) -> str:
    return c.id[:6] + "********" + c.id[-4:]


def case_ids(**filters) -> set[str]:
    return set(DropoutCase.objects.filter(**filters).values_list("id_masked", flat=True))


@pytest.fixture
def two_terms(operator, tmp_path):
    """Spring 2021 in 泽州县, 沁水县 and 城区; fall 2021 after a summer of leaving, moving and dropping out."""
    stays = [child(n, "140525", grade=3) for n in range(3)]
    graduate = child(10, "140525", grade=9)
    drops = [child(11, "140525", grade=5), child(12, "140525", grade=8)]
    moves = child(13, "140525", grade=4)
    qinshui = [child(20, "140521", grade=2)]
    chengqu = [child(30, "140502", grade=6)]  # 城区: no fall roster yet
    chengqu_drop = child(31, "140502", grade=2)
    import_rows(operator, None, tmp_path, [*stays, graduate, *drops, moves, *qinshui, *chengqu, chengqu_drop], SPRING)
    fall = [c.next_year() for c in stays] + [moves.next_year().moved(county="140521", school="沁水县实验小学")]
    fall += [c.next_year() for c in qinshui]
    import_rows(operator, None, tmp_path, fall, FALL)
    return {"stays": stays, "graduate": graduate, "drops": drops, "moves": moves, "chengqu": chengqu + [chengqu_drop]}


def test_every_dropout_is_found_and_no_graduate_or_transfer_is_reported(two_terms):
    result = detection.detect(FALL)
    assert case_ids() == {masked(c) for c in two_terms["drops"]}
    assert result.cases_opened == 2
    case = DropoutCase.objects.get(id_masked=masked(two_terms["drops"][1]))
    assert (case.unit.code, case.school, case.grade, case.status, case.term, case.last_term) == (
        "140525", "第一中学", 8, CaseStatus.CHECKING, FALL, SPRING)
    assert case.opened_note == "名册比对：2021年春季学期在册，2021年秋季学期未出现在平台任何县区的名册中"
    assert not case.events.exists()  # being found is not a status change


def test_a_transfer_within_the_platform_is_recorded_with_both_units(two_terms):
    result = detection.detect(FALL)
    transfer = Transfer.objects.get()
    assert result.transfers == 1
    assert (transfer.id_masked, transfer.from_unit.code, transfer.to_unit.code, transfer.from_grade,
            transfer.to_grade, transfer.to_school) == (masked(two_terms["moves"]), "140525", "140521", 4, 5,
                                                       "沁水县实验小学")


def test_a_county_without_a_roster_for_the_term_gets_a_notice_and_no_cases(two_terms):
    result = detection.detect(FALL)
    assert [u.code for u in result.missing_units] == ["140502"]
    assert not DropoutCase.objects.filter(unit__code="140502").exists()
    assert [u.code for u in queries.missing_rosters(Scope.system(), result.term)] == ["140502"]


def test_detecting_again_adds_nothing_and_keeps_the_follow_up(two_terms, county_user):
    detection.detect(FALL)
    case = DropoutCase.objects.get(id_masked=masked(two_terms["drops"][0]))
    cases.change_case_status(Scope.of(county_user), county_user, case, CaseStatus.PERSUADING, "家访：在家务农")
    again = detection.detect(FALL)
    assert (again.cases_opened, again.cases_closed) == (0, 0)
    assert DropoutCase.objects.count() == 2 and CaseEvent.objects.count() == 1
    assert DropoutCase.objects.get(pk=case.pk).status == CaseStatus.PERSUADING


def test_a_roster_imported_late_closes_the_open_case_of_a_child_found_there(two_terms, operator, tmp_path):
    detection.detect(FALL)
    dropped = two_terms["drops"][0]
    # 沁水县 re-imports its fall roster, now with the child who had gone there.
    import_rows(operator, None, tmp_path, [child(20, "140521", grade=2).next_year(),
                                           two_terms["moves"].next_year().moved(county="140521"),
                                           dropped.next_year().moved(county="140521")], FALL)
    result = detection.detect(FALL)
    assert result.cases_closed == 1
    case = DropoutCase.objects.get(id_masked=masked(dropped))
    assert (case.status, case.new_unit.code) == (CaseStatus.TRANSFERRED, "140521")
    assert case.events.last().note == "名册比对：该生已在 沁水县 2021年秋季学期 名册中"
    assert case.closed_at is not None


def test_from_fall_to_spring_grades_stay_and_grade_9_is_still_at_school(operator, tmp_path):
    ninth = child(1, grade=9)
    import_rows(operator, None, tmp_path, [ninth, child(2, grade=9)], "2021-fall")
    import_rows(operator, None, tmp_path, [child(2, grade=9)], "2022-spring")
    detection.detect("2022-spring")
    assert case_ids() == {masked(ninth)}


def test_open_cases_per_unit_for_dashboards(two_terms, county_user, city_user, sibling_county_user):
    detection.detect(FALL)
    assert queries.open_cases_by_unit(Scope.system()) == {"140525": 2}
    assert queries.open_cases_by_unit(Scope.of(city_user), level=2) == {"140500": 2}
    assert queries.open_cases_by_unit(Scope.of(city_user), level=1) == {"140000": 2}
    assert queries.open_cases_by_unit(Scope.of(sibling_county_user)) == {}
    case = DropoutCase.objects.first()
    cases.change_case_status(Scope.of(county_user), county_user, case, CaseStatus.RETURNED, "9月10日已返校")
    assert queries.open_cases_by_unit(Scope.of(county_user), term=FALL) == {"140525": 1}


def test_each_status_change_is_recorded_with_who_when_and_note(two_terms, county_user, sibling_county_user,
                                                              city_user):
    import datetime as dt

    detection.detect(FALL)
    case = DropoutCase.objects.get(id_masked=masked(two_terms["drops"][1]))
    scope = Scope.of(county_user)
    with pytest.raises(errors.RosterError, match="请填写核查情况说明"):
        cases.change_case_status(scope, county_user, case, CaseStatus.PERSUADING, " ")
    with pytest.raises(errors.NotAllowed):
        cases.change_case_status(Scope.of(city_user), city_user, case, CaseStatus.RETURNED, "市里改")
    cases.change_case_status(scope, county_user, case, CaseStatus.PERSUADING, "外出打工，已联系家长",
                                dt.date(2021, 9, 15))
    with pytest.raises(errors.RosterError, match="不能改为所选状态"):
        cases.change_case_status(scope, county_user, case, CaseStatus.CHECKING, "退回核查")
    cases.change_case_status(scope, county_user, case, CaseStatus.RETURNED, "劝返成功", dt.date(2021, 10, 8))
    events = list(case.events.values_list("from_status", "to_status", "user__username", "note", "happened_on"))
    assert events == [
        (CaseStatus.CHECKING, CaseStatus.PERSUADING, "u140525", "外出打工，已联系家长", dt.date(2021, 9, 15)),
        (CaseStatus.PERSUADING, CaseStatus.RETURNED, "u140525", "劝返成功", dt.date(2021, 10, 8)),
    ]
    case.refresh_from_db()
    assert case.status == CaseStatus.RETURNED and case.closed_at is not None
    # A closed case may be reopened for checking, with a note.
    cases.change_case_status(scope, county_user, case, CaseStatus.CHECKING, "学校反映又未到校")
    assert DropoutCase.objects.get(pk=case.pk).closed_at is None


def test_the_cases_command_exports_masked_rows_and_is_recorded(two_terms, capsys, county_user):
    detection.detect(FALL)
    call_command("roster", "cases", "--term", FALL, "--include-transfers")
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:8] == ["身份证号（已隐去部分）", "姓名", "最后在册县区代码", "最后在册县区", "最后在读学校", "年级",
                           "状态", "转入县区代码"]
    by_id = {r[0]: r for r in rows[1:]}
    drop, moved = two_terms["drops"][0], two_terms["moves"]
    assert by_id[masked(drop)][2:8] == ["140525", "泽州县", "第一小学", "5", "核查中", ""]
    assert by_id[masked(moved)][6:8] == ["已转学（平台内）", "140521"]
    assert len(rows) == 4
    assert not any(c.id in str(rows) for c in [drop, moved])
    export = PersonalDataExport.objects.get()
    assert (export.kind, export.rows, export.term, export.via, export.unit) == ("cases", 3, FALL, "cli", None)
    # A county user exports only their own county's cases.
    call_command("roster", "cases", "--term", FALL, "--as", county_user.username)
    assert len(capsys.readouterr().out.strip().splitlines()) == 3
    assert PersonalDataExport.objects.filter(user=county_user, unit__code="140525").exists()


def test_detection_is_for_the_operator(two_terms, county_user):
    with pytest.raises(CommandError, match="只能由运维人员运行"):
        call_command("roster", "detect", "--term", FALL, "--as", county_user.username)
    call_command("roster", "detect", "--term", FALL)
    assert DropoutCase.objects.count() == 2


def test_the_detect_command_lists_the_missing_rosters(two_terms, capsys):
    call_command("roster", "detect", "--term", FALL)
    out = capsys.readouterr().out
    assert "新增疑似辍学 2 人" in out and "平台内转学 1 人" in out
    assert "名册未上报：140502" in out


def test_cases_exported_at_half_past_midnight_carry_the_beijing_date_and_hour(two_terms, capsys):
    """00:30 in Beijing is 16:30 UTC the day before: the export says what the page says."""
    detection.detect(FALL)
    written = dt.datetime(2021, 9, 29, 16, 30, tzinfo=dt.UTC)  # 2021-09-30 00:30 Beijing time
    DropoutCase.objects.update(opened_at=written)
    Transfer.objects.update(detected_at=written)
    call_command("roster", "cases", "--term", FALL, "--include-transfers")
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][8:] == ["未在册学期", "发现时间（北京时间）"]
    assert {tuple(r[8:]) for r in rows[1:]} == {("2021年秋季学期", "2021-09-30 00:30")}
