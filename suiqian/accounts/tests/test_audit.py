from suiqian.accounts.models import AuditEvent, Role
from suiqian.accounts.services import set_roles
from suiqian.conftest import PASSWORD, county_values


def actions():
    return list(AuditEvent.objects.order_by("pk").values_list("action", "username", "target"))


def test_logins_and_failures_are_recorded_with_the_address(client, county_user):
    AuditEvent.objects.all().delete()
    client.post("/login/", {"username": county_user.username, "password": "wrong"})
    client.post("/login/", {"username": county_user.username, "password": PASSWORD})
    client.post("/logout/")
    assert [a for a, _, _ in actions()] == ["login_failed", "login", "logout"]
    failed = AuditEvent.objects.get(action="login_failed")
    assert failed.username == county_user.username and failed.ip == "127.0.0.1" and failed.unit.code == "140525"


def test_permission_changes_name_who_changed_whom(client, province_user, county_user):
    AuditEvent.objects.all().delete()
    set_roles(county_user, [Role.VIEWER])
    revoked = {e.detail["role"] for e in AuditEvent.objects.filter(action="role_revoked")}
    assert revoked == {"filler", "reviewer", "admin"}
    assert AuditEvent.objects.filter(action="role_revoked", target=county_user.username).count() == 3


def test_data_changes_and_approvals_are_in_the_trail(client, summary_form, county_user, city_user):
    client.force_login(county_user)
    client.post("/forms/summary-2021/140525/save", {**county_values(), "version": "0"})
    client.post("/forms/summary-2021/140525/submit")
    client.force_login(city_user)
    client.post("/forms/summary-2021/140525/approve")
    trail = [(e.action, e.username, e.unit.code) for e in AuditEvent.objects.filter(
        action__in=["data_changed", "submitted", "approved"]).order_by("pk")]
    assert trail == [("data_changed", county_user.username, "140525"), ("submitted", county_user.username, "140525"),
                     ("approved", city_user.username, "140525")]


def test_the_province_admin_searches_the_log_and_others_cannot(client, province_user, city_user, county_user):
    client.post("/login/", {"username": county_user.username, "password": "wrong"})
    client.force_login(city_user)
    assert client.get("/audit/").status_code == 403
    client.force_login(province_user)
    body = client.get("/audit/", {"action": "login_failed", "text": county_user.username}).content.decode()
    assert "登录失败" in body and county_user.username in body and "泽州县" in body
