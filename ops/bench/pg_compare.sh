#!/usr/bin/env bash
# Side-by-side: the same logical acquisition against PostgreSQL 15 (pgbench) and against
# `reserved` (reserve-bench), same concurrency and duration, durable settings on both.
#
#   ops/bench/pg_compare.sh [--seconds 20] [--clients 64] [--build-dir build]
#                           [--pg-source-rows per-metal|per-depot] [--keep] [--pg-only]
#
# Everything it starts (a throwaway PostgreSQL cluster on a free local port, a `reserved` on
# a free port) lives in one temp directory and is stopped and removed on exit, even on
# failure or Ctrl-C (--keep leaves the directory for a post-mortem). See README.md.
set -euo pipefail

SECONDS_RUN=20
CLIENTS=64
BUILD_DIR=build
PG_SOURCE_ROWS=per-metal
KEEP=0
PG_ONLY=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) SECONDS_RUN="$2"; shift 2 ;;
    --clients) CLIENTS="$2"; shift 2 ;;
    --build-dir) BUILD_DIR="$2"; shift 2 ;;
    --pg-source-rows) PG_SOURCE_ROWS="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --pg-only) PG_ONLY=1; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "pg_compare: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$PG_SOURCE_ROWS" in per-metal|per-depot) ;; *)
  echo "pg_compare: --pg-source-rows is per-metal or per-depot" >&2; exit 2 ;; esac

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[[ "$BUILD_DIR" = /* ]] || BUILD_DIR="$ROOT/$BUILD_DIR"
RESERVED="$BUILD_DIR/services/reserved/reserved"
BENCH="$BUILD_DIR/tests/bench/reserve-bench"
for f in $( ((PG_ONLY)) || echo "$RESERVED $BENCH"); do
  [[ -x "$f" ]] || { echo "pg_compare: $f missing; build targets reserved and reserve_bench" >&2; exit 1; }
done

PG_VERSION=15
PGBIN=/usr/lib/postgresql/$PG_VERSION/bin
if [[ ! -x "$PGBIN/pg_ctl" || ! -x "$PGBIN/pgbench" ]]; then
  echo "== installing postgresql-$PG_VERSION (apt-get)"
  apt-get install -y "postgresql-$PG_VERSION" "postgresql-contrib" >/dev/null
fi
# root may not run postgres: the cluster belongs to the 'postgres' system user.
if [[ $(id -u) -eq 0 ]]; then AS_PG=(runuser -u postgres --); else AS_PG=(); fi

WORK=$(mktemp -d /var/tmp/pg-compare.XXXXXX)
chmod 755 "$WORK"
PGDATA="$WORK/pgdata"
RESERVED_PID=""
PG_STARTED=0
cleanup() {
  set +e
  if [[ -n "$RESERVED_PID" ]] && kill -0 "$RESERVED_PID" 2>/dev/null; then
    kill -TERM "$RESERVED_PID"; wait "$RESERVED_PID" 2>/dev/null
  fi
  if [[ $PG_STARTED -eq 1 ]]; then
    "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1
  fi
  if [[ $KEEP -eq 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# Percentile (0..100) of the numbers on stdin, nearest rank.
percentile() {
  sort -n | awk -v p="$1" '{v[NR]=$1} END {if (NR==0) {print "nan"; exit}
    i=int(p/100*NR+0.999999); if (i<1) i=1; if (i>NR) i=NR; print v[i]}'
}

echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== ledger source: storage/rocks_ledger.cc at $(cd "$ROOT" && git log -1 --format='%h %s' -- storage/rocks_ledger.cc | cut -c1-90)"
LEDGER_DIFF=$(cd "$ROOT" && git diff --stat -- storage/rocks_ledger.cc | tail -1)
[[ -z "$LEDGER_DIFF" ]] || echo "   with uncommitted changes:$LEDGER_DIFF"

# ---------------------------------------------------------------- PostgreSQL
PG_PORT=$(free_port)
[[ -n "${AS_PG[*]}" ]] && chown postgres "$WORK"
"${AS_PG[@]}" "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 >"$WORK/initdb.log"
# Durable defaults, stated explicitly so nobody wonders: fsync and synchronous_commit on,
# full_page_writes on. Enough connections for the clients plus pgbench's own.
"${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$WORK/postgres.log" -w start -o \
  "-p $PG_PORT -k $WORK -c listen_addresses='' -c fsync=on -c synchronous_commit=on \
   -c full_page_writes=on -c max_connections=$((CLIENTS + 20))" >/dev/null
PG_STARTED=1
PSQL=("${AS_PG[@]}" "$PGBIN/psql" -h "$WORK" -p "$PG_PORT" -U postgres -X -q -v ON_ERROR_STOP=1)
"${PSQL[@]}" -c "CREATE DATABASE bench"
# The acquisition in SQL: one lot row; the depot's stock balance (its capacity is a CHECK,
# like the ledger's guarded free-capacity account); the counterpart (source) balance.
# Source balances: per-metal (one row per metal, the ledger's external/acquired/<metal>,
# a hot row) or per-depot (one per metal and depot: PostgreSQL's best case, no hot row).
"${PSQL[@]}" -d bench <<SQL
CREATE TABLE depot_stock (
  depot_id int, metal text, stock_g bigint NOT NULL, capacity_g bigint NOT NULL,
  PRIMARY KEY (depot_id, metal), CHECK (stock_g <= capacity_g));
CREATE TABLE source_balance (
  account text PRIMARY KEY, metal text NOT NULL, balance_g bigint NOT NULL);
CREATE TABLE lots (
  lot_id bigserial PRIMARY KEY, metal text NOT NULL, grade text NOT NULL,
  depot_id int NOT NULL, net_mass_g bigint NOT NULL, gross_mass_g bigint NOT NULL,
  pieces int NOT NULL, cost_minor bigint NOT NULL, currency text NOT NULL,
  reserve_class smallint NOT NULL, owner text NOT NULL, year_produced int NOT NULL,
  year_stored int NOT NULL, acquired_at timestamptz NOT NULL DEFAULT now());
INSERT INTO depot_stock
  SELECT d, m, 0, 1000000000000000 FROM generate_series(1, 16) d, unnest(ARRAY['CU','AL','ZN']) m;
INSERT INTO source_balance
  SELECT 'external/acquired/' || m, m, 0 FROM unnest(ARRAY['CU','AL','ZN']) m;
INSERT INTO source_balance
  SELECT 'external/acquired/' || m || '/' || d, m, 0
  FROM generate_series(1, 16) d, unnest(ARRAY['CU','AL','ZN']) m;
SQL
if [[ "$PG_SOURCE_ROWS" == per-metal ]]; then SRC="'external/acquired/' || :metal"
else SRC="'external/acquired/' || :metal || '/' || :depot"; fi
cat >"$WORK/acquire.sql" <<SQL
\set depot random(1, 16)
\set m random(1, 3)
\set t random(1, 10)
\set mass :t * 25000000
BEGIN;
INSERT INTO lots (metal, grade, depot_id, net_mass_g, gross_mass_g, pieces, cost_minor, currency, reserve_class, owner, year_produced, year_stored) VALUES ((ARRAY['CU','AL','ZN'])[:m], 'bench', :depot, :mass, :mass + 1000, 10, :t * 150000000, 'CNY', 1, 'owner-' || :client_id % 8, 2020, 2021);
UPDATE depot_stock SET stock_g = stock_g + :mass WHERE depot_id = :depot AND metal = (ARRAY['CU','AL','ZN'])[:m];
UPDATE source_balance SET balance_g = balance_g - :mass WHERE account = 'external/acquired/' || (ARRAY['CU','AL','ZN'])[:m]$( [[ "$PG_SOURCE_ROWS" == per-depot ]] && echo " || '/' || :depot");
END;
SQL
chown -R postgres "$WORK" 2>/dev/null || true
echo "== PostgreSQL $PG_VERSION: pgbench -c $CLIENTS -j 2 -T $SECONDS_RUN -M prepared (source rows: $PG_SOURCE_ROWS)"
(cd "$WORK" && "${AS_PG[@]}" "$PGBIN/pgbench" -h "$WORK" -p "$PG_PORT" -U postgres -n \
  -c "$CLIENTS" -j 2 -T "$SECONDS_RUN" -M prepared -r -P 5 -l --log-prefix="$WORK/pglog" \
  -f "$WORK/acquire.sql" bench) | tee "$WORK/pgbench.out"
# Per-transaction log: client_id tx_no latency_us script_no epoch_s epoch_us.
cat "$WORK"/pglog.* | awk '{print $3/1000}' >"$WORK/pg_latency_ms"
PG_TPS=$(awk '/^tps = / {printf "%.1f", $3; exit}' "$WORK/pgbench.out")
PG_P50=$(percentile 50 <"$WORK/pg_latency_ms")
PG_P99=$(percentile 99 <"$WORK/pg_latency_ms")
PG_P999=$(percentile 99.9 <"$WORK/pg_latency_ms")
PG_FAILED=$(awk '/number of failed transactions/ {print $5; exit}' "$WORK/pgbench.out")
PG_ROWS=$("${PSQL[@]}" -d bench -At -c "SELECT count(*) FROM lots")
echo "   lots rows: $PG_ROWS; p50 ${PG_P50} ms, p99 ${PG_P99} ms, p99.9 ${PG_P999} ms (from the -l log)"
"${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
PG_STARTED=0
if ((PG_ONLY)); then
  echo "PostgreSQL $PG_VERSION: $PG_TPS acq/s, p50 $PG_P50 ms, p99 $PG_P99 ms, p99.9 $PG_P999 ms"
  exit 0
fi

# ---------------------------------------------------------------- reserved
R_DIR="$WORK/reserved"
mkdir -p "$R_DIR"
TOKEN="bench-admin-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
echo "$TOKEN bench-admin admin" >"$R_DIR/tokens"
echo "$TOKEN" >"$R_DIR/token"
chmod 600 "$R_DIR/tokens" "$R_DIR/token"
"$RESERVED" serve --listen=127.0.0.1:0 --port-file="$R_DIR/port" --data-dir="$R_DIR/data" \
  --tokens-file="$R_DIR/tokens" --metrics-listen=off --services=all --log-format=text \
  >"$R_DIR/reserved.log" 2>&1 &
RESERVED_PID=$!
for _ in $(seq 1 600); do
  [[ -s "$R_DIR/port" ]] && break
  kill -0 "$RESERVED_PID" 2>/dev/null || { echo "reserved exited:"; tail -20 "$R_DIR/reserved.log"; exit 1; }
  sleep 0.1
done
[[ -s "$R_DIR/port" ]] || { echo "reserved did not start"; tail -20 "$R_DIR/reserved.log"; exit 1; }
R_ADDR="127.0.0.1:$(cat "$R_DIR/port")"
echo "== reserved (pid $RESERVED_PID, $R_ADDR): reserve-bench --clients $CLIENTS --seconds $SECONDS_RUN"
"$BENCH" --address="$R_ADDR" --token-file="$R_DIR/token" --clients="$CLIENTS" \
  --seconds="$SECONDS_RUN" | tee "$R_DIR/bench.out" || true
RESULT=$(grep '^RESULT ' "$R_DIR/bench.out" || true)
[[ -n "$RESULT" ]] || { echo "reserve-bench gave no result"; tail -20 "$R_DIR/reserved.log"; exit 1; }
get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" ${RESULT#RESULT }"; }
R_TPS=$(get tps); R_P50=$(get p50_ms); R_P99=$(get p99_ms); R_P999=$(get p999_ms)
R_ERR=$(get errors)
R_HWM=$(awk '/^VmHWM/ {print $2/1024 " MiB"}' "/proc/$RESERVED_PID/status")

echo
echo "== side by side: $CLIENTS clients, $SECONDS_RUN s each, durable commits"
printf '%-24s %12s %10s %10s %10s %8s\n' "" "acq/s" "p50 ms" "p99 ms" "p99.9 ms" "errors"
printf '%-24s %12s %10s %10s %10s %8s\n' "PostgreSQL $PG_VERSION ($PG_SOURCE_ROWS)" \
  "$PG_TPS" "$PG_P50" "$PG_P99" "$PG_P999" "${PG_FAILED:-0}"
printf '%-24s %12s %10s %10s %10s %8s\n' "reserved" "$R_TPS" "$R_P50" "$R_P99" "$R_P999" "$R_ERR"
awk -v r="$R_TPS" -v p="$PG_TPS" 'BEGIN {printf "ratio reserved/PostgreSQL throughput: %.2fx\n", r/p}'
echo "reserved peak RSS (VmHWM): $R_HWM"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
