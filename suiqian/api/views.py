from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import services
from .models import Access, ApiToken, Group


def _page(request, status=200, **extra):
    return render(request, "api/tokens.html", {
        "tokens": ApiToken.objects.filter(user=request.user), "accesses": Access.choices, "groups": Group.choices,
        "day_choices": services.DAY_CHOICES, "default_days": services.DEFAULT_DAYS, **extra}, status=status)


@login_required
def tokens(request):
    return _page(request)


@login_required
@require_POST
def token_create(request):
    try:
        days = int(request.POST.get("days") or services.DEFAULT_DAYS)
        token, key = services.create_token(request.user, request.POST.get("name", ""),
                                           access=request.POST.get("access", Access.READ),
                                           groups=request.POST.getlist("groups"), days=days)
    except ValueError:
        return _page(request, status=400, error="有效期应为天数")
    except services.TokenError as e:
        return _page(request, status=400, error=str(e))
    return _page(request, new_key=key, new_token=token)


@login_required
@require_POST
def token_revoke(request, token_id):
    if services.revoke_token(request.user, token_id):
        messages.success(request, "令牌已作废")
    return redirect("api_tokens")
