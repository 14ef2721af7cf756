"""Shared pieces of the management commands."""

import sys

from django.core.management.base import CommandError

from .models import User
from .scope import Scope


def add_scope_argument(parser) -> None:
    parser.add_argument("--as", dest="as_user", metavar="USERNAME",
                        help="以该用户的权限范围执行（默认：运维人员，全平台）")


def user_from_options(options):
    """The user a command acts as (`--as`), or None for the operator."""
    username = options.get("as_user")
    if not username:
        return None
    try:
        return User.objects.get(username=username, is_active=True)
    except User.DoesNotExist as e:
        raise CommandError(f"用户 {username} 不存在或已停用") from e


def scope_from_options(options) -> Scope:
    """Commands act for the operator unless told to act as a user — then that user's scope applies."""
    user = user_from_options(options)
    return Scope.system() if user is None else Scope.of(user)


def write_table(command, table, options) -> None:
    """Print a table as CSV, or write it to -o as CSV (UTF-8 with BOM, for Excel) or xlsx."""
    output, fmt = options.get("output"), options.get("format", "csv")
    if fmt == "xlsx":
        if not output:
            raise CommandError("xlsx 格式需要用 -o 指定输出文件")
        with open(output, "wb") as f:
            f.write(table.to_xlsx())
        command.stdout.write(f"已写入 {output}")
    elif output:
        with open(output, "w", encoding="utf-8-sig", newline="") as f:
            f.write(table.to_csv())
    else:
        sys.stdout.write(table.to_csv())
