from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from suiqian.accounts.scope import Scope

from .queries import feedback_in_scope
from .rules import load_rules

FEEDBACK_PAGE_SIZE = 500


@login_required
def feedback_list(request):
    scope = Scope.of(request.user)
    titles = {rule.code: rule.title for rule in load_rules().rules}
    items = [(f, titles.get(f.code, "")) for f in feedback_in_scope(scope)[:FEEDBACK_PAGE_SIZE]]
    return render(request, "policies/feedback_list.html", {"items": items, "limit": FEEDBACK_PAGE_SIZE})
