"""The code's shape, checked: the apps' layers (pyproject's [tool.importlinter]), no function-level import
across apps, and no module too long to hold one job."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
REPO = PACKAGE.parent
APPS = sorted(p.name for p in PACKAGE.iterdir() if (p / "apps.py").exists() or p.name == "lib")
MAX_MODULE_LINES = 400


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    executable = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(executable), "--no-cache"], cwd=root, capture_output=True, text=True,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, timeout=300)


def _application_modules():
    """Every module of the apps outside tests and migrations (those set up whatever they exercise)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if len(parts) > 1 and "tests" not in parts and "migrations" not in parts:
            yield path, parts[0]


def test_the_apps_keep_their_layers():
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_an_import_from_a_lower_layer_to_a_higher_one_breaks_the_contract(tmp_path):
    shutil.copytree(PACKAGE, tmp_path / "suiqian", ignore=shutil.ignore_patterns("__pycache__", "static", "*.json",
                                                                                   "*.geojson", "corpus"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "suiqian" / "divisions" / "reaching_up.py").write_text("from suiqian.supervision import queries\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "suiqian.divisions.reaching_up -> suiqian.supervision.queries" in result.stdout


def _function_level_imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and inner.level == 0 and inner.module:
                    yield inner.lineno, inner.module
                elif isinstance(inner, ast.Import):
                    for alias in inner.names:
                        yield inner.lineno, alias.name


def test_no_function_level_import_across_apps():
    """A function-level import hides a dependency from the layer check; a cycle it dodges is a design fault."""
    found = []
    for path, app in _application_modules():
        for line, module in _function_level_imports(path):
            parts = module.split(".")
            if parts[0] == "suiqian" and len(parts) > 1 and parts[1] in APPS and parts[1] != app:
                found.append(f"{path.relative_to(REPO)}:{line} imports {module}")
    assert not found, "\n".join(found)


def test_the_function_level_import_check_sees_one(tmp_path):
    path = tmp_path / "module.py"
    path.write_text("def f():\n    from suiqian.notices.queries import inbox\n    return inbox\n")
    assert list(_function_level_imports(path)) == [(2, "suiqian.notices.queries")]


def test_no_module_is_over_400_lines():
    long = [f"{path.relative_to(REPO)}: {n} lines" for path, _ in _application_modules()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES]
    assert not long, "split by job:\n" + "\n".join(long)
