"""Remaining tries before a lockout, unlocking from the user's page, both in the audit log."""

import pytest

from suiqian.accounts.models import AuditEvent
from suiqian.conftest import PASSWORD


def fail(client, username, times=1):
    response = None
    for _ in range(times):
        response = client.post("/login/", {"username": username, "password": "wrong-password"})
    return response


def test_the_remaining_tries_are_shown_before_the_lockout(client, county_user):
    body = fail(client, county_user.username).content.decode()
    assert "再输错 4 次，该账号将被锁定 30 分钟" in body
    body = fail(client, county_user.username, 3).content.decode()
    assert "再输错 1 次" in body
    locked = fail(client, county_user.username)
    assert "账号" in locked.content.decode() and "锁定" in locked.content.decode()
    assert AuditEvent.objects.filter(action="locked_out", username=county_user.username).exists()
    # Locked: even the right password is refused.
    response = client.post("/login/", {"username": county_user.username, "password": PASSWORD})
    assert "_auth_user_id" not in client.session and "锁定" in response.content.decode()


def test_the_units_admin_unlocks_from_the_users_page(client, county_user, shanxi):
    from suiqian.conftest import make_user

    admin = make_user("140525", roles=["admin"], username="admin-140525")
    fail(client, county_user.username, 5)
    client.force_login(admin)
    listing = client.get("/account/users/").content.decode()
    assert county_user.username in listing and "已锁定" in listing
    page = client.get(f"/account/users/{county_user.pk}/").content.decode()
    assert "已被锁定" in page and 'id="unlock"' in page
    client.post(f"/account/users/{county_user.pk}/unlock")
    assert "未锁定" in client.get(f"/account/users/{county_user.pk}/").content.decode()
    event = AuditEvent.objects.get(action="account_unlocked")
    assert event.target == county_user.username and event.user == admin
    client.logout()
    client.post("/login/", {"username": county_user.username, "password": PASSWORD})
    assert int(client.session["_auth_user_id"]) == county_user.pk


@pytest.mark.parametrize("who", ["province", "city"])
def test_the_units_above_unlock_too(client, county_user, province_user, city_user, who):
    fail(client, county_user.username, 5)
    client.force_login(province_user if who == "province" else city_user)
    client.post(f"/account/users/{county_user.pk}/unlock")
    assert not AuditEvent.objects.filter(action="account_unlocked").count() == 0


def test_a_sibling_county_or_a_filler_cannot_unlock(client, county_user, sibling_county_user, shanxi):
    from suiqian.conftest import make_user

    fail(client, county_user.username, 5)
    client.force_login(sibling_county_user)  # an admin, of the county next door
    assert client.get(f"/account/users/{county_user.pk}/").status_code == 404
    assert client.post(f"/account/users/{county_user.pk}/unlock").status_code == 404
    filler = make_user("140525", roles=["filler"], username="filler-140525")
    client.force_login(filler)
    assert client.post(f"/account/users/{county_user.pk}/unlock").status_code == 403
    assert not AuditEvent.objects.filter(action="account_unlocked").exists()


def test_the_audit_log_tells_lockouts_unlocks_and_changes_in_words(client, county_user, province_user, summary_form):
    from suiqian.accounts.scope import Scope
    from suiqian.conftest import county_values
    from suiqian.divisions.models import Division
    from suiqian.reporting import services
    from suiqian.tests.test_chinese_only import problems_in, read

    unit = Division.objects.get(code="140525", valid_to__isnull=True)
    report = services.save_values(Scope.of(county_user), county_user, summary_form, unit, county_values())
    services.submit_report(Scope.of(county_user), county_user, report)
    fail(client, county_user.username, 5)
    client.force_login(province_user)
    client.post(f"/account/users/{county_user.pk}/unlock")
    page = read(client.get("/audit/").content.decode())
    text = " ".join(" ".join(page.parts).split())
    for words in ("账号锁定", "解除锁定", "随迁子女在流入地参加高考报名人数：空 → 30", "状态：草稿 → 已上报"):
        assert words in text, words
    assert problems_in(text) == []
