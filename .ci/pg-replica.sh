#!/usr/bin/env bash
# A streaming read replica of the PostgreSQL at 127.0.0.1:5432, on 127.0.0.1:5433, for the replica tests.
#
#   bash .ci/pg-replica.sh        # make sure it runs (idempotent); exit 3 and say why when it cannot
#   bash .ci/pg-replica.sh down   # stop it
#
# Made with `pg_basebackup -R` from the primary, in a data directory of its own (not a Debian cluster:
# nothing under /etc/postgresql changes). On the primary it only ensures what streaming needs —
# wal_level >= replica, max_wal_senders > 0 (ALTER SYSTEM; one quick restart, only if they were off) and a
# pg_hba.conf line letting `postgres` replicate from 127.0.0.1 without a password (a reload) — so test
# runs of others against the primary go on.
set -euo pipefail

PRIMARY_PORT=5432
PORT="${SUIQIAN_REPLICA_PORT:-5433}"
HBA_LINE="host replication postgres 127.0.0.1/32 trust  # suiqian read-replica tests"

skip() { echo "跳过只读副本测试：$*"; exit 3; }
primary() { psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -AtqX -d postgres -c "$1"; }
replica() { psql -h 127.0.0.1 -p "$PORT" -U postgres -AtqX -d postgres -c "$1" 2>/dev/null; }

version="$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1 || true)"
BIN="${SUIQIAN_PG_BIN:-/usr/lib/postgresql/${version}/bin}"
for tool in pg_basebackup pg_ctl postgres; do
  [ -n "$version" ] && [ -x "$BIN/$tool" ] || skip "没有 PostgreSQL 服务器程序（${BIN}/${tool}），请安装 postgresql-15"
done
command -v runuser >/dev/null || skip "没有 runuser，无法以 postgres 用户启动副本"
id postgres >/dev/null 2>&1 || skip "没有 postgres 系统用户"
DIR="${SUIQIAN_REPLICA_DIR:-/var/lib/postgresql/${version}/suiqian-replica}"
as_postgres() { runuser -u postgres -- "$@"; }

stop_replica() {
  if [ -f "$DIR/postmaster.pid" ]; then
    as_postgres "$BIN/pg_ctl" -D "$DIR" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

if [ "${1:-up}" = "down" ]; then
  stop_replica
  exit 0
fi

pg_isready -h 127.0.0.1 -p "$PRIMARY_PORT" -q || skip "主库 127.0.0.1:${PRIMARY_PORT} 未运行"

# --- the primary: what streaming replication needs ----------------------------------------------
restart=""
if [ "$(primary 'SHOW wal_level')" = "minimal" ]; then
  primary "ALTER SYSTEM SET wal_level = 'replica'"; restart=1
fi
if [ "$(primary 'SHOW max_wal_senders')" = "0" ]; then
  primary "ALTER SYSTEM SET max_wal_senders = 10"; restart=1
fi
hba="$(primary 'SHOW hba_file')"
if ! grep -qF "$HBA_LINE" "$hba"; then
  # First, so that a stricter Debian default line for replication further down does not win.
  # Rewritten in place (not replaced) so the file keeps its owner and mode.
  tmp="$(mktemp)"
  { echo "$HBA_LINE"; cat "$hba"; } >"$tmp"
  cat "$tmp" >"$hba"
  rm -f "$tmp"
  primary "SELECT pg_reload_conf()" >/dev/null
fi
if [ -n "$restart" ]; then
  echo "主库需要重启一次以启用 WAL 复制"
  cluster="$(primary 'SHOW cluster_name' | cut -d/ -f2)"
  pg_ctlcluster --skip-systemctl-redirect "$version" "${cluster:-main}" restart -m fast
  for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p "$PRIMARY_PORT" -q && break; sleep 1; done
fi

# --- the replica ---------------------------------------------------------------------------------
streaming() {
  [ "$(replica 'SELECT pg_is_in_recovery()')" = "t" ] &&
    [ "$(replica "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'")" = "1" ]
}
if streaming; then
  echo "只读副本 127.0.0.1:${PORT} 已在流复制"
  exit 0
fi
stop_replica
rm -rf "$DIR"
install -d -o postgres -g postgres -m 700 "$DIR"
as_postgres "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$DIR" -R -X stream -c fast
# A hot standby must allow at least as many of these as its primary.
{
  echo "hot_standby = on"
  for name in max_connections max_worker_processes max_wal_senders max_prepared_transactions \
              max_locks_per_transaction; do
    echo "$name = $(primary "SHOW $name")"
  done
  echo "shared_buffers = 32MB"
  echo "unix_socket_directories = '$DIR'"
  echo "logging_collector = off"
} >"$DIR/postgresql.conf"
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$DIR/pg_hba.conf"
: >"$DIR/pg_ident.conf"
chown postgres:postgres "$DIR/postgresql.conf" "$DIR/pg_hba.conf" "$DIR/pg_ident.conf"
# Port and address on the command line: they win over anything postgresql.auto.conf brought along.
as_postgres "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 60 \
  -o "-p $PORT -c listen_addresses=127.0.0.1" start >/dev/null
for _ in $(seq 30); do streaming && break; sleep 1; done
streaming || { tail -20 "$DIR/server.log" >&2; echo "只读副本未能进入流复制" >&2; exit 1; }
echo "只读副本 127.0.0.1:${PORT} 已建立（${DIR}）"
