"""The demo logins: one user per demo unit (province, city, county), named by its code, holding all four roles."""

from suiqian.accounts.models import Role, User
from suiqian.accounts.services import create_or_update_user
from suiqian.divisions.models import Division

DEMO_UNITS = ["140000", "140500", "140525"]


def create_demo_users(password: str) -> list[User]:
    """One user per demo unit, named by its code, holding all four roles."""
    users = []
    for code in DEMO_UNITS:
        unit = Division.objects.get(code=code, valid_to__isnull=True)
        users.append(create_or_update_user(code, unit, Role.values, password, validate=False,
                                           last_name=unit.bureau_name))
    return users
