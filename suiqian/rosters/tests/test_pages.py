"""The roster pages: upload with progress, bad-rows download, counts beside 附件3, cases; a sibling gets 404."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from suiqian.accounts.scope import Scope
from suiqian.conftest import make_user
from suiqian.reporting import services as reporting
from suiqian.rosters import detection, jobs
from suiqian.rosters.models import CaseStatus, DropoutCase, ImportJob, PersonalDataExport
from suiqian.rosters.tests.conftest import unit
from suiqian.rosters.tests.factories import child, import_rows, roster_text, xlsx_bytes

SPRING, FALL = "2021-spring", "2021-fall"


@pytest.fixture
def zezhou(county_user, tmp_path):
    """泽州县's rosters for both terms (one child gone in fall), detection run: one case."""
    scope = Scope.of(county_user)
    spring = [child(1), child(2), child(3, grade=7)]
    import_rows(scope, county_user, tmp_path, spring, SPRING, unit=unit("140525"))
    job = import_rows(scope, county_user, tmp_path, [child(1).next_year(), child(2).next_year(),
                                                     child(4).moved(grade=11)], FALL,
                      unit=unit("140525"), on_error="skip")
    detection.detect(FALL)
    return {"job": job, "case": DropoutCase.objects.get()}


def roster_pages(zezhou):
    job, case = zezhou["job"], zezhou["case"]
    return [
        ("get", reverse("roster_unit", args=["140525"]), {}),
        ("post", reverse("roster_upload", args=["140525"]), {"term": FALL, "on_error": "stop"}),
        ("get", reverse("roster_summary", args=["140525"]) + f"?term={FALL}", {}),
        ("get", reverse("roster_cases", args=["140525"]) + f"?term={FALL}", {}),
        ("get", reverse("roster_cases", args=["140525"]) + f"?term={FALL}&format=csv", {}),
        ("get", reverse("roster_job", args=[job.pk]), {}),
        ("get", reverse("roster_job_progress", args=[job.pk]), {}),
        ("get", reverse("roster_bad_rows", args=[job.pk]), {}),
        ("get", reverse("roster_case", args=[case.pk]), {}),
        ("post", reverse("roster_case_status", args=[case.pk]), {"status": "returned", "note": "已返校"}),
    ]


def test_a_sibling_county_gets_404_on_every_roster_page(client, zezhou, sibling_county_user):
    client.force_login(sibling_county_user)
    for method, url, data in roster_pages(zezhou):
        assert getattr(client, method)(url, data).status_code == 404, url
    assert DropoutCase.objects.get().status == CaseStatus.CHECKING
    assert not PersonalDataExport.objects.exists()


def test_the_county_and_its_city_open_every_page(client, zezhou, county_user, city_user):
    for user in (county_user, city_user):
        client.force_login(user)
        for method, url, _ in roster_pages(zezhou):
            if method == "get":
                assert client.get(url).status_code == 200, (user, url)


def test_an_upload_is_imported_by_the_worker_and_shows_its_bad_rows_grouped(client, county_user, shanxi,
                                                                            run_tasks):
    client.force_login(county_user)
    bad = [child(n).moved(school_type="公立") for n in range(2, 7)]
    text = roster_text([child(1), *bad, child(7).moved(sex="X")])
    response = client.post(reverse("roster_upload", args=["140525"]), {
        "term": FALL, "on_error": "skip", "file": SimpleUploadedFile("名册.csv", text.encode("utf-8-sig"))},
        follow=True)
    job = ImportJob.objects.get()
    assert response.redirect_chain[-1][0] == reverse("roster_job", args=[job.pk])
    progress_url = reverse("roster_job_progress", args=[job.pk])
    waiting = client.get(progress_url).content.decode()
    assert "等待处理" in waiting and f'hx-get="{progress_url}"' in waiting and 'hx-trigger="every 1s"' in waiting
    assert '<progress id="job-bar"' in waiting

    run_tasks()

    page = client.get(progress_url).content.decode()
    assert "已导入 1 名学生" in page and "完成" in page
    assert 'hx-trigger="every 1s"' not in page  # finished: no more polling
    # Grouped: each kind once with its count, then the rows.
    assert page.count("学校类型应为 公办、民办 或 政府购买学位") == 1 + 5
    kinds = page.split('id="bad-kinds"')[1].split("</table>")[0]
    assert "<td>学校类型应为 公办、民办 或 政府购买学位</td><td>5</td>" in kinds
    assert "<td>性别应为 男 或 女</td><td>1</td>" in kinds
    assert child(2).id not in page and child(2).id[:6] + "********" + child(2).id[-4:] in page
    assert not (jobs.media_path(job.upload)).exists()
    download = client.get(reverse("roster_bad_rows", args=[job.pk]))
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[1].startswith("3,") and child(2).id not in body
    export = PersonalDataExport.objects.get()
    assert (export.user, export.unit.code, export.kind, export.rows, export.term) == (
        county_user, "140525", "bad_rows", 6, FALL)


def test_an_xlsx_roster_from_the_page_is_read(client, county_user, shanxi, run_tasks):
    client.force_login(county_user)
    data = xlsx_bytes([child(1), child(2)])
    client.post(reverse("roster_upload", args=["140525"]), {
        "term": FALL, "on_error": "stop", "file": SimpleUploadedFile("名册.xlsx", data)})
    run_tasks()
    job = ImportJob.objects.get()
    assert (job.status, job.kind, job.rows_written) == (ImportJob.Status.DONE, "xlsx", 2), job.message


def test_a_city_upload_that_replaces_county_rosters_asks_first_and_shows_in_their_history(
        client, county_user, city_user, shanxi, run_tasks, tmp_path):
    import_rows(Scope.of(county_user), county_user, tmp_path, [child(1)], FALL, unit=unit("140525"))
    client.force_login(city_user)
    text = roster_text([child(2), child(3, county="140521")])
    client.post(reverse("roster_upload", args=["140500"]), {
        "term": FALL, "on_error": "stop", "file": SimpleUploadedFile("全市.csv", text.encode())})
    run_tasks()
    job = ImportJob.objects.get(unit__code="140500")
    assert job.status == ImportJob.Status.CONFIRM and job.replaces == [["140525", "泽州县"]]
    assert jobs.media_path(job.upload).exists()  # still waiting, sealed
    page = client.get(reverse("roster_job", args=[job.pk])).content.decode()
    assert "140525 泽州县" in page and "确认替换并导入" in page and "140521" not in page.split("job-confirm")[1].split("</ul>")[0]

    client.post(reverse("roster_job_confirm", args=[job.pk]))
    run_tasks()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.units == ["140521", "140525"]
    assert not jobs.media_path(job.upload).exists()
    client.force_login(county_user)
    history = client.get(reverse("roster_unit", args=["140525"]) + f"?term={FALL}").content.decode()
    assert f'data-job="{job.pk}"' in history and "晋城市" in history


def test_a_cancelled_confirmation_imports_nothing_and_removes_the_upload(client, county_user, city_user, shanxi,
                                                                          run_tasks, tmp_path):
    import_rows(Scope.of(county_user), county_user, tmp_path, [child(1)], FALL, unit=unit("140525"))
    client.force_login(city_user)
    client.post(reverse("roster_upload", args=["140500"]), {
        "term": FALL, "on_error": "stop", "file": SimpleUploadedFile("全市.csv", roster_text([child(2)]).encode())})
    run_tasks()
    job = ImportJob.objects.get(unit__code="140500")
    client.post(reverse("roster_job_cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED and not jobs.media_path(job.upload).exists()
    run_tasks()
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.CANCELLED


def test_the_detection_button_runs_a_comparison_with_progress(client, county_user, shanxi, run_tasks, tmp_path):
    scope = Scope.of(county_user)
    import_rows(scope, county_user, tmp_path, [child(1), child(2)], SPRING, unit=unit("140525"))
    import_rows(scope, county_user, tmp_path, [child(1).next_year()], FALL, unit=unit("140525"))
    client.force_login(county_user)
    cases_url = reverse("roster_cases", args=["140525"]) + f"?term={FALL}"
    assert "开始比对" in client.get(cases_url).content.decode()
    response = client.post(reverse("roster_detect", args=["140525"]), {"term": FALL}, follow=True)
    page = response.content.decode()
    assert "等待处理" in page and 'id="detection-bar"' in page and "2021年秋季学期" in page
    run_tasks()
    from suiqian.rosters.models import DetectionRun
    run = DetectionRun.objects.get()
    done = client.get(reverse("roster_detection_progress", args=[run.pk])).content.decode()
    assert "完成" in done and "新增疑似辍学 1 人" in done and "hx-trigger" not in done
    assert DropoutCase.objects.count() == 1


def test_any_term_can_be_chosen_and_a_term_in_the_url_is_honoured(client, county_user, shanxi):
    client.force_login(county_user)
    page = client.get(reverse("roster_unit", args=["140525"]) + "?term=2019-spring").content.decode()
    assert '<option value="2019-spring" selected>2019年春季学期</option>' in page
    assert "2019-spring</" not in page and ">2019-spring" not in page


def test_an_upload_over_the_limit_is_refused_before_it_is_read(client, county_user, shanxi, monkeypatch):
    monkeypatch.setattr(jobs, "MAX_UPLOAD_BYTES", 10)
    client.force_login(county_user)
    response = client.post(reverse("roster_upload", args=["140525"]), {
        "term": FALL, "on_error": "stop", "file": SimpleUploadedFile("a.csv", b"x" * 2_000_000)}, follow=True)
    assert "文件超过 200 MB" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_viewer_may_not_upload_nor_export_names(client, zezhou, shanxi):
    viewer = make_user("140525", roles=["viewer"], username="viewer")
    client.force_login(viewer)
    assert "start-import" not in client.get(reverse("roster_unit", args=["140525"])).content.decode()
    assert client.post(reverse("roster_upload", args=["140525"]), {"term": FALL}).status_code == 403
    assert client.get(reverse("roster_cases", args=["140525"]) + f"?term={FALL}&format=csv").status_code == 403
    assert not PersonalDataExport.objects.exists()


def test_the_cases_page_lists_filters_and_exports_with_an_audit_record(client, zezhou, county_user):
    client.force_login(county_user)
    url = reverse("roster_cases", args=["140525"])
    page = client.get(url, {"term": FALL}).content.decode()
    case = zezhou["case"]
    assert case.id_masked in page and "学生003" in page and "核查中（1）" in page
    assert "学生003" not in client.get(url, {"term": FALL, "status": "returned"}).content.decode()
    csv_text = client.get(url, {"term": FALL, "format": "csv"}).content.decode("utf-8-sig")
    assert csv_text.splitlines()[1].startswith(case.id_masked + ",学生003,140525,泽州县,第一中学,7,核查中")
    export = PersonalDataExport.objects.get()
    assert (export.user, export.kind, export.rows, export.via) == (county_user, "cases", 1, "page")


def test_the_case_page_records_a_status_change_with_a_note(client, zezhou, county_user, city_user):
    case = zezhou["case"]
    client.force_login(city_user)
    assert "save-status" not in client.get(reverse("roster_case", args=[case.pk])).content.decode()
    assert client.post(reverse("roster_case_status", args=[case.pk]),
                       {"status": "returned", "note": "x"}).status_code == 403
    client.force_login(county_user)
    empty = client.post(reverse("roster_case_status", args=[case.pk]), {"status": "returned", "note": ""})
    assert empty.status_code == 400 and "请填写核查情况说明" in empty.content.decode()
    response = client.post(reverse("roster_case_status", args=[case.pk]),
                           {"status": "persuading", "note": "随父母外出，已电话联系", "happened_on": "2021-09-20"},
                           follow=True)
    page = response.content.decode()
    assert "确认辍学（劝返中）" in page and "随父母外出，已电话联系" in page and "2021-09-20" in page


def test_the_summary_page_shows_the_rosters_beside_the_typed_summary(client, zezhou, summary_form, county_user):
    reporting.save_values(Scope.of(county_user), county_user, summary_form, unit("140525"),
                          {"migrant_children_total": "3", "migrant_worker_children_total": "2"})
    client.force_login(county_user)
    page = client.get(reverse("roster_summary", args=["140525"]), {"term": FALL}).content.decode()
    assert "1 项不一致" in page
    assert 'data-field="migrant_children_total" class="mismatch"' in page
    assert 'data-field="migrant_worker_children_total" class="mismatch"' not in page


def test_the_unit_page_shows_each_countys_roster_and_the_missing_ones(client, zezhou, city_user):
    client.force_login(city_user)
    page = client.get(reverse("roster_unit", args=["140500"]), {"term": FALL}).content.decode()
    assert "已上报" in page and page.count("未上报") >= 5
    page = client.get(reverse("roster_cases", args=["140500"]), {"term": FALL}).content.decode()
    assert "名册未上报" not in page  # only 泽州县 had a spring roster, and it has a fall one


def test_an_upload_no_worker_ever_took_expires_with_its_sealed_file(client, county_user, shanxi):
    import datetime as dt

    from django.utils import timezone

    client.force_login(county_user)
    client.post(reverse("roster_upload", args=["140525"]), {
        "term": FALL, "on_error": "stop", "file": SimpleUploadedFile("a.csv", roster_text([child(1)]).encode())})
    job = ImportJob.objects.get()
    assert jobs.media_path(job.upload).exists()
    jobs.recover_interrupted_imports(timezone.now() + dt.timedelta(hours=1))
    assert ImportJob.objects.get().status == ImportJob.Status.PENDING  # a busy worker may still take it
    jobs.recover_interrupted_imports(timezone.now() + dt.timedelta(days=2))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and not jobs.media_path(job.upload).exists()
