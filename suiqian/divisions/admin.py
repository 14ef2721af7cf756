from django.contrib import admin

from suiqian.accounts.admin import ScopedAdmin, site

from .models import Division


@admin.register(Division, site=site)
class DivisionAdmin(ScopedAdmin):
    list_display = ("code", "name", "kind", "parent", "valid_from", "valid_to")
    list_filter = ("level", "kind")
    search_fields = ("code", "name")
    scope_path_field = "path"
    readonly_fields = ("path",)
