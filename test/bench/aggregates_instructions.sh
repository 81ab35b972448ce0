#!/usr/bin/env bash
# Noise-free companion of aggregates.sh: CPU instructions per row of each
# aggregate and of its plain-SQL equivalent, counted by valgrind (callgrind)
# in a single-user backend, serial, JIT off.  Wall-clock ratios on a busy
# two-CPU machine move by several percent from run to run; instruction
# counts do not.  Everything the query does is counted (scan, tuple
# deforming, expression evaluation, the aggregate), as in a real query.
#
# Usage: test/bench/aggregates_instructions.sh
# Environment: BENCH_ROWS (default 200000).  Needs valgrind.
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${BENCH_ROWS:-200000}
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 1; }

work=$(mktemp -d /tmp/tiktrack-bench-agg-instr.XXXXXX)
as_user=()
[ "$(id -u)" -eq 0 ] && as_user=(runuser -u postgres --)
cleanup() {
	if [ -f "$work/data/postmaster.pid" ]; then
		"${as_user[@]}" "$bindir/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

bindir=$(test/bench/aggregates_pgtree.sh "$work/root")
[ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$work"
"${as_user[@]}" "$bindir/initdb" -D "$work/data" -A trust -U postgres --no-sync >/dev/null
printf "listen_addresses = ''\nunix_socket_directories = '%s'\nfsync = off\n" "$work" >>"$work/data/postgresql.conf"
"${as_user[@]}" "$bindir/pg_ctl" -D "$work/data" -l "$work/server.log" -w start >/dev/null
"${as_user[@]}" "$bindir/psql" -X -q -h "$work" -U postgres -d postgres -v ON_ERROR_STOP=1 >/dev/null <<EOF
CREATE EXTENSION tiktrack;
CREATE TABLE bench_snapshots (views bigint, likes bigint, comments bigint, shares bigint, saves bigint,
							  completion_rate float8, cost_cents bigint, revenue_cents bigint);
SELECT setseed(0.42);
INSERT INTO bench_snapshots
SELECT v, (v * random() * 0.08)::bigint, (v * random() * 0.004)::bigint,
	   (v * random() * 0.003)::bigint, (v * random() * 0.005)::bigint,
	   CASE WHEN random() < 0.1 THEN NULL ELSE random() END,
	   (random() * 500000)::bigint, (random() * 1500000)::bigint
FROM (SELECT (random() * random() * 5000000)::bigint AS v FROM generate_series(1, $rows)) s;
VACUUM ANALYZE bench_snapshots;
EOF
"${as_user[@]}" "$bindir/pg_ctl" -D "$work/data" -w stop >/dev/null

# Instructions of a single-user session that runs the query 3 times.
session_instructions() {
	local input="$work/session.sql"
	{
		echo "SET jit = off; SET max_parallel_workers_per_gather = 0;"
		for _ in 1 2 3; do echo "$1;"; done
	} >"$input"
	[ "$(id -u)" -eq 0 ] && chown postgres "$input"
	rm -f "$work"/callgrind.out.*
	"${as_user[@]}" valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out.%p" \
		"$bindir/postgres" --single -D "$work/data" postgres <"$input" >/dev/null 2>"$work/valgrind.log"
	sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' "$work"/callgrind.out.* | head -n 1
}

cases=(
	"engagement_rate(4 args)|tiktrack.engagement_rate(views, likes, comments, shares)|sum(likes + comments + shares)::float8 / nullif(sum(views), 0)"
	"engagement_rate(5 args)|tiktrack.engagement_rate(views, likes, comments, shares, saves)|sum(likes + comments + shares + saves)::float8 / nullif(sum(views), 0)"
	"completion_weighted_views|tiktrack.completion_weighted_views(views, completion_rate)|sum(views * completion_rate)"
	"roi|tiktrack.roi(revenue_cents, cost_cents)|(sum(revenue_cents) - sum(cost_cents))::float8 / nullif(sum(cost_cents), 0)"
	"roas|tiktrack.roas(revenue_cents, cost_cents)|sum(revenue_cents)::float8 / nullif(sum(cost_cents), 0)"
	"cpm|tiktrack.cpm(cost_cents, views)|sum(cost_cents)::float8 * 1000 / nullif(sum(views), 0)"
	"cpv|tiktrack.cpv(cost_cents, views)|sum(cost_cents)::float8 / nullif(sum(views), 0)"
)

echo "instructions per row, $rows rows, serial, JIT off (valgrind callgrind)"
base=$(session_instructions "SELECT 1")
per_row() { awk -v t="$1" -v b="$base" -v n="$rows" 'BEGIN { printf "%.1f", (t - b) / 3 / n }'; }
printf "%-27s %10s %10s %11s\n" aggregate ours plain "plain/ours"
printf "%-27s %10s\n" "(scan only: count(*))" "$(per_row "$(session_instructions "SELECT count(*) FROM bench_snapshots")")"
for c in "${cases[@]}"; do
	IFS='|' read -r name ours plain <<<"$c"
	o=$(per_row "$(session_instructions "SELECT $ours FROM bench_snapshots")")
	p=$(per_row "$(session_instructions "SELECT $plain FROM bench_snapshots")")
	printf "%-27s %10s %10s %10.3fx\n" "$name" "$o" "$p" "$(awk -v o="$o" -v p="$p" 'BEGIN { print p / o }')"
done
