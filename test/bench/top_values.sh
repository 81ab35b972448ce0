#!/usr/bin/env bash
# Benchmark of tiktrack.top_values with its 0.2.0 state (tiktrack.
# top_values_state, an expanded object, which Citus can ship) against the
# same aggregate with 0.1.0's "internal" state, in one run on one
# throwaway cluster.  The baseline is 0.1.0's aggregate recreated under
# another name from the entry points the library keeps for 0.1.0
# (tiktrack_top_values_accum and friends), so both count with the same
# hash table and only the state's handling differs.
#
# Cases: one group over every row, 1,000 groups (creators), 100,000 groups
# (videos: a state per group, the worst case for a per-state memory
# context), serial and with 2 parallel workers (the states then travel
# from the workers to the leader: flattened for 0.2.0, serialized for
# 0.1.0).  Prints best-of-N ms, old/new of the best times (above 1 means
# the new state is faster) and the median of the per-run ratios, and
# whether both give the same result.
#
# Usage: test/bench/top_values.sh
# Environment: BENCH_ROWS (default 2000000), BENCH_RUNS (default 5),
#   BENCH_PORT (default: a free port).
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${BENCH_ROWS:-2000000}
runs=${BENCH_RUNS:-5}
port=${BENCH_PORT:-$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}

work=$(mktemp -d /tmp/tiktrack-bench-topv.XXXXXX)
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
shared_buffers = 1GB
work_mem = 256MB
max_worker_processes = 8
max_parallel_workers = 8
fsync = off
synchronous_commit = off
jit = off
EOF
"${as_user[@]}" "$bindir/pg_ctl" -D "$work/data" -l "$work/server.log" -w start >/dev/null
psql_cmd=("${as_user[@]}" "$bindir/psql" -X -q -h "$work" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1)

echo "generating $rows rows of hashtags ..."
"${psql_cmd[@]}" <<EOF
CREATE EXTENSION tiktrack;
CREATE EXTENSION pg_prewarm;
-- 0.1.0's aggregate, state internal, from the entry points kept for 0.1.0.
CREATE FUNCTION old_accum(internal, text[], integer) RETURNS internal
	AS '\$libdir/tiktrack', 'tiktrack_top_values_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION old_combine(internal, internal) RETURNS internal
	AS '\$libdir/tiktrack', 'tiktrack_top_values_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION old_serialize(internal) RETURNS bytea
	AS '\$libdir/tiktrack', 'tiktrack_top_values_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION old_deserialize(bytea, internal) RETURNS internal
	AS '\$libdir/tiktrack', 'tiktrack_top_values_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION old_final(internal) RETURNS jsonb
	AS '\$libdir/tiktrack', 'tiktrack_top_values_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE old_top_values(text[], integer) (
	SFUNC = old_accum, STYPE = internal, FINALFUNC = old_final,
	COMBINEFUNC = old_combine, SERIALFUNC = old_serialize, DESERIALFUNC = old_deserialize,
	PARALLEL = SAFE);

CREATE TABLE bench_posts (video bigint, creator int, hashtags text[]);
SELECT setseed(0.13);
-- 3 to 6 hashtags a post from 2,000, skewed (a few are everywhere).
INSERT INTO bench_posts
SELECT g % 100000, g % 1000,
	   ARRAY(SELECT 'tag' || (random() * random() * 2000)::int
			 FROM generate_series(1, 3 + (g % 4)) WHERE g > 0)
FROM generate_series(1, $rows) g;
VACUUM ANALYZE bench_posts;
SELECT pg_prewarm('bench_posts') AS pages_prewarmed;
EOF

# name | GROUP BY column or empty
cases=(
	"one group|"
	"1000 groups (creator)|creator"
	"100000 groups (video)|video"
)

query() {
	local agg=$1 group=$2
	if [ -z "$group" ]; then
		echo "SELECT md5($agg(hashtags, 10)::text) FROM bench_posts"
	else
		echo "SELECT md5(string_agg(t::text, ',' ORDER BY g)) FROM (SELECT $group AS g, $agg(hashtags, 10) AS t FROM bench_posts GROUP BY $group) s"
	fi
}

# Prints best new ms, best old ms, median of old/new per run, same result?
time_pair() {
	local settings=$1 group=$2
	local script="$work/pair.sql"
	local new old
	new=$(query tiktrack.top_values "$group")
	old=$(query old_top_values "$group")
	{
		echo "$settings"
		echo '\timing on'
		for i in $(seq "$runs"); do
			if [ $((i % 2)) -eq 1 ]; then
				echo "SELECT 'new', * FROM ($new) q;"
				echo "SELECT 'old', * FROM ($old) q;"
			else
				echo "SELECT 'old', * FROM ($old) q;"
				echo "SELECT 'new', * FROM ($new) q;"
			fi
		done
	} >"$script"
	[ "$(id -u)" -eq 0 ] && chown postgres "$script"
	"${psql_cmd[@]}" -At -f "$script" |
		awk -F'|' '/^(new|old)\|/ { who = $1; h[who] = $2; next }
			/^Time: / { sub(/^Time: /, "", $0); t = $0 + 0
						if (who == "new") { n[++nn] = t } else { o[++no] = t } }
			END {
				bn = n[1]; bo = o[1]
				for (i = 1; i <= nn; i++) { if (n[i] < bn) bn = n[i]; r[i] = o[i] / n[i] }
				for (i = 1; i <= no; i++) if (o[i] < bo) bo = o[i]
				for (i = 2; i <= nn; i++) { v = r[i]; j = i - 1; while (j > 0 && r[j] > v) { r[j + 1] = r[j]; j-- } r[j + 1] = v }
				m = (nn % 2) ? r[(nn + 1) / 2] : (r[nn / 2] + r[nn / 2 + 1]) / 2
				printf "%s %s %.2f %s\n", bn, bo, m, (h["new"] == h["old"]) ? "identical" : "DIFFERENT"
			}'
}

echo
echo "rows: $rows, best of $runs, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-24s %-10s %9s %9s %9s %7s  %s\n" case plan "new ms" "old ms" "old/new" median result
for workers in 0 2; do
	plan=serial
	[ "$workers" -gt 0 ] && plan="$workers workers"
	settings="SET max_parallel_workers_per_gather = $workers; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;"
	for c in "${cases[@]}"; do
		IFS='|' read -r name group <<<"$c"
		read -r t_new t_old median same < <(time_pair "$settings" "$group")
		printf "%-24s %-10s %9.1f %9.1f %8.2fx %6sx  %s\n" "$name" "$plan" "$t_new" "$t_old" \
			"$(awk -v a="$t_old" -v b="$t_new" 'BEGIN { print a / b }')" "$median" "$same"
	done
done
