#!/usr/bin/env bash
# Benchmark: multi-touch attribution of a campaign with 200 creators,
# 1,000,000 orders and 5,000,000 touches, against the plain-SQL last-touch
# query (a window function) measured in the same run; and payouts() of the
# 200 creators, with commission and renewal terms (which read the stored
# attribution credits); campaign_metrics(); the cost of keeping the credits
# for the writers.
#
# Builds and installs the extension (into TIKTRACK_PG_ROOT when set, else
# under the shared install lock), starts a throwaway cluster of its own in a
# temporary directory (as the postgres user when run as root), loads the
# data with generate_series, prints best-of-N timings and ratios, and
# removes the cluster.
#
# Knobs (environment): BENCH_CREATORS (200), BENCH_CUSTOMERS (2000000),
# BENCH_TOUCHES (5000000), BENCH_ORDERS (1000000), BENCH_RUNS (5).
set -euo pipefail
cd "$(dirname "$0")/../.."

creators=${BENCH_CREATORS:-200}
customers=${BENCH_CUSTOMERS:-2000000}
touches=${BENCH_TOUCHES:-5000000}
orders=${BENCH_ORDERS:-1000000}
runs=${BENCH_RUNS:-5}

bindir=$(pg_config --bindir)
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

tmp=$(mktemp -d /tmp/tiktrack-bench.XXXXXX)
as_user=()
if [ "$(id -u)" -eq 0 ]; then
	chown postgres:postgres "$tmp"
	as_user=(runuser -u postgres --)
fi
cleanup() {
	if [ -f "$tmp/data/postmaster.pid" ]; then
		"${as_user[@]}" "$bindir/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

make -s >/dev/null
if [ -n "${TIKTRACK_PG_ROOT:-}" ]; then
	root=$(realpath -m "$TIKTRACK_PG_ROOT")
	[ -x "$root$bindir/postgres" ] || { echo "run test/tools/run-tests.sh once with TIKTRACK_PG_ROOT=$root first" >&2; exit 2; }
	make -s install DESTDIR="$root" >/dev/null
	bindir="$root$bindir"
else
	exec 9>/tmp/tiktrack-install.lock
	flock 9
	$SUDO make -s install >/dev/null
fi
psql_() { "${as_user[@]}" "$bindir/psql" -X -q -h "$tmp" -d postgres -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }

"${as_user[@]}" "$bindir/initdb" -D "$tmp/data" -A trust -U postgres >/dev/null
cat >>"$tmp/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$tmp'
shared_preload_libraries = 'tiktrack'
tiktrack.worker_enabled = off
timezone = 'UTC'
shared_buffers = 1GB
work_mem = 256MB
maintenance_work_mem = 1GB
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
max_wal_size = 20GB
checkpoint_timeout = 1h
autovacuum = off
jit = off
CONF
"${as_user[@]}" "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w start >/dev/null
psql_ -c 'CREATE EXTENSION tiktrack'
[ -z "${TIKTRACK_PG_ROOT:-}" ] && flock -u 9

cp test/bench/attribution_load.sql test/bench/attribution_timing.sql "$tmp/"
[ -n "${as_user[*]}" ] && chown postgres:postgres "$tmp"/*.sql

echo "tiktrack attribution benchmark: $creators creators, $orders orders, $touches touches" \
	"of $customers customers, best of $runs runs"
t0=$(now)
psql_ -f "$tmp/attribution_load.sql" -v creators="$creators" -v customers="$customers" \
	-v touches="$touches" -v orders="$orders"
t1=$(now)
psql_ -At -c "SELECT format('loaded %s orders and %s touches in %s s; database %s',
	(SELECT count(*) FROM tiktrack.orders), (SELECT count(*) FROM tiktrack.touches),
	round(($t1 - $t0)::numeric, 1), pg_size_pretty(pg_database_size(current_database())))"
campaign=$(psql_ -At -c "SELECT id FROM tiktrack.campaigns WHERE name = 'Bench'")
psql_ -f "$tmp/attribution_timing.sql" -v campaign="$campaign" -v runs="$runs" -v creators="$creators"
