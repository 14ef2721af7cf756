"""Tokens: scoped to read-only or some groups, expiring, and ended by a new password or a deactivation."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from suiqian.accounts.models import AuditEvent
from suiqian.api.models import ApiToken
from suiqian.api.services import DEFAULT_DAYS, TokenError, create_token
from suiqian.conftest import county_values


def call(client, method, url, key, body=None):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    if method == "get":
        return client.get(url, **auth)
    return getattr(client, method)(url, data=json.dumps(body or {}), content_type="application/json", **auth)


REPORT = "/api/v1/forms/summary-2021/reports/140525"


def test_a_new_password_ends_every_token_of_the_user(client, county_user):
    token, key = create_token(county_user, "学籍系统")
    assert call(client, "get", "/api/v1/units", key).status_code == 200
    county_user.set_password("another-pass-5521")
    county_user.save()
    response = call(client, "get", "/api/v1/units", key)
    assert response.status_code == 401 and response.json()["detail"]
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_reason == "密码已更改"
    assert AuditEvent.objects.filter(action="token", user=county_user, detail__event="revoked_all").exists()


def test_saving_the_user_without_a_new_password_keeps_the_tokens(client, county_user):
    _, key = create_token(county_user, "学籍系统")
    county_user.first_name = "张"
    county_user.save()
    assert call(client, "get", "/api/v1/units", key).status_code == 200


def test_deactivation_ends_the_tokens_and_reactivation_does_not_bring_them_back(client, county_user):
    _, key = create_token(county_user, "学籍系统")
    county_user.is_active = False
    county_user.save()
    assert call(client, "get", "/api/v1/units", key).status_code == 401
    county_user.is_active = True
    county_user.save()
    assert call(client, "get", "/api/v1/units", key).status_code == 401
    assert ApiToken.objects.get().revoked_reason == "账号停用"


def test_tokens_expire_after_180_days_by_default(client, county_user):
    token, key = create_token(county_user, "学籍系统")
    lifetime = token.expires_at - timezone.now()
    assert DEFAULT_DAYS == 180 and dt.timedelta(days=179) < lifetime <= dt.timedelta(days=180)
    assert call(client, "get", "/api/v1/units", key).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert call(client, "get", "/api/v1/units", key).status_code == 401
    token.refresh_from_db()
    assert token.state_label == "已过期"


def test_a_read_only_token_reads_and_cannot_write(client, summary_form, county_user):
    _, key = create_token(county_user, "只读", access="read")
    assert call(client, "get", REPORT, key).status_code == 200
    response = call(client, "put", REPORT + "/values", key, {"values": county_values()})
    assert response.status_code == 403 and "只读" in response.json()["detail"]
    assert call(client, "get", REPORT, key).json()["status"] == "new"  # nothing was saved
    # The policy check is a POST that changes nothing: a read-only token may use it.
    response = client.post("/api/v1/policies/check", {"text": "须持有本市居住证满一年。"},
                           HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200 and response.json()["findings"]


def test_a_token_limited_to_groups_is_refused_elsewhere(client, summary_form, county_user):
    _, key = create_token(county_user, "通知", groups=["notices"])
    assert call(client, "get", "/api/v1/notices", key).status_code == 200
    response = call(client, "get", "/api/v1/units", key)
    assert response.status_code == 403 and "单位与填报" in response.json()["detail"]
    assert call(client, "get", "/api/v1/supervision/inspections", key).status_code == 403


def test_bad_token_settings_are_refused(county_user):
    for kwargs in ({"access": "admin"}, {"groups": ["everything"]}, {"days": 0}, {"days": 5000}):
        with pytest.raises(TokenError):
            create_token(county_user, "x", **kwargs)


def test_the_token_page_shows_scope_expiry_and_last_use(client, county_user):
    client.force_login(county_user)
    response = client.post("/account/tokens/new", {"name": "统计系统", "access": "read", "groups": ["statistics",
                                                                                                "dashboard"],
                                                  "days": "90"})
    page = response.content.decode()
    key = page.split("<code>")[1].split("</code>")[0]
    token = ApiToken.objects.get()
    assert token.access == "read" and token.groups == ["dashboard", "statistics"]
    assert "只读" in page and "看板、统计与排名" in page and "从未使用" in page
    assert token.expires_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d") in page
    call(client, "get", "/api/v1/dashboard?year=2021", key)
    page = client.get("/account/tokens/").content.decode()
    assert "从未使用" not in page and timezone.localtime().strftime("%Y-%m-%d %H") in page
    assert client.post("/account/tokens/new", {"name": "x", "access": "read", "days": "abc"}).status_code == 400


def test_a_sibling_county_neither_sees_nor_revokes_anothers_tokens(client, county_user, sibling_county_user):
    token, key = create_token(county_user, "泽州县学籍系统")
    client.force_login(sibling_county_user)
    assert "泽州县学籍系统" not in client.get("/account/tokens/").content.decode()
    client.post(f"/account/tokens/{token.pk}/revoke")
    token.refresh_from_db()
    assert token.revoked_at is None and call(client, "get", "/api/v1/units", key).status_code == 200


def test_a_logged_in_session_does_not_count_as_a_token(client, county_user):
    client.force_login(county_user)
    assert client.get("/api/v1/units").status_code == 401  # the API takes tokens only, never the session
