#!/usr/bin/env bash
# CI, PostgreSQL part (called by .ci/run): the whole suite on the local PostgreSQL 15, then the read-replica
# tests against a streaming standby that .ci/pg-replica.sh sets up on 127.0.0.1:5433.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
db="suiqian_ci"
url="postgres://postgres@127.0.0.1:5432/${db}"
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS test_${db}" postgres
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS ${db}" postgres
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE ${db}" postgres
DATABASE_URL="$url" .venv/bin/pytest

echo "== PostgreSQL read replica =="
status=0
reason="$(bash .ci/pg-replica.sh)" || status=$?
echo "$reason"
if [ "$status" = 0 ]; then
  # First a port where nothing listens: the router must skip a replica that is down.
  DATABASE_URL="$url" \
  DATABASE_REPLICA_URLS="postgres://postgres@127.0.0.1:5434/${db},postgres://postgres@127.0.0.1:5433/${db}" \
    .venv/bin/pytest -rs suiqian/tests/test_read_replicas.py
elif [ "$status" = 3 ]; then
  SUIQIAN_REPLICA_SKIP="$reason" DATABASE_URL="$url" .venv/bin/pytest -rs suiqian/tests/test_read_replicas.py
else
  exit "$status"
fi
