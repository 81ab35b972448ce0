#!/usr/bin/env bash
# Worker memory benchmark: 10,000 tracked videos (500 Display creators x
# 20) fetched again and again from the simulator at a 1 s cadence; the
# worker's private memory (RssAnon) and its memory contexts' grand total
# after 10,000, 200,000 and 400,000 snapshots, measured while the worker is
# paused between two rounds.  Between the first two the worker warms up
# (plans cached, the allocator's high-water mark); from the second to the
# third they must not grow.
#   SNAPSHOTS=200000 test/bench/worker_memory.sh
bench_name=worker_memory
source "$(dirname "$0")/worker_common.sh"
target=${SNAPSHOTS:-200000}

start_sim
start_cluster "$(sim_settings)
tiktrack.worker_enabled = off
tiktrack.interval = 1
tiktrack.early_interval = 1
tiktrack.display_requests_per_minute = 0
tiktrack.log_retention = 30
log_min_messages = log"
psql_ -d postgres -c "CREATE EXTENSION tiktrack"
echo "seeding 500 creators x 20 videos"
seed_and_connect 500 20 postgres
wpid=$(worker_pid)
psql_ -d postgres -c "ALTER SYSTEM SET tiktrack.worker_enabled = on" -c "SELECT pg_reload_conf()" >/dev/null

measure() {
	local want=$1
	while [ "$(snapshots_written)" -lt "$want" ]; do
		sleep 0.2
	done
	# Measured between batches: the worker is paused (it resets its batch
	# memory after every round), so the figures compare like with like.
	psql_ -d postgres -c "ALTER SYSTEM SET tiktrack.worker_enabled = off" -c "SELECT pg_reload_conf()" >/dev/null
	while [ "$(psql_ -d postgres -c 'SELECT state FROM tiktrack.worker_status')" != disabled ]; do sleep 0.1; done
	local anon rss
	anon=$(awk '/^RssAnon/ { print $2 }' "/proc/$wpid/status")
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$wpid/status")
	: >"$out/server.log.mark"
	psql_ -d postgres -c "SELECT pg_log_backend_memory_contexts($wpid)" >/dev/null
	sleep 0.5
	local total
	total=$(grep -a "Grand total" "$out/server.log" | tail -1 | sed 's/.*Grand total: \([0-9]*\) bytes.*/\1/')
	printf '  after %7d snapshots: RssAnon %6d kB, VmRSS %6d kB, memory contexts %8d bytes\n' \
		"$(psql_ -d postgres -c 'SELECT count(*) FROM tiktrack.snapshots')" "$anon" "$rss" "$total"
	echo "$anon $total" >"$out/m.$want"
	psql_ -d postgres -c "ALTER SYSTEM SET tiktrack.worker_enabled = on" -c "SELECT pg_reload_conf()" >/dev/null
}
echo "worker memory (pid $wpid)"
measure 10000
measure "$target"
measure $((2 * target))
read -r a1 t1 <"$out/m.10000"
read -r a2 t2 <"$out/m.$target"
read -r a3 t3 <"$out/m.$((2 * target))"
echo "  warm-up, 10k to $target snapshots: RssAnon $((a2 - a1)) kB, memory contexts $((t2 - t1)) bytes"
echo "  growth from $target to $((2 * target)) snapshots: RssAnon $((a3 - a2)) kB, memory contexts $((t3 - t2)) bytes"
