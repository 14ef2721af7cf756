"""Read replicas: which database answers a query.

Every write goes to the primary ("default"). Reads go to a replica (aliases replica_1, replica_2, …, from
DATABASE_REPLICA_URLS) only while a request is serving one of REPLICA_VIEWS with GET or HEAD — dashboards,
rankings, exports and API reads, the pages that are read by many on the evenings the counties submit —
and only when:

- the user did not write in the last DATABASE_REPLICA_PIN seconds (a signed cookie set on every POST, PUT,
  PATCH and DELETE), so whoever saved or submitted sees it at once on the next page;
- a replica answers and is at most DATABASE_REPLICA_MAX_LAG seconds behind (pg_last_xact_replay_timestamp);
  a down or lagging replica is skipped, and with none left the primary answers.

Authentication and authorization data (sessions, users, roles, login lock-outs, API tokens) and the task queue
are always read from the primary: a revoked token or a removed role counts at once, not after the replica
catches up.
"""

from __future__ import annotations

import logging
import random
import time
from contextvars import ContextVar
from fnmatch import fnmatchcase

from django.conf import settings
from django.core import signing
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

log = logging.getLogger(__name__)

REPLICA_VIEWS = (
    "dashboard", "dashboard_data", "ranking_xlsx", "ranking_detail", "enrollment_table",
    "form_export", "notice_status_export", "roster_summary", "api:*",
)
# The task queue too: a page that just queued a task polls it, and workers claim from the primary only.
PRIMARY_ONLY_APPS = frozenset({"sessions", "auth", "contenttypes", "axes", "accounts", "api", "django_tasks_database"})
PIN_COOKIE = "sq_wrote"
PIN_SALT = "suiqian.lib.dbrouter.pin"
READ_METHODS = ("GET", "HEAD")

# Seconds behind the primary; 0 when everything received is replayed (an idle primary sends nothing new,
# so the last replayed transaction may be old without the replica being behind).
LAG_SQL = """
SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0
            WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()) END
"""

_route: ContextVar[str | None] = ContextVar("suiqian_db_route", default=None)
_checked: dict[str, tuple[float, bool]] = {}  # alias → (when, usable), per process


def is_replica(alias: str | None) -> bool:
    return bool(alias) and alias.startswith("replica_")


class ReplicaRouter:
    """Says nothing (None) outside a replica-reading request, so explicit aliases — `suiqian restore` into
    another database — keep working as without a router."""

    def db_for_read(self, model, **hints):
        alias = _route.get()
        if alias is None:
            return None
        return DEFAULT_DB_ALIAS if model._meta.app_label in PRIMARY_ONLY_APPS else alias

    def db_for_write(self, model, **hints):
        instance = hints.get("instance")
        if _route.get() is not None or (instance is not None and is_replica(instance._state.db)):
            return DEFAULT_DB_ALIAS  # a row read from a replica is saved to the primary
        return None

    def allow_relation(self, obj1, obj2, **hints):
        same = {DEFAULT_DB_ALIAS, *replica_aliases()}
        return True if {obj1._state.db, obj2._state.db} <= same else None  # the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if is_replica(db) else None  # replicas receive the schema by replication


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica_")]


def replica_lag(alias: str) -> float | None:
    """Seconds `alias` is behind the primary, or None when it does not answer or cannot tell."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(LAG_SQL)
            (lag,) = cursor.fetchone()
    except DatabaseError as e:
        log.warning("read replica %s unavailable: %s", alias, e)
        _discard(alias)
        return None
    return None if lag is None else float(lag)


def _discard(alias: str) -> None:
    try:
        connections[alias].close()
    except DatabaseError:
        pass


def usable(alias: str) -> bool:
    """Up and not lagging, as last checked within DATABASE_REPLICA_CHECK_INTERVAL seconds."""
    now = time.monotonic()
    checked = _checked.get(alias)
    if checked and now - checked[0] < settings.DATABASE_REPLICA_CHECK_INTERVAL:
        return checked[1]
    lag = replica_lag(alias)
    ok = lag is not None and lag <= settings.DATABASE_REPLICA_MAX_LAG
    if lag is not None and not ok:
        log.warning("read replica %s skipped: %.1f s behind", alias, lag)
    _checked[alias] = (now, ok)
    return ok


def pick_replica() -> str | None:
    """A usable replica, spreading requests over them; None when the primary must answer."""
    candidates = [alias for alias in replica_aliases() if usable(alias)]
    return random.choice(candidates) if candidates else None


def reads_from_replica(view_name: str | None) -> bool:
    patterns = getattr(settings, "DATABASE_REPLICA_VIEWS", REPLICA_VIEWS)
    return bool(view_name) and any(fnmatchcase(view_name, p) for p in patterns)


def recently_wrote(request) -> bool:
    return request.get_signed_cookie(PIN_COOKIE, default=None, salt=PIN_SALT,
                                     max_age=settings.DATABASE_REPLICA_PIN) is not None


class ReplicaMiddleware:
    """Decides per request whether its reads may go to a replica; pins writers to the primary."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_aliases():
            return self.get_response(request)
        token = _route.set(None)
        try:
            response = self.get_response(request)
        finally:
            _route.reset(token)
        if request.method not in READ_METHODS and request.method != "OPTIONS":
            response.set_signed_cookie(PIN_COOKIE, "1", salt=PIN_SALT, max_age=settings.DATABASE_REPLICA_PIN,
                                       httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if (replica_aliases() and request.method in READ_METHODS and not recently_wrote(request)
                and reads_from_replica(request.resolver_match.view_name)):
            _route.set(pick_replica())
        return None
