#!/usr/bin/env bash
# Benchmark of tiktrack's C aggregates on Citus: 10 million snapshot rows
# in a table distributed by video id over two worker nodes, each aggregate
# grouped by creator (not the distribution column), timed
#   pushed down: as Citus plans it, partial aggregation on every shard
#                (worker_partial_agg), the coordinator combining one state
#                per shard and creator;
#   gathered:    the rows pulled to the coordinator first (a MATERIALIZED
#                CTE, which Citus runs as a distributed subplan whose
#                result, every row, the coordinator then aggregates), as
#                Citus had to do for 0.1.0's top_values (internal state).
# Best of BENCH_RUNS runs each; the ratio gathered/pushed (above 1: push-
# down is faster) and whether both give identical results.
#
# One machine: the coordinator and both workers share its cores, so this
# shows the overhead of shipping rows versus states, and that the
# aggregates are pushed down; it does not show a speed-up from more
# machines.
#
# Usage: test/bench/citus_aggregates.sh
# Environment: BENCH_ROWS (default 10000000), BENCH_RUNS (default 3),
#   BENCH_SHARDS (shards of the table, default 8), BENCH_SHARED_BUFFERS
#   (per node, default 1GB).
#
# Everything (a private copy of the PostgreSQL installation with this
# tree's tiktrack and Citus from test/tools/build-citus.sh, three servers)
# lives in one temporary directory, removed on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
rows=${BENCH_ROWS:-10000000}
runs=${BENCH_RUNS:-3}
shards=${BENCH_SHARDS:-8}
shared_buffers=${BENCH_SHARED_BUFFERS:-1GB}

work=$(mktemp -d /tmp/tiktrack-bench-citus.XXXXXX)
as_user=()
[ "$(id -u)" -eq 0 ] && as_user=(runuser -u postgres --)
nodes=(coordinator worker1 worker2)
cleanup() {
	for n in "${nodes[@]}"; do
		if [ -f "$work/$n/postmaster.pid" ]; then
			"${as_user[@]}" "$bindir/pg_ctl" -D "$work/$n" -m immediate stop >/dev/null 2>&1 || true
		fi
	done
	rm -rf "$work"
}
trap cleanup EXIT

echo "building a private installation with Citus in $work ..."
bindir=$(test/bench/aggregates_pgtree.sh "$work/root")
test/tools/build-citus.sh "$work/root" >/dev/null
[ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$work"

free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
declare -A port
for n in "${nodes[@]}"; do
	port[$n]=$(free_port)
	"${as_user[@]}" "$bindir/initdb" -D "$work/$n" -A trust -U postgres --no-sync >/dev/null
	cat >>"$work/$n/postgresql.conf" <<EOF
port = ${port[$n]}
listen_addresses = ''
unix_socket_directories = '$work'
shared_preload_libraries = 'citus,tiktrack'
tiktrack.worker_enabled = off
citus.enable_statistics_collection = off
shared_buffers = $shared_buffers
max_worker_processes = 16
fsync = off
synchronous_commit = off
EOF
	"${as_user[@]}" "$bindir/pg_ctl" -D "$work/$n" -l "$work/$n.log" -w start >/dev/null
	"${as_user[@]}" "$bindir/psql" -X -q -h "$work" -p "${port[$n]}" -U postgres -d postgres \
		-c 'CREATE EXTENSION citus'
done
psql_cmd=("${as_user[@]}" "$bindir/psql" -X -q -h "$work" -p "${port[coordinator]}" -U postgres -d postgres -v ON_ERROR_STOP=1)

echo "generating $rows distributed snapshot rows ($shards shards on 2 workers) ..."
"${psql_cmd[@]}" >/dev/null <<EOF
SELECT citus_set_coordinator_host('$work', ${port[coordinator]});
SELECT 1 FROM citus_add_node('$work', ${port[worker1]});
SELECT 1 FROM citus_add_node('$work', ${port[worker2]});
CREATE EXTENSION tiktrack;
SET citus.shard_count = $shards;
CREATE TABLE bench_snapshots (
	video_id	bigint NOT NULL,
	creator_id	bigint NOT NULL,
	views		bigint,
	likes		bigint,
	comments	bigint,
	shares		bigint,
	saves		bigint,
	completion_rate float8,
	cost_cents	bigint,
	revenue_cents bigint,
	hashtags	text[]
);
SELECT create_distributed_table('bench_snapshots', 'video_id');
-- 100,000 videos of 1,000 creators, $rows / 100,000 snapshots each;
-- counters scaled like real posts, completion rate unknown for one row
-- in ten, hashtags from a vocabulary of 500.  Generated on the shards, in
-- parallel, each shard its own videos (format(): %1\$s is the shard).
SELECT count(*) AS shards_filled FROM run_command_on_shards('bench_snapshots', \$cmd\$
	INSERT INTO %1\$s
	SELECT v, mod(v, 1000), s * (mod(v, 997) + 50), s * mod(v, 89), s * mod(v, 13), s * mod(v, 7),
		   CASE WHEN mod(v, 3) = 0 THEN NULL ELSE s * mod(v, 5) END,
		   CASE WHEN mod(v + s, 10) = 0 THEN NULL ELSE mod(v * 31 + s * 17, 1000) / 1000.0 END,
		   mod(v, 17) * 1000 + s, mod(v, 23) * 2500 + s * 7,
		   ARRAY['fyp', 'tag' || mod(v, 500), 'tag' || mod(v * 7 + s, 500)]
	FROM (SELECT v FROM generate_series(1, 100000) v
		  WHERE get_shard_id_for_distribution_column('bench_snapshots', v)
				= substring('%1\$s' from '_([0-9]+)\$')::bigint) vv,
		 generate_series(1, $rows / 100000) s
\$cmd\$) WHERE success;
EOF
"${psql_cmd[@]}" -c "VACUUM ANALYZE bench_snapshots" >/dev/null
"${psql_cmd[@]}" -At -c "SELECT count(*) || ' rows, ' || pg_size_pretty(citus_table_size('bench_snapshots')) FROM bench_snapshots" |
	sed 's/^/table: /'

# name | signature | call | the columns it reads
cases=(
	"engagement_rate(4 args)|engagement_rate(bigint,bigint,bigint,bigint)|tiktrack.engagement_rate(views, likes, comments, shares)|views, likes, comments, shares"
	"engagement_rate(5 args)|engagement_rate(bigint,bigint,bigint,bigint,bigint)|tiktrack.engagement_rate(views, likes, comments, shares, saves)|views, likes, comments, shares, saves"
	"completion_weighted_views|completion_weighted_views(bigint,double precision)|tiktrack.completion_weighted_views(views, completion_rate)|views, completion_rate"
	"roi|roi(bigint,bigint)|tiktrack.roi(revenue_cents, cost_cents)|revenue_cents, cost_cents"
	"roas|roas(bigint,bigint)|tiktrack.roas(revenue_cents, cost_cents)|revenue_cents, cost_cents"
	"cpm|cpm(bigint,bigint)|tiktrack.cpm(cost_cents, views)|cost_cents, views"
	"cpv|cpv(bigint,bigint)|tiktrack.cpv(cost_cents, views)|cost_cents, views"
	"top_values|top_values(text[],integer)|tiktrack.top_values(hashtags, 5)|hashtags"
)

pushed_sql() { echo "SELECT creator_id, $1 AS r FROM bench_snapshots GROUP BY creator_id"; }
# Only the columns the aggregate reads travel to the coordinator.
gathered_sql() {
	echo "WITH s AS MATERIALIZED (SELECT creator_id, $2 FROM bench_snapshots) SELECT creator_id, $1 AS r FROM s GROUP BY creator_id"
}

# Best of $runs, alternating which goes first; each run returns an md5 of
# its result, so the two plans are compared on every run.  Prints
# "pushed_ms gathered_ms identical|DIFFERENT".
time_pair() {
	local call=$1 columns=$2 script="$work/pair.sql"
	local p="SELECT 'pushed', md5(string_agg(creator_id || ':' || r::text, ',' ORDER BY creator_id)) FROM ($(pushed_sql "$call")) q;"
	local g="SELECT 'gathered', md5(string_agg(creator_id || ':' || r::text, ',' ORDER BY creator_id)) FROM ($(gathered_sql "$call" "$columns")) q;"
	{
		echo '\timing on'
		for i in $(seq "$runs"); do
			if [ $((i % 2)) -eq 1 ]; then echo "$p"; echo "$g"; else echo "$g"; echo "$p"; fi
		done
	} >"$script"
	[ "$(id -u)" -eq 0 ] && chown postgres "$script"
	"${psql_cmd[@]}" -At -f "$script" |
		awk -F'|' '/^(pushed|gathered)\|/ { who = $1; md5[$2] = 1; next }
			/^Time: / { sub(/^Time: /, "", $0); t = $0 + 0
						if (!(who in best) || t < best[who]) best[who] = t }
			END { n = 0; for (m in md5) n++
				  printf "%s %s %s\n", best["pushed"], best["gathered"], (n == 1 ? "identical" : "DIFFERENT") }'
}

echo
echo "rows: $rows in $shards shards on 2 worker nodes, grouped by creator (1,000 groups), best of $runs;"
echo "$(nproc) CPUs shared by the coordinator and both workers, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(one machine: this shows the cost of shipping every row to the coordinator versus one partial"
echo " state per shard and group, and that each aggregate is pushed down; not a speed-up from more machines)"
printf "%-27s %-8s %12s %12s %11s  %s\n" aggregate shards "pushed ms" "gathered ms" "gath/push" "results"
for c in "${cases[@]}"; do
	IFS='|' read -r name signature call columns <<<"$c"
	plan=$("${psql_cmd[@]}" -At -c "EXPLAIN (VERBOSE, COSTS OFF) $(pushed_sql "$call")")
	if grep -qF "worker_partial_agg('tiktrack.$signature'::regprocedure" <<<"$plan"; then
		pushed=partial
	else
		pushed=ROWS
	fi
	read -r t_pushed t_gathered same < <(time_pair "$call" "$columns")
	ratio=$(awk -v p="$t_pushed" -v g="$t_gathered" 'BEGIN { printf "%.2f", g / p }')
	printf "%-27s %-8s %12.1f %12.1f %10sx  %s\n" "$name" "$pushed" "$t_pushed" "$t_gathered" "$ratio" "$same"
done
echo "(shards: partial = EXPLAIN VERBOSE shows worker_partial_agg in the shard queries of the pushed plan)"
