from django.urls import path

from suiqian.accounts import views as accounts
from suiqian.accounts.admin import site as admin_site
from suiqian.dashboard import views as dashboard
from suiqian.divisions import views as divisions
from suiqian.reporting import views as reporting

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("login/", accounts.login, name="login"),
    path("logout/", accounts.logout, name="logout"),
    path("units/", divisions.own_unit, name="own_unit"),
    path("units/<str:code>/", divisions.unit, name="unit"),
    path("stats/enrollment/", reporting.enrollment_table, name="enrollment_table"),
    path("admin/", admin_site.urls),
]
