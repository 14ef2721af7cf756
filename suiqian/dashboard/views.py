from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse

from suiqian.accounts.scope import Scope
from suiqian.reporting.queries import attention


@login_required
def home(request):
    items = [{"text": item["text"], "url": reverse("form_page", args=[item["form"].code, item["unit"].code])}
             for item in attention(Scope.of(request.user))]
    return render(request, "dashboard/home.html", {"unit": request.user.unit, "attention": items})
