from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division

from .queries import city_consistency


@login_required
def consistency(request, code):
    scope = Scope.of(request.user)
    city = scope.get_unit(code)
    if city.level != Division.Level.CITY:
        raise Http404("请选择一个地级市")
    return render(request, "policies/consistency.html", {"result": city_consistency(scope, city)})
