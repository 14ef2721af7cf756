"""Audit gaps closed: rankings published, users moved or reset by an administrator, roles granted through
set_roles, bad-row files copied out by the roster command; and a restore elsewhere writes nothing here."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from suiqian.accounts.models import AuditEvent, Role, RoleGrant
from suiqian.accounts.scope import Scope
from suiqian.accounts.services import set_roles
from suiqian.conftest import county_values, make_user
from suiqian.divisions.models import Division


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


def events(action, **detail):
    return [e for e in AuditEvent.objects.filter(action=action) if all(e.detail.get(k) == v for k, v in detail.items())]


def test_publishing_a_ranking_is_audited(summary_form, city_user, county_user):
    from suiqian.reporting import services as reporting
    from suiqian.supervision.services import publish_ranking

    report = reporting.save_values(Scope.of(county_user), county_user, summary_form, unit("140525"), county_values())
    reporting.submit_report(Scope.of(county_user), county_user, report)
    reporting.approve_report(Scope.of(city_user), city_user, report)
    ranking = publish_ranking(Scope.of(city_user), city_user, unit("140500"), 2021)
    [event] = events(AuditEvent.Action.SUPERVISION, event="ranking_published")
    assert (event.user, event.unit.code, event.target, event.detail["ranking"]) == (
        city_user, "140500", ranking.title, ranking.pk)


def test_an_administrator_moving_a_user_or_resetting_a_password_is_audited(client, province_user, county_user):
    AuditEvent.objects.all().delete()
    client.force_login(province_user)
    response = client.post(f"/admin/accounts/user/{county_user.pk}/password/",
                           {"password1": "Xk2-new-pass-91", "password2": "Xk2-new-pass-91"})
    assert response.status_code == 302
    county_user.refresh_from_db()
    county_user.unit = unit("140521")
    county_user.save()
    changed = AuditEvent.objects.filter(action=AuditEvent.Action.USER_CHANGED, target=county_user.username)
    assert [e.detail["changes"] for e in changed.order_by("pk")] == [
        {"password": "已重置"}, {"unit_id": [unit("140525").pk, unit("140521").pk]}]
    assert changed.order_by("pk").first().user == province_user
    assert all("pbkdf2" not in str(e.detail) and "md5" not in str(e.detail) for e in changed)


def test_roles_granted_through_set_roles_are_audited(shanxi):
    user = make_user("140525", roles=[Role.VIEWER], username="someone")
    AuditEvent.objects.all().delete()
    set_roles(user, [Role.VIEWER, Role.FILLER, Role.REVIEWER])
    granted = AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_GRANTED, target="someone")
    assert sorted(e.detail["role"] for e in granted) == ["filler", "reviewer"]


def test_a_bad_rows_file_copied_out_by_the_roster_command_is_an_audited_export(shanxi, tmp_path, county_user):
    roster = tmp_path / "名册.csv"
    call_command("roster", "gen", "--rows", "50", "--term", "2021-fall", "--seed", "3", "--bad-rate", "0.1",
                 "-o", str(roster), stdout=io.StringIO(), stderr=io.StringIO())
    copy = tmp_path / "错误行.csv"
    try:
        call_command("roster", "import", str(roster), "--term", "2021-fall", "--on-error", "skip",
                     "--bad-rows", str(copy), stdout=io.StringIO(), stderr=io.StringIO())
    except Exception:  # noqa: BLE001 — a partial import may end non-zero; the copy is what matters here
        pass
    assert Path(copy).exists()
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT_PERSONAL)
    assert event.detail["via"] == "cli" and event.target.startswith("名册错误行")


@pytest.mark.django_db(transaction=True)
def test_a_restore_into_another_database_writes_nothing_into_this_one(shanxi, county_user, tmp_path):
    from suiqian.ops import services as ops

    call_command("backup", "-o", str(tmp_path / "backup"), stdout=io.StringIO())
    call_command("flush", interactive=False, verbosity=0)  # and the live database may even be empty
    target = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    call_command("restore", str(tmp_path / "backup"), database_url=target, media_root=tmp_path / "m", portable=True,
                 stdout=io.StringIO())
    assert AuditEvent.objects.count() == 0
    with ops.database_alias(target) as alias:
        assert RoleGrant.objects.using(alias).count() == 4
