"""Read replicas against a real PostgreSQL streaming standby.

.ci/run starts one with .ci/pg-replica.sh (127.0.0.1:5433, `pg_basebackup -R` from 5432) and runs this file with
DATABASE_REPLICA_URLS naming first a port where nothing listens, then the standby. Which server answered is
read from the queries each connection ran, and the standby is asked who it is (pg_is_in_recovery, its port).
Replay on the standby is paused where a test needs the two servers to disagree.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager

import pytest
from django.db import DatabaseError, connections
from django.test.utils import CaptureQueriesContext

from suiqian.api.services import create_token
from suiqian.conftest import make_user
from suiqian.lib import dbrouter

ALIASES = dbrouter.replica_aliases()
pytestmark = [
    pytest.mark.skipif(not ALIASES, reason=os.environ.get("SUIQIAN_REPLICA_SKIP") or (
        "未设置 DATABASE_REPLICA_URLS：只读副本测试由 .ci/run 在 .ci/pg-replica.sh 建好副本后运行")),
    pytest.mark.django_db(transaction=True, databases="__all__"),
]
REPORT = "/api/v1/forms/summary-2021/reports/140525"


def standby_identity(alias):
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery(), inet_server_port()")
            return cursor.fetchone()
    except DatabaseError:
        connections[alias].close()
        return None


@pytest.fixture
def servers(settings):
    settings.DATABASE_REPLICA_CHECK_INTERVAL = 0
    settings.DATABASE_REPLICA_MAX_LAG = 60
    live = [a for a in ALIASES if standby_identity(a) is not None]
    dead = [a for a in ALIASES if a not in live]
    assert live and dead, "DATABASE_REPLICA_URLS must name a standby and a port where nothing listens"
    in_recovery, port = standby_identity(live[0])
    assert in_recovery and port != int(connections["default"].settings_dict["PORT"] or 5432)
    return live[0], dead[0]


def wait_replayed(alias, timeout=20.0):
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        (lsn,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.1)
    raise AssertionError(f"{alias} did not replay {lsn} within {timeout} s")


@contextmanager
def replay_paused(alias):
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")


@contextmanager
def answered(live):
    """Queries run on the primary and on the standby while the block runs."""
    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(connections[live]) as replica:
        yield primary, replica


def data(queries):
    """What a request read or wrote, without the router's own health check."""
    return [q for q in queries.captured_queries if "pg_is_in_recovery" not in q["sql"]]


def touched(queries, table):
    return any(table in q["sql"] for q in data(queries))


@pytest.fixture
def world(seeded, servers):
    live, _ = servers
    users = {code: make_user(code) for code in ("140000", "140500", "140525")}
    keys = {code: create_token(user, "replica")[1] for code, user in users.items()}
    wait_replayed(live)
    return users, keys


def api(client, method, key, url=REPORT, body=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    if method == "get":
        return client.get(url, **headers)
    return client.put(url + "/values", data=json.dumps(body), content_type="application/json", **headers)


def test_each_kind_of_request_is_answered_by_its_server(client, world, servers):
    live, _ = servers
    users, keys = world
    client.force_login(users["140000"])
    with answered(live) as (primary, replica):
        assert client.get("/dashboard/?unit=140000&year=2021").status_code == 200
    assert touched(replica, "divisions_division") and not touched(primary, "divisions_division")
    assert touched(primary, "django_session")  # who the user is: always the primary
    with answered(live) as (primary, replica):
        response = client.get("/dashboard/ranking.xlsx?unit=140000&year=2020")
    assert response.status_code == 200 and touched(replica, "reporting_") and not touched(primary, "reporting_")
    with answered(live) as (primary, replica):
        assert api(client, "get", keys["140000"]).status_code == 200
    assert touched(replica, "reporting_") and not touched(primary, "reporting_")
    assert touched(primary, "api_") and not touched(replica, "api_")  # tokens are checked on the primary
    # A page that leads to a write (the form itself) reads the primary.
    client.force_login(users["140525"])
    with answered(live) as (primary, replica):
        assert client.get("/forms/summary-2021/140525/").status_code == 200
    assert not data(replica)
    assert touched(primary, "divisions_division")


def test_a_write_is_visible_to_its_writer_at_once_while_others_read_the_replica(client, world, servers):
    live, _ = servers
    users, keys = world
    assert api(client, "put", keys["140525"], body={"values": {"gaokao_applicants": 3}}).status_code == 200
    wait_replayed(live)
    other = type(client)()
    with replay_paused(live):
        with answered(live) as (primary, replica):
            saved = api(client, "put", keys["140525"], body={"values": {"gaokao_applicants": 7}})
        assert saved.status_code == 200 and not data(replica)  # writes: the primary only
        with answered(live) as (primary, replica):
            mine = api(client, "get", keys["140525"]).json()
        assert mine["values"]["gaokao_applicants"] == 7 and not touched(replica, "reporting_")
        # The city's reviewer, who wrote nothing, reads the standby — which has not replayed the 7 yet.
        with answered(live) as (primary, replica):
            theirs = api(other, "get", keys["140500"]).json()
        assert theirs["values"]["gaokao_applicants"] == 3 and touched(replica, "reporting_")
        # A browser save pins the same way: the dashboard right after comes from the primary.
        other.force_login(users["140500"])
        other.post("/forms/summary-2021/140500/save", {"gaokao_applicants": "1"})
        with answered(live) as (primary, replica):
            assert other.get("/dashboard/?unit=140500&year=2021").status_code == 200
        assert not data(replica) and touched(primary, "divisions_division")
    wait_replayed(live)
    assert api(type(client)(), "get", keys["140500"]).json()["values"]["gaokao_applicants"] == 7


def test_a_lagging_replica_is_skipped(client, world, servers, settings):
    live, _ = servers
    users, _ = world
    client.force_login(users["140000"])
    settings.DATABASE_REPLICA_MAX_LAG = 1
    with replay_paused(live):
        make_user("140100")  # a commit the standby will not replay while paused
        time.sleep(1.5)
        assert dbrouter.replica_lag(live) > 1
        with answered(live) as (primary, replica):
            assert client.get("/dashboard/?unit=140000&year=2021").status_code == 200
        assert not data(replica) and touched(primary, "divisions_division")
    wait_replayed(live)
    assert dbrouter.replica_lag(live) <= 1
    with answered(live) as (primary, replica):
        assert client.get("/dashboard/?unit=140000&year=2021").status_code == 200
    assert touched(replica, "divisions_division")


def test_a_replica_that_is_down_is_skipped(servers):
    live, dead = servers
    assert dbrouter.replica_lag(dead) is None and not dbrouter.usable(dead)
    assert {dbrouter.pick_replica() for _ in range(20)} == {live}
