"""One refusal type for every permission check, answered with 403 — never Python's PermissionError (a 500)."""

import ast
from pathlib import Path

import suiqian
from suiqian.accounts.models import Role
from suiqian.accounts.scope import Refused
from suiqian.conftest import make_user
from suiqian.notices import services as notices
from suiqian.policies import services as policies
from suiqian.reporting import services as reporting
from suiqian.rosters import errors as rosters
from suiqian.supervision import services as supervision

SOURCE = Path(suiqian.__file__).parent


def test_every_apps_refusal_is_the_scope_refusal():
    for module in (notices, policies, reporting, rosters, supervision):
        assert issubclass(module.NotAllowed, Refused), module.__name__


def test_no_code_raises_python_permission_error_or_decides_permissions_outside_the_scope():
    offenders = []
    for path in SOURCE.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and node.exc is not None:
                call = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if isinstance(call, ast.Name) and call.id in ("PermissionError", "PermissionDenied"):
                    offenders.append(f"{path.relative_to(SOURCE)}:{node.lineno} raises {call.id}")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "has_role"
                    and path.name != "scope.py"):
                offenders.append(f"{path.relative_to(SOURCE)}:{node.lineno} checks a role itself")
            if (isinstance(node, ast.FunctionDef) and node.name.startswith("may_") and path.name != "scope.py"
                    and any(a.arg == "scope" for a in node.args.args)):
                body = node.body[1:] if isinstance(node.body[0], ast.Expr) else node.body
                delegates = (len(body) == 1 and isinstance(body[0], ast.Return)
                             and "scope.may_" in ast.unparse(body[0]))
                if not delegates:
                    offenders.append(f"{path.relative_to(SOURCE)}:{node.lineno} decides {node.name} itself")
    assert not offenders, offenders


def test_a_refusal_is_a_403_on_a_page(client, shanxi):
    client.force_login(make_user("140525", roles=[Role.VIEWER]))
    assert client.get("/audit/").status_code == 403
    assert client.get("/notices/new").status_code == 403
