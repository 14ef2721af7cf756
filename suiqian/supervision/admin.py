from django.contrib import admin

from suiqian.accounts.admin import ScopedAdmin, site

from .models import KeySupervisionListing


@admin.register(KeySupervisionListing, site=site)
class KeySupervisionListingAdmin(ScopedAdmin):
    list_display = ("unit", "year", "listed_by", "source")
    list_filter = ("year",)
