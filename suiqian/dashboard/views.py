from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    # The attention list fills as the notice and reporting modules add what awaits the user.
    return render(request, "dashboard/home.html", {"unit": request.user.unit, "attention": []})
