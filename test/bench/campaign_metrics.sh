#!/usr/bin/env bash
# Benchmark: tiktrack.campaign_metrics() for a campaign of 1,000 posts in a
# database holding 10 million snapshots, against the obvious DISTINCT ON
# query over the posts' history, measured in the same run.
#
# Builds and installs the extension (under the shared install lock), starts
# a throwaway cluster of its own in a temporary directory (as the postgres
# user when run as root), bulk-loads the data with generate_series, prints
# best-of-N timings and ratios, and removes the cluster.
#
# Knobs (environment): BENCH_VIDEOS (10000) x BENCH_SNAPS_PER_VIDEO (1000)
# snapshots, BENCH_CAMPAIGNS (10) campaigns of BENCH_POSTS (1000) posts,
# BENCH_RUNS (20) runs per query, BENCH_AS_OF ('2026-02-15 00:00+00').
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)

videos=${BENCH_VIDEOS:-10000}
snaps=${BENCH_SNAPS_PER_VIDEO:-1000}
campaigns=${BENCH_CAMPAIGNS:-10}
posts=${BENCH_POSTS:-1000}
runs=${BENCH_RUNS:-20}
as_of=${BENCH_AS_OF:-2026-02-15 00:00+00}
chunk=${BENCH_CHUNK_VIDEOS:-1000}
if [ $((campaigns * posts)) -gt "$videos" ]; then
	echo "BENCH_CAMPAIGNS x BENCH_POSTS must not exceed BENCH_VIDEOS" >&2
	exit 2
fi

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

psql_() { "${as_user[@]}" "$bindir/psql" -X -q -h "$tmp" -d postgres -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }

make -s >/dev/null
exec 9>/tmp/tiktrack-install.lock
flock 9
$SUDO make -s install >/dev/null

"${as_user[@]}" "$bindir/initdb" -D "$tmp/data" -A trust -U postgres >/dev/null
cat >>"$tmp/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$tmp'
shared_preload_libraries = 'tiktrack'
tiktrack.worker_enabled = off
timezone = 'UTC'
shared_buffers = 2GB
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
# The server has loaded the library and the install script: other work
# trees may install again.
flock -u 9

cp test/bench/campaign_load.sql test/bench/campaign_timing.sql "$tmp/"
[ -n "${as_user[*]}" ] && chown postgres:postgres "$tmp"/*.sql

echo "tiktrack campaign_metrics benchmark: $((videos * snaps)) snapshots of $videos videos," \
	"$campaigns campaigns of $posts posts, best of $runs runs"
t0=$(now)
psql_ -f "$tmp/campaign_load.sql" -v videos="$videos" -v snaps_per_video="$snaps" \
	-v posts_per_campaign="$posts" -v campaigns="$campaigns" -v chunk_videos="$chunk"
t1=$(now)
psql_ -At -c "SELECT format('loaded %s snapshots (%s latest) in %s s; database %s',
	(SELECT count(*) FROM tiktrack.snapshots), (SELECT count(*) FROM tiktrack.latest_snapshots),
	round(($t1 - $t0)::numeric, 1), pg_size_pretty(pg_database_size(current_database())))"
campaign=$(psql_ -At -c "SELECT id FROM tiktrack.campaigns WHERE name = 'Bench 1'")
psql_ -f "$tmp/campaign_timing.sql" -v campaign="$campaign" -v as_of="$as_of" -v runs="$runs"

# Noise-free companion of the timings: CPU instructions per call, counted
# by valgrind (callgrind) in a single-user backend on the same data (the
# difference between sessions of 13 and 3 calls, so plan caching and
# connection set-up do not count).  Wall-clock figures on a shared 2-vCPU
# machine move by up to 2x from minute to minute; these do not.  Skipped
# without valgrind or with BENCH_INSTRUCTIONS=0.
if [ "${BENCH_INSTRUCTIONS:-1}" = 1 ] && command -v valgrind >/dev/null; then
	"${as_user[@]}" "$bindir/pg_ctl" -D "$tmp/data" -w stop >/dev/null
	session_instructions() {
		local input="$tmp/session.sql"
		for _ in $(seq "$2"); do echo "$1"; done >"$input"
		[ -n "${as_user[*]}" ] && chown postgres "$input"
		rm -f "$tmp"/callgrind.out.*
		"${as_user[@]}" valgrind --tool=callgrind --callgrind-out-file="$tmp/callgrind.out.%p" \
			"$bindir/postgres" --single -D "$tmp/data" postgres <"$input" >/dev/null 2>"$tmp/valgrind.log"
		sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' "$tmp"/callgrind.out.* | head -n 1
	}
	echo
	echo "-- instructions per call (valgrind callgrind, single-user backend)"
	for q in "tiktrack.campaign_metrics($campaign)" "tiktrack.campaign_metrics($campaign, '$as_of')"; do
		few=$(session_instructions "SELECT count(*) FROM $q;" 3)
		many=$(session_instructions "SELECT count(*) FROM $q;" 13)
		printf "%-52s %12s\n" "$q" "$(((many - few) / 10))"
	done
fi
