from django.contrib import admin

from suiqian.accounts.admin import ScopedAdmin, site

from .models import NationalRatio, PublishedValue


@admin.register(PublishedValue, site=site)
class PublishedValueAdmin(ScopedAdmin):
    list_display = ("unit", "year", "field", "value", "source")
    list_filter = ("year",)


@admin.register(NationalRatio, site=site)
class NationalRatioAdmin(ScopedAdmin):
    list_display = ("year", "ratio", "source")

    def get_queryset(self, request):
        return NationalRatio.objects.all()
