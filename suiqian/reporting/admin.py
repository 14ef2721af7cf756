from django.contrib import admin

from suiqian.accounts.admin import ScopedAdmin, site

from .models import NationalRatio, PublishedEnrollment


@admin.register(PublishedEnrollment, site=site)
class PublishedEnrollmentAdmin(ScopedAdmin):
    list_display = ("unit", "year", "migrant_children", "public_school", "source")
    list_filter = ("year",)


@admin.register(NationalRatio, site=site)
class NationalRatioAdmin(ScopedAdmin):
    list_display = ("year", "ratio", "source")

    def get_queryset(self, request):
        return NationalRatio.objects.all()
