from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import services
from .models import ApiToken


@login_required
def tokens(request):
    return render(request, "api/tokens.html", {"tokens": ApiToken.objects.filter(user=request.user)})


@login_required
@require_POST
def token_create(request):
    token, key = services.create_token(request.user, request.POST.get("name", ""))
    return render(request, "api/tokens.html", {"tokens": ApiToken.objects.filter(user=request.user),
                                               "new_key": key, "new_token": token})


@login_required
@require_POST
def token_revoke(request, token_id):
    if services.revoke_token(request.user, token_id):
        messages.success(request, "令牌已作废")
    return redirect("api_tokens")
