"""Writes to accounts."""

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from suiqian.divisions.models import Division

from . import audit
from .models import Role, RoleGrant, User



@transaction.atomic
def create_or_update_user(username: str, unit: Division, roles, password: str, *,
                          validate: bool = True, **fields) -> User:
    """Create the user or bring an existing one to the given unit, roles and password."""
    if validate:
        validate_password(password)
    user, _ = User.objects.get_or_create(username=username, defaults={"unit": unit, **fields})
    user.unit = unit
    for key, value in fields.items():
        setattr(user, key, value)
    user.set_password(password)
    user.save()
    set_roles(user, roles)
    return user


def set_roles(user: User, roles) -> None:
    roles = set(roles)
    unknown = roles - set(Role.values)
    if unknown:
        raise ValueError(f"未知角色：{', '.join(sorted(unknown))}")
    user.role_grants.exclude(role__in=roles).delete()
    existing = set(user.role_grants.values_list("role", flat=True))
    added = roles - existing
    RoleGrant.objects.bulk_create([RoleGrant(user=user, role=r) for r in added])
    for role in sorted(added):
        audit.role_granted(user, role)
    user.__dict__.pop("_roles", None)
