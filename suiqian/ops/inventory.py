"""What a database holds: its migration state, the rows per model, the tables with data.

Read through Django's app registry and the connection's introspection, never through a domain
app's models, so ops knows no app by name.
"""

from __future__ import annotations

from collections import defaultdict

from django.apps import apps
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

# Tables a freshly migrated database fills by itself: rows there are no data worth protecting.
SCAFFOLD_TABLES = frozenset({"django_migrations", "django_content_type", "auth_permission"})


def migration_state(alias: str) -> dict[str, list[str]]:
    """Per app, the latest applied migrations (usually one; more after an unmerged branch)."""
    applied = set(MigrationRecorder(connections[alias]).applied_migrations())
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    latest = defaultdict(list)
    for app, name in applied:
        node = graph.node_map.get((app, name))
        # A migration the code does not know stays listed: it shows the database is ahead.
        if node is not None and any(c.key[0] == app and c.key in applied for c in node.children):
            continue
        latest[app].append(name)
    return {app: sorted(names) for app, names in sorted(latest.items())}


def code_migration_state() -> dict[str, list[str]]:
    """Per installed app, the latest migrations on disk: what `migrate` brings a database to."""
    latest = defaultdict(list)
    for app, name in MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes():
        latest[app].append(name)
    return {app: sorted(names) for app, names in sorted(latest.items())}


def known_migrations() -> set[tuple[str, str]]:
    """Every migration this code knows, those a squashed migration replaces included."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.graph.nodes)
    for migration in loader.disk_migrations.values():
        known.update(tuple(r) for r in migration.replaces or ())
    return known


def installed_apps() -> set[str]:
    return {c.label for c in apps.get_app_configs()}


def model_tables() -> list[tuple[str, str]]:
    """(label, table) of every concrete table a model owns, many-to-many tables included."""
    out = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        out.append((meta.label_lower, meta.db_table))
    return sorted(out)


def row_counts(alias: str) -> dict[str, int]:
    """Rows per model, for the tables that exist in the database."""
    connection = connections[alias]
    tables = set(connection.introspection.table_names())
    qn = connection.ops.quote_name
    counts = {}
    with connection.cursor() as cursor:
        for label, table in model_tables():
            if table in tables:
                cursor.execute(f"SELECT COUNT(*) FROM {qn(table)}")
                counts[label] = cursor.fetchone()[0]
    return counts


def tables_with_rows(alias: str) -> list[str]:
    """Tables holding data, whether or not a model of this code owns them."""
    connection = connections[alias]
    qn = connection.ops.quote_name
    out = []
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            if table in SCAFFOLD_TABLES:
                continue
            cursor.execute(f"SELECT 1 FROM {qn(table)} LIMIT 1")
            if cursor.fetchone() is not None:
                out.append(table)
    return out
