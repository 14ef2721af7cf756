"""Response headers that keep what a signed-in user saw out of shared and browser caches."""

from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    """Every page, file and API answer given to a signed-in user is scoped to them and may carry children's
    data (names, masked IDs, rosters): no cache — the browser's back button on a shared office PC
    included — may keep it. Anonymous pages (login, health check, static files) cache as usual."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith("/api/"):
            add_never_cache_headers(response)
        return response
