#!/usr/bin/env bash
# Benchmark: the signals of issue 10 (early_traction, traction(),
# forecast_views(), benchmark(by => 'hour'), forecast_backtest()) on
# 100,000 tracked videos of 2,000 creators with 5 million snapshots,
# each against the obvious plain-SQL formulation (views at an age from
# lag() over the posts' snapshots) measured in the same run, with the
# issue's targets.
#
# Builds and installs the extension (under the shared install lock, or
# into TIKTRACK_PG_ROOT's private copy as run-tests.sh does), starts a
# throwaway cluster of its own in a temporary directory (as the postgres
# user when run as root), bulk-loads the data with generate_series, prints
# best-of-N timings and ratios, and removes the cluster.
#
# Knobs (environment): BENCH_VIDEOS (100000), BENCH_CREATORS (2000),
# BENCH_RUNS (20), BENCH_CHUNK_VIDEOS (10000).
set -euo pipefail
cd "$(dirname "$0")/../.."

videos=${BENCH_VIDEOS:-100000}
creators=${BENCH_CREATORS:-2000}
runs=${BENCH_RUNS:-20}
chunk=${BENCH_CHUNK_VIDEOS:-10000}

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
make -s >/dev/null
if [ -n "${TIKTRACK_PG_ROOT:-}" ]; then
	root=$(realpath -m "$TIKTRACK_PG_ROOT")
	sysbindir=$(pg_config --bindir)
	[ -x "$root$sysbindir/postgres" ] || { echo "run test/tools/run-tests.sh with TIKTRACK_PG_ROOT=$root once first" >&2; exit 2; }
	make -s install DESTDIR="$root" >/dev/null
	bindir="$root$sysbindir"
else
	bindir=$(pg_config --bindir)
	exec 9>/tmp/tiktrack-install.lock
	flock 9
	$SUDO make -s install >/dev/null
fi

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
work_mem = 64MB
maintenance_work_mem = 512MB
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

cp test/bench/signals_load.sql test/bench/signals_timing.sql "$tmp/"
[ -n "${as_user[*]}" ] && chown postgres:postgres "$tmp"/*.sql

echo "tiktrack signals benchmark: $videos videos of $creators creators, best of $runs runs"
t0=$(now)
psql_ -f "$tmp/signals_load.sql" -v videos="$videos" -v creators="$creators" -v chunk_videos="$chunk"
t1=$(now)
psql_ -At -c "SELECT format('loaded %s snapshots of %s videos in %s s; database %s',
	(SELECT count(*) FROM tiktrack.snapshots), (SELECT count(*) FROM tiktrack.videos),
	round(($t1 - $t0)::numeric, 1), pg_size_pretty(pg_database_size(current_database())))"
psql_ -f "$tmp/signals_timing.sql" -v runs="$runs"
