"""Shared pieces of the management commands."""

from django.core.management.base import CommandError

from suiqian.accounts.scope import Scope


def add_scope_argument(parser) -> None:
    parser.add_argument("--as", dest="as_user", metavar="USERNAME",
                        help="以该用户的权限范围执行（默认：运维人员，全平台）")


def user_from_options(options):
    """The user a command acts as (`--as`), or None for the operator."""
    username = options.get("as_user")
    if not username:
        return None
    from suiqian.accounts.models import User

    try:
        return User.objects.get(username=username, is_active=True)
    except User.DoesNotExist as e:
        raise CommandError(f"用户 {username} 不存在或已停用") from e


def scope_from_options(options) -> Scope:
    """Commands act for the operator unless told to act as a user — then that user's scope applies."""
    user = user_from_options(options)
    return Scope.system() if user is None else Scope.of(user)
