from django.test import override_settings

from suiqian.conftest import PASSWORD


def test_it_logs_in_and_shows_the_users_unit(client, county_user):
    response = client.post("/login/", {"username": county_user.username, "password": PASSWORD}, follow=True)
    body = response.content.decode()
    assert response.status_code == 200
    assert "泽州县教育局" in body and "待办事项" in body


def test_a_wrong_password_is_refused_in_chinese(client, county_user):
    response = client.post("/login/", {"username": county_user.username, "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account(client, county_user):
    for _ in range(5):
        client.post("/login/", {"username": county_user.username, "password": "wrong"})
    response = client.post("/login/", {"username": county_user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_passwords_are_hashed_with_argon2(shanxi):
    """The tests swap in a fast hasher (conftest); the platform's own setting must stay Argon2."""
    from django.test import override_settings

    import suiqian.settings as platform_settings
    from suiqian.conftest import make_user

    assert platform_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=platform_settings.PASSWORD_HASHERS):
        user = make_user("140525", username="argon")
        assert user.password.startswith("argon2$") and user.check_password("test-pass-8831")


def test_logout_takes_a_post(client, county_user):
    client.force_login(county_user)
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


@override_settings(SESSION_COOKIE_AGE=1)
def test_sessions_expire(client, county_user):
    import time

    client.force_login(county_user)
    time.sleep(1.2)
    assert client.get("/").status_code == 302


def test_the_admin_is_for_the_provinces_administrators(client, province_user, city_user):
    assert client.get("/admin/").status_code == 302
    client.force_login(city_user)
    assert client.get("/admin/").status_code == 302
    client.force_login(province_user)
    assert client.get("/admin/").status_code == 200
    body = client.get("/admin/accounts/user/").content.decode()
    assert province_user.username in body and city_user.username in body


def _attempt(client, user, password, client_address):
    # Every request reaches the platform from the reverse proxy, as in the documented deployment.
    return client.post("/login/", {"username": user.username, "password": password},
                       REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"{client_address}, 10.0.0.2")


@override_settings(TRUSTED_PROXIES=["10.0.0.0/24"])
def test_behind_the_proxy_an_outsider_locks_only_themselves(client, county_user):
    from suiqian.accounts.models import AuditEvent

    for _ in range(6):
        _attempt(client, county_user, "wrong", "203.0.113.9")
    assert _attempt(client, county_user, PASSWORD, "203.0.113.9").status_code == 429
    response = _attempt(client, county_user, PASSWORD, "198.51.100.7")  # the county, from its own office
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(county_user.pk)
    failed = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED)
    assert failed.exists() and set(failed.values_list("ip", flat=True)) == {"203.0.113.9"}
    assert AuditEvent.objects.get(action=AuditEvent.Action.LOGIN).ip == "198.51.100.7"


def test_a_forwarded_for_header_from_an_untrusted_address_is_ignored(client, county_user):
    from suiqian.accounts.models import AuditEvent

    client.post("/login/", {"username": county_user.username, "password": "wrong"}, REMOTE_ADDR="198.51.100.7",
                HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED).ip == "198.51.100.7"
