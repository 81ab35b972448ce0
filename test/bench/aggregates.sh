#!/usr/bin/env bash
# Benchmark of the C aggregates (engagement_rate, completion_weighted_views,
# roi, roas, cpm, cpv) against their plain-SQL equivalents, in one run on
# one throwaway cluster: 10 million snapshot rows, best of 5 runs, serial
# (max_parallel_workers_per_gather = 0) and with 2 parallel workers, with
# JIT off and on.  Prints a table of milliseconds, the ratio plain/ours of
# the best times (above 1 means ours is faster) and the median of the
# per-run ratios (each run times both, in alternating order).
#
# Usage: test/bench/aggregates.sh
# Environment: BENCH_ROWS (default 10000000), BENCH_RUNS (default 5),
#   BENCH_PORT (default: a free port), BENCH_JIT ("off on", the JIT
#   settings to measure), BENCH_SHARED_BUFFERS (default 2GB), BENCH_NICE
#   (niceness of the benchmark's server, default 0; as root, e.g. -10 gives
#   it the CPU ahead of other work on a shared machine).
#
# The cluster runs on a private copy of the PostgreSQL installation with
# this tree's tiktrack installed into it (see aggregates_pgtree.sh), so
# other work trees installing their build meanwhile cannot interfere.
# Everything lives in one temporary directory, removed on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
rows=${BENCH_ROWS:-10000000}
runs=${BENCH_RUNS:-5}
jits=${BENCH_JIT:-off on}
shared_buffers=${BENCH_SHARED_BUFFERS:-2GB}
niceness=${BENCH_NICE:-0}
port=${BENCH_PORT:-$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}

work=$(mktemp -d /tmp/tiktrack-bench-agg.XXXXXX)
as_user=()
if [ "$(id -u)" -eq 0 ]; then
	as_user=(runuser -u postgres --)
fi
cleanup() {
	if [ -f "$work/data/postmaster.pid" ]; then
		"${as_user[@]}" "$bindir/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "building a private installation in $work ..."
bindir=$(test/bench/aggregates_pgtree.sh "$work/root")
[ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$work"
"${as_user[@]}" "$bindir/initdb" -D "$work/data" -A trust -U postgres --no-sync >/dev/null
cat >>"$work/data/postgresql.conf" <<EOF
port = $port
listen_addresses = ''
unix_socket_directories = '$work'
shared_buffers = $shared_buffers
max_worker_processes = 8
max_parallel_workers = 8
fsync = off
synchronous_commit = off
EOF
nice -n "$niceness" "${as_user[@]}" "$bindir/pg_ctl" -D "$work/data" -l "$work/server.log" -w start >/dev/null

psql_cmd=("${as_user[@]}" "$bindir/psql" -X -q -h "$work" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1)

echo "generating $rows snapshot rows ..."
"${psql_cmd[@]}" <<EOF
CREATE EXTENSION tiktrack;
CREATE EXTENSION pg_prewarm;
CREATE TABLE bench_snapshots (
	views		bigint,
	likes		bigint,
	comments	bigint,
	shares		bigint,
	saves		bigint,
	completion_rate float8,
	cost_cents	bigint,
	revenue_cents bigint
);
SELECT setseed(0.42);
-- Counters scaled like real posts; completion rate unknown (NULL) for one
-- row in ten, as for creators who authorized only the Display API.
INSERT INTO bench_snapshots
SELECT v, (v * random() * 0.08)::bigint, (v * random() * 0.004)::bigint,
	   (v * random() * 0.003)::bigint, (v * random() * 0.005)::bigint,
	   CASE WHEN random() < 0.1 THEN NULL ELSE random() END,
	   (random() * 500000)::bigint, (random() * 1500000)::bigint
FROM (SELECT (random() * random() * 5000000)::bigint AS v
	  FROM generate_series(1, $rows)) s;
VACUUM ANALYZE bench_snapshots;
SELECT pg_prewarm('bench_snapshots') AS pages_prewarmed;
EOF
"${psql_cmd[@]}" -At -c "SELECT pg_size_pretty(pg_table_size('bench_snapshots'))" | sed 's/^/table size: /'

# name | ours | plain equivalent
cases=(
	"engagement_rate(4 args)|tiktrack.engagement_rate(views, likes, comments, shares)|sum(likes + comments + shares)::float8 / nullif(sum(views), 0)"
	"engagement_rate(5 args)|tiktrack.engagement_rate(views, likes, comments, shares, saves)|sum(likes + comments + shares + saves)::float8 / nullif(sum(views), 0)"
	"completion_weighted_views|tiktrack.completion_weighted_views(views, completion_rate)|sum(views * completion_rate)"
	"roi|tiktrack.roi(revenue_cents, cost_cents)|(sum(revenue_cents) - sum(cost_cents))::float8 / nullif(sum(cost_cents), 0)"
	"roas|tiktrack.roas(revenue_cents, cost_cents)|sum(revenue_cents)::float8 / nullif(sum(cost_cents), 0)"
	"cpm|tiktrack.cpm(cost_cents, views)|sum(cost_cents)::float8 * 1000 / nullif(sum(views), 0)"
	"cpv|tiktrack.cpv(cost_cents, views)|sum(cost_cents)::float8 / nullif(sum(views), 0)"
)

# Runs the query pair $runs times, alternating which goes first so that
# drift in machine load hits both alike; prints the best time of each and
# the median of the per-run ratios plain/ours.
time_pair() {
	local settings=$1 ours=$2 plain=$3
	local script="$work/pair.sql"
	{
		echo "$settings"
		echo '\timing on'
		for i in $(seq "$runs"); do
			if [ $((i % 2)) -eq 1 ]; then
				echo "SELECT 'ours', $ours FROM bench_snapshots;"
				echo "SELECT 'plain', $plain FROM bench_snapshots;"
			else
				echo "SELECT 'plain', $plain FROM bench_snapshots;"
				echo "SELECT 'ours', $ours FROM bench_snapshots;"
			fi
		done
	} >"$script"
	[ "$(id -u)" -eq 0 ] && chown postgres "$script"
	"${psql_cmd[@]}" -At -f "$script" |
		awk -F'|' '/^(ours|plain)\|/ { who = $1; next }
			/^Time: / { sub(/^Time: /, "", $0); t = $0 + 0
						if (who == "ours") { o[++no] = t } else { p[++np] = t } }
			END {
				bo = o[1]; bp = p[1]
				for (i = 1; i <= no; i++) { if (o[i] < bo) bo = o[i]; r[i] = p[i] / o[i] }
				for (i = 1; i <= np; i++) if (p[i] < bp) bp = p[i]
				# median of the ratios (insertion sort: a handful of runs)
				for (i = 2; i <= no; i++) { v = r[i]; j = i - 1; while (j > 0 && r[j] > v) { r[j + 1] = r[j]; j-- } r[j + 1] = v }
				m = (no % 2) ? r[(no + 1) / 2] : (r[no / 2] + r[no / 2 + 1]) / 2
				printf "%s %s %.2f\n", bo, bp, m
			}'
}

# Our result and the plain one, and whether they agree to 1e-12 relative.
compare_results() {
	local ours=$1 plain=$2
	"${psql_cmd[@]}" -At -F' ' -c "SET max_parallel_workers_per_gather = 0;
		SELECT CASE WHEN o IS NOT DISTINCT FROM p THEN 'identical'
					WHEN abs(o - p) <= 1e-12 * abs(p) THEN 'within 1e-12'
					ELSE 'DIFFERENT: ' || o || ' vs ' || p END
		FROM (SELECT $ours AS o, $plain AS p FROM bench_snapshots) t" | tail -n 1
}

declare -A agreement
for c in "${cases[@]}"; do
	IFS='|' read -r name ours plain <<<"$c"
	agreement[$name]=$(compare_results "$ours" "$plain")
done

echo
echo "rows: $rows, best of $runs, $(nproc) CPUs, PostgreSQL $("$bindir/postgres" --version | awk '{print $3}'), niceness $niceness, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-27s %-4s %-10s %10s %10s %11s %7s  %s\n" aggregate jit plan "ours ms" "plain ms" "plain/ours" "median" "result"
slower=0
slower_median=0
cells=0
for jit in $jits; do
	for workers in 0 2; do
		plan=serial
		[ "$workers" -gt 0 ] && plan="$workers workers"
		settings="SET jit = $jit; SET max_parallel_workers_per_gather = $workers;"
		for c in "${cases[@]}"; do
			IFS='|' read -r name ours plain <<<"$c"
			read -r t_ours t_plain median < <(time_pair "$settings" "$ours" "$plain")
			ratio=$(awk -v o="$t_ours" -v p="$t_plain" 'BEGIN { printf "%.2f", p / o }')
			cells=$((cells + 1))
			awk -v r="$ratio" 'BEGIN { exit !(r < 1) }' && slower=$((slower + 1))
			awk -v r="$median" 'BEGIN { exit !(r < 1) }' && slower_median=$((slower_median + 1))
			printf "%-27s %-4s %-10s %10.1f %10.1f %10sx %6sx  %s\n" \
				"$name" "$jit" "$plan" "$t_ours" "$t_plain" "$ratio" "$median" "${agreement[$name]}"
		done
	done
done
echo
echo "ours slower in $slower of $cells cases by the best times, in $slower_median by the median ratio"
echo "(wall-clock ratios within a few per cent are noise on a shared machine; aggregates_instructions.sh counts instructions)"
