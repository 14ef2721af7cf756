"""Reviewers teach the checker: findings marked wrong, missed ones added, listed and exported as corpus lines."""

import json

import pytest
from django.core.management import call_command

from suiqian.accounts.scope import Scope
from suiqian.conftest import login, make_user
from suiqian.policies import services
from suiqian.policies.models import FindingFeedback

from .test_review_pages import STRICT, enrollment_rules_requirement, unit, upload  # noqa: F401 (a fixture)


@pytest.fixture
def strict(enrollment_rules_requirement):
    return upload(enrollment_rules_requirement, "140525", STRICT)


def finding(submission, code):
    return next(f for f in submission.findings if f["code"] == code)


def test_a_reviewer_marks_a_finding_wrong_and_adds_a_missed_one(strict, city_user):
    scope = Scope.of(city_user)
    wrong = finding(strict, "FAMILY_PLANNING_PROOF")
    services.record_feedback(scope, city_user, strict, kind="wrong", code="FAMILY_PLANNING_PROOF",
                             sentence=wrong["text"], paragraph=wrong["paragraph"])
    services.record_feedback(scope, city_user, strict, kind="missed", code="OVERAGE_PROOF",
                             sentence="第一条 随迁子女入学以居住证为主要依据。", note="原文另有超龄说明")
    assert [(f.kind, f.code, f.unit.code) for f in FindingFeedback.objects.order_by("pk")] == [
        ("wrong", "FAMILY_PLANNING_PROOF", "140525"), ("missed", "OVERAGE_PROOF", "140525")]


@pytest.mark.parametrize("kind, code, sentence, message", [
    ("wrong", "OVERAGE_PROOF", "第三条 须提供计划生育证明", "没有这一自动审查结果"),
    ("missed", "NOT_A_CODE", "某句", "请选择问题类型"),
    ("missed", "OVERAGE_PROOF", "   ", "请填写原文句子"),
    ("missed", "OVERAGE_PROOF", "长" * 1001, "不能超过"),
    ("other", "OVERAGE_PROOF", "某句", "误报"),
])
def test_it_refuses_feedback_that_does_not_fit(strict, city_user, kind, code, sentence, message):
    with pytest.raises(services.FeedbackError, match=message):
        services.record_feedback(Scope.of(city_user), city_user, strict, kind=kind, code=code, sentence=sentence)
    assert not FindingFeedback.objects.exists()


def test_only_a_reviewer_above_the_county_may_give_feedback(strict, county_user, sibling_county_user):
    for user in (county_user, sibling_county_user):
        with pytest.raises(services.NotAllowed):
            services.record_feedback(Scope.of(user), user, strict, kind="missed", code="OVERAGE_PROOF",
                                     sentence="某句")


def test_feedback_is_listed_for_the_province_and_not_for_a_sibling_county(client, strict, city_user,
                                                                            province_user, sibling_county_user):
    client.force_login(city_user)
    response = client.post(f"/policies/feedback/{strict.pk}/", {
        "kind": "missed", "code": "OVERAGE_PROOF", "sentence": "须出具<超龄>说明", "note": "见第五条"})
    assert response.status_code == 302 and response.url.endswith("/140525/")
    client.force_login(province_user)
    body = client.get("/policies/feedback/").content.decode()
    assert "泽州县" in body and "要求超龄证明" in body and "漏报" in body
    assert "须出具&lt;超龄&gt;说明" in body and "OVERAGE_PROOF" not in body
    client.force_login(sibling_county_user)
    assert "须出具" not in client.get("/policies/feedback/").content.decode()
    assert client.post(f"/policies/feedback/{strict.pk}/", {
        "kind": "missed", "code": "OVERAGE_PROOF", "sentence": "x"}).status_code == 404
    assert FindingFeedback.objects.count() == 1


def test_feedback_is_exported_as_corpus_lines(strict, city_user, tmp_path):
    scope = Scope.of(city_user)
    both = finding(strict, "BOTH_PARENTS_REQUIRED")
    services.record_feedback(scope, city_user, strict, kind="wrong", code="BOTH_PARENTS_REQUIRED",
                             sentence=both["text"], paragraph=both["paragraph"])
    services.record_feedback(scope, city_user, strict, kind="missed", code="OVERAGE_PROOF", sentence="须提供超龄说明书")
    path = tmp_path / "F.jsonl"
    call_command("policy", "feedback", "export", "-o", str(path))
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [line["feedback"] for line in lines] == ["wrong", "missed"]
    wrong, missed = lines
    assert set(wrong) >= {"id", "place", "year", "source", "kind", "text", "expect"}
    assert wrong["text"] == both["text"] and "BOTH_PARENTS_REQUIRED" not in wrong["expect"]
    assert "SOCIAL_INSURANCE_YEARS_EXCEEDS" in wrong["expect"]  # the other finding on that sentence stands
    assert missed["expect"] == ["OVERAGE_PROOF"] and "泽州县" in missed["place"]
    make_user("140521", username="sibling")
    call_command("policy", "feedback", "export", "-o", str(path), "--as", "sibling")
    assert path.read_text(encoding="utf-8") == ""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_reviewer_marks_wrong_and_adds_missed_on_the_review_page(page, live_server, enrollment_rules_requirement, city_user,
                                                                    tmp_path):
    upload(enrollment_rules_requirement, "140525", STRICT)
    login(page, live_server, city_user.username)
    page.goto(f"{live_server.url}/requirements/{enrollment_rules_requirement.pk}/140525/")
    item = page.locator('#findings li[data-code="FAMILY_PLANNING_PROOF"]')
    assert "要求计划生育证明" in item.inner_text() and "触发词" in item.inner_text()
    item.locator("form.mark-wrong button").click()
    page.wait_for_selector("#feedback-list")
    page.locator("#add-missed summary").click()
    page.select_option('#add-missed select[name="code"]', label="要求超龄证明")
    page.fill('#add-missed textarea[name="sentence"]', "第一条 随迁子女入学以居住证为主要依据。")
    page.locator("#add-missed button").click()
    page.wait_for_selector('#feedback-list li[data-kind="missed"]')
    assert page.locator("#feedback-list li").count() == 2
    assert page.outside_requests == []
    for width, name in ((1280, "desk"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(tmp_path / f"review-{name}.png"), full_page=True)
    page.click("#feedback h3 a")  # 全部反馈
    rows = page.locator("#feedback-table tbody tr")
    assert rows.count() == 2 and "泽州县" in rows.nth(0).inner_text()
    assert unit("140525").name == "泽州县"
    page.screenshot(path=str(tmp_path / "feedback-list.png"), full_page=True)
