"""Two people acting on the same thing at the same moment, through real parallel database connections:
exactly one wins, the other gets a clear message, nothing is lost or duplicated.

On PostgreSQL the report row is locked with SELECT … FOR UPDATE; on SQLite every transaction takes the
write lock when it begins (transaction_mode IMMEDIATE). Both engines run these tests."""

import threading

import pytest
from django.db import connection

from suiqian.accounts.scope import Scope
from suiqian.conftest import county_values, make_user
from suiqian.divisions.models import Division
from suiqian.notices import documents as notice_documents
from suiqian.reporting import services
from suiqian.reporting.models import Report, ReportEvent

pytestmark = pytest.mark.django_db(transaction=True)


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


def at_once(*actions):
    """Run the actions in parallel threads (own connections), released together; return result or error each."""
    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def run(i, action):
        try:
            barrier.wait()
            results[i] = ("ok", action())
        except Exception as e:  # noqa: BLE001 — the loser's error is what the test inspects
            results[i] = ("error", e)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.fixture
def submitted(summary_form, county_user):
    scope = Scope.of(county_user)
    report = services.save_values(scope, county_user, summary_form, unit("140525"), county_values())
    return services.submit_report(scope, county_user, report)


def test_two_reviewers_approving_and_returning_at_once(submitted, city_user):
    other = make_user("140500", roles=["reviewer"], username="second-reviewer")
    results = at_once(lambda: services.approve_report(Scope.of(city_user), city_user, submitted),
                      lambda: services.return_report(Scope.of(other), other, submitted, "数据有误"))
    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["error", "ok"]
    loser = next(value for kind, value in results if kind == "error")
    assert isinstance(loser, services.Locked) and "可能已被他人处理" in str(loser)
    report = Report.objects.get(pk=submitted.pk)
    decisions = ReportEvent.objects.filter(report=report, action__in=["approve", "return"])
    assert decisions.count() == 1 and report.status == {"approve": "approved", "return": "returned"}[
        decisions.get().action]


def test_a_double_submit(summary_form, county_user):
    scope = Scope.of(county_user)
    report = services.save_values(scope, county_user, summary_form, unit("140525"), county_values())
    results = at_once(lambda: services.submit_report(scope, county_user, report),
                      lambda: services.submit_report(scope, county_user, report))
    assert sorted(kind for kind, _ in results) == ["error", "ok"]
    assert "请勿重复上报" in str(next(v for k, v in results if k == "error"))
    assert ReportEvent.objects.filter(report=report, action="submit").count() == 1


def test_two_saves_of_the_same_page_version(summary_form, county_user):
    scope = Scope.of(county_user)
    report = services.save_values(scope, county_user, summary_form, unit("140525"), county_values())
    version = report.version
    results = at_once(
        lambda: services.save_values(scope, county_user, summary_form, unit("140525"), {"gaokao_applicants": "31"},
                                     expected_version=version),
        lambda: services.save_values(scope, county_user, summary_form, unit("140525"), {"gaokao_applicants": "32"},
                                     expected_version=version))
    assert sorted(kind for kind, _ in results) == ["error", "ok"]
    assert isinstance(next(v for k, v in results if k == "error"), services.Stale)
    winner = next(v for k, v in results if k == "ok")
    assert Report.objects.get(pk=report.pk).value_map()["gaokao_applicants"] == winner.value_map()["gaokao_applicants"]


def test_two_reviewers_deciding_a_document_at_once(seeded_notices, county_user, city_user):
    rules = seeded_notices["晋市教基函字(2021)25号"].requirements.get(document_type="enrollment_rules")
    submission = notice_documents.submit_document(Scope.of(county_user), county_user, rules, unit("140525"), "细则".encode(),
                                         "a.txt")
    other = make_user("140500", roles=["reviewer"], username="second-reviewer")
    results = at_once(
        lambda: notice_documents.review_document(Scope.of(city_user), city_user, submission, approve=True),
        lambda: notice_documents.review_document(Scope.of(other), other, submission, approve=False, reason="缺页"))
    assert sorted(kind for kind, _ in results) == ["error", "ok"]
    assert "可能已被他人处理" in str(next(v for k, v in results if k == "error"))


def test_two_imports_of_the_same_roster_at_once(county_user, tmp_path, shanxi):
    """Imports of one county and term take turns (advisory lock on PostgreSQL, the write lock on SQLite):
    both complete, the later replaces the earlier whole — never a mix, never duplicated rows."""
    from suiqian.rosters import jobs
    from suiqian.rosters.models import Roster, RosterEntry
    from suiqian.rosters.tests.factories import child, write_roster

    first = write_roster(tmp_path, [child(n) for n in range(1, 41)], name="first.csv")
    second = write_roster(tmp_path, [child(n) for n in range(100, 131)], name="second.csv")
    scope = Scope.of(county_user)
    results = at_once(lambda: jobs.import_file(scope, county_user, first, "2021-fall"),
                      lambda: jobs.import_file(scope, county_user, second, "2021-fall"))
    assert [kind for kind, _ in results] == ["ok", "ok"]
    current = Roster.objects.get(term="2021-fall", unit__code="140525", status=Roster.Status.CURRENT)
    assert current.rows in (40, 31)
    assert RosterEntry.objects.filter(roster__status=Roster.Status.CURRENT).count() == current.rows
    assert RosterEntry.objects.count() == current.rows  # the replaced roster's rows are gone, none duplicated
