from .scope import Scope


def scope(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    user_scope = Scope.of(user)
    return {"scope": user_scope, "can_admin": user.is_superuser or user_scope.may_administer_platform()}
