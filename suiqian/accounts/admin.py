"""Django admin for the province's 管理员, every list restricted by the scope helper."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from suiqian.divisions.models import Division

from .models import RoleGrant, User
from .scope import Scope


class ProvinceAdminSite(admin.AdminSite):
    site_header = site_title = "随迁子女就学工作平台 · 管理"
    index_title = "管理"

    def has_permission(self, request):
        user = request.user
        return user.is_active and (user.is_superuser or Scope.of(user).may_administer_platform())


site = ProvinceAdminSite(name="admin")


class ScopedAdmin(admin.ModelAdmin):
    """Full rights on the rows of the admin's own subtree, none elsewhere."""

    scope_path_field = "unit__path"

    def _allowed(self, request) -> bool:
        return site.has_permission(request)

    def has_module_permission(self, request):
        return self._allowed(request)

    has_view_permission = has_add_permission = has_change_permission = has_delete_permission = (
        lambda self, request, obj=None: self._allowed(request)
    )

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        scope = Scope.of(request.user)
        return qs if scope.is_system else qs.filter(**{f"{self.scope_path_field}__startswith": scope.root_path})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "unit":
            kwargs["queryset"] = Scope.of(request.user).units().current()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 1

    def has_view_permission(self, request, obj=None):
        return site.has_permission(request)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


@admin.register(User, site=site)
class UserAdmin(ScopedAdmin, BaseUserAdmin):
    list_display = ("username", "last_name", "first_name", "unit", "is_active", "last_login")
    list_filter = ("is_active", "unit__level")
    search_fields = ("username", "first_name", "last_name", "unit__name", "unit__code")
    inlines = [RoleGrantInline]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("个人信息", {"fields": ("last_name", "first_name", "email", "phone")}),
        ("单位", {"fields": ("unit", "is_active")}),
        ("时间", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "unit", "password1", "password2")}),)
    readonly_fields = ("last_login", "date_joined")


# Divisions sit below accounts and know nothing of the admin site: their page is registered here.
@admin.register(Division, site=site)
class DivisionAdmin(ScopedAdmin):
    list_display = ("code", "name", "kind", "parent", "valid_from", "valid_to")
    list_filter = ("level", "kind")
    search_fields = ("code", "name")
    scope_path_field = "path"
    readonly_fields = ("path",)
