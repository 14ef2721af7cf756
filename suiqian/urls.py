from django.http import HttpResponse
from django.urls import path

from suiqian.accounts import views as accounts
from suiqian.api import views as api_views
from suiqian.api.routes import api
from suiqian.accounts.admin import site as admin_site
from suiqian.dashboard import views as dashboard
from suiqian.divisions import views as divisions
from suiqian.edustats import views as edustats
from suiqian.notices import views as notices
from suiqian.policies import views as policies
from suiqian.reporting import views as reporting
from suiqian.rosters import views as rosters
from suiqian.supervision import views as supervision

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("healthz", lambda request: HttpResponse("ok", content_type="text/plain"), name="healthz"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/data", dashboard.dashboard_json, name="dashboard_data"),
    path("dashboard/ranking.xlsx", dashboard.ranking_xlsx, name="ranking_xlsx"),
    path("maps/<str:code>.geojson", dashboard.map_file, name="map_file"),
    path("login/", accounts.login, name="login"),
    path("logout/", accounts.logout, name="logout"),
    path("audit/", accounts.audit_log, name="audit_log"),
    path("units/", divisions.own_unit, name="own_unit"),
    path("units/<str:code>/", divisions.unit, name="unit"),
    path("stats/enrollment/", reporting.enrollment_table, name="enrollment_table"),
    path("forms/", reporting.form_list, name="form_list"),
    path("forms/<str:code>/template.xlsx", reporting.form_template, name="form_template"),
    path("forms/<str:code>/<str:unit_code>/", reporting.form_page, name="form_page"),
    path("forms/<str:code>/<str:unit_code>/checks/", reporting.form_checks, name="form_checks"),
    path("forms/<str:code>/<str:unit_code>/check", reporting.form_check, name="form_check"),
    path("forms/<str:code>/<str:unit_code>/save", reporting.form_save, name="form_save"),
    path("forms/<str:code>/<str:unit_code>/submit", reporting.form_submit, name="form_submit"),
    path("forms/<str:code>/<str:unit_code>/approve", reporting.form_approve, name="form_approve"),
    path("forms/<str:code>/<str:unit_code>/return", reporting.form_return, name="form_return"),
    path("forms/<str:code>/<str:unit_code>/unlock", reporting.form_unlock, name="form_unlock"),
    path("forms/<str:code>/<str:unit_code>/import", reporting.form_import, name="form_import"),
    path("forms/<str:code>/<str:unit_code>/export.xlsx", reporting.form_export, name="form_export"),
    path("notices/", notices.notice_list, name="notice_list"),
    path("notices/new", notices.notice_new, name="notice_new"),
    path("notices/<int:pk>/", notices.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/publish", notices.notice_publish, name="notice_publish"),
    path("notices/<int:pk>/forward", notices.notice_forward, name="notice_forward"),
    path("notices/<int:pk>/status.xlsx", notices.notice_status_export, name="notice_status_export"),
    path("notices/attachments/<int:pk>", notices.attachment_download, name="attachment_download"),
    path("requirements/<int:requirement_id>/extend", notices.grant_extension, name="grant_extension"),
    path("requirements/<int:requirement_id>/<str:unit_code>/", notices.submission_page, name="submission_page"),
    path("requirements/<int:requirement_id>/<str:unit_code>/upload", notices.submission_upload,
         name="submission_upload"),
    path("requirements/<int:requirement_id>/<str:unit_code>/package", notices.submission_package,
         name="submission_package"),
    path("requirements/<int:requirement_id>/<str:unit_code>/review", notices.submission_review,
         name="submission_review"),
    path("submissions/<int:pk>/download", notices.submission_download, name="submission_download"),
    path("policies/consistency/<str:code>/", policies.consistency, name="policy_consistency"),
    path("rosters/", rosters.home, name="roster_home"),
    path("rosters/jobs/<int:pk>/", rosters.job_page, name="roster_job"),
    path("rosters/jobs/<int:pk>/progress", rosters.job_progress, name="roster_job_progress"),
    path("rosters/jobs/<int:pk>/bad-rows.csv", rosters.bad_rows, name="roster_bad_rows"),
    path("rosters/cases/<int:pk>/", rosters.case_page, name="roster_case"),
    path("rosters/cases/<int:pk>/status", rosters.case_status, name="roster_case_status"),
    path("rosters/<str:code>/", rosters.unit_page, name="roster_unit"),
    path("rosters/<str:code>/import", rosters.upload, name="roster_upload"),
    path("rosters/<str:code>/summary", rosters.summary, name="roster_summary"),
    path("rosters/<str:code>/cases", rosters.case_list, name="roster_cases"),
    path("edustats/", edustats.home, name="edustats_home"),
    path("edustats/differences/", edustats.differences, name="edustats_differences"),
    path("edustats/<str:code>/", edustats.unit_page, name="edustats_unit"),
    path("edustats/<str:code>/save", edustats.save, name="edustats_save"),
    path("edustats/<str:code>/submit", edustats.submit, name="edustats_submit"),
    path("edustats/<str:code>/approve", edustats.approve, name="edustats_approve"),
    path("edustats/<str:code>/return", edustats.return_, name="edustats_return"),
    path("edustats/<str:code>/unlock", edustats.unlock, name="edustats_unlock"),
    path("edustats/<str:code>/import", edustats.import_, name="edustats_import"),
    path("edustats/<str:code>/template.xlsx", edustats.template, name="edustats_template"),
    path("edustats/<str:code>/compare", edustats.compare, name="edustats_compare"),
    path("supervision/", supervision.overview, name="supervision"),
    path("supervision/key/<str:code>/notes", supervision.note_add, name="progress_note_add"),
    path("supervision/inspections/new", supervision.inspection_new, name="inspection_new"),
    path("supervision/inspections/<int:pk>/", supervision.inspection_detail, name="inspection_detail"),
    path("supervision/inspections/<int:pk>/update", supervision.inspection_update, name="inspection_update"),
    path("supervision/inspections/<int:pk>/sanctions", supervision.sanction_add, name="sanction_add"),
    path("supervision/rankings/publish", supervision.ranking_publish, name="ranking_publish"),
    path("supervision/rankings/<int:pk>/", supervision.ranking_detail, name="ranking_detail"),
    path("account/tokens/", api_views.tokens, name="api_tokens"),
    path("account/tokens/new", api_views.token_create, name="api_token_create"),
    path("account/tokens/<int:token_id>/revoke", api_views.token_revoke, name="api_token_revoke"),
    path("api/v1/", api.urls),
    path("admin/", admin_site.urls),
]
