from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import redirect, render

from suiqian.accounts.scope import Scope
from suiqian.edustats.queries import attention as statistics_attention
from suiqian.notices.queries import attention as notice_attention
from suiqian.reporting.queries import attention as form_attention
from suiqian.supervision.models import KeySupervisionListing
from suiqian.supervision.queries import key_listings_of


@login_required
def home(request):
    scope = Scope.of(request.user)
    items = form_attention(scope) + notice_attention(scope) + statistics_attention(scope)
    return render(request, "portal/home.html", {"unit": request.user.unit, "attention": items})


@login_required
def own_unit(request):
    if request.user.unit is None:
        return redirect("home")
    return redirect("unit", request.user.unit.code)


@login_required
def unit(request, code):
    scope = Scope.of(request.user)
    unit = scope.get_unit(code)
    children = (scope.units().current().filter(parent=unit)
                .annotate(child_count=Count("children", filter=Q(children__valid_to__isnull=True)),
                          key_listed=Exists(KeySupervisionListing.objects.filter(unit=OuterRef("pk")))))
    retired = scope.units().filter(parent=unit, valid_to__isnull=False).select_related("successor")
    return render(request, "portal/unit.html", {
        "unit": unit,
        "breadcrumbs": scope.breadcrumbs(unit),
        "children": children,
        "retired": retired,
        "key_listings": key_listings_of(scope, unit),
    })
