#!/usr/bin/env bash
# Noise-free companion of top_values.sh: CPU instructions per row of
# tiktrack.top_values with its 0.2.0 state (tiktrack.top_values_state)
# and of the same aggregate with 0.1.0's "internal" state (recreated from
# the entry points the library keeps for 0.1.0), counted by valgrind
# (callgrind) in a single-user backend, serial, JIT off.  Everything the
# query does is counted (scan, grouping, the aggregate, ranking, output).
#
# Usage: test/bench/top_values_instructions.sh
# Environment: BENCH_ROWS (default 100000).  Needs valgrind.
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${BENCH_ROWS:-100000}
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 1; }

work=$(mktemp -d /tmp/tiktrack-bench-topv-instr.XXXXXX)
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
INSERT INTO bench_posts
SELECT g % ($rows / 10), g % 1000,
	   ARRAY(SELECT 'tag' || (random() * random() * 2000)::int
			 FROM generate_series(1, 3 + (g % 4)) WHERE g > 0)
FROM generate_series(1, $rows) g;
VACUUM ANALYZE bench_posts;
EOF
"${as_user[@]}" "$bindir/pg_ctl" -D "$work/data" -w stop >/dev/null

# Instructions of a single-user session that runs the query once.
session_instructions() {
	local input="$work/session.sql"
	echo "SET jit = off; SET max_parallel_workers_per_gather = 0; SET work_mem = '256MB'; $1;" >"$input"
	[ "$(id -u)" -eq 0 ] && chown postgres "$input"
	rm -f "$work"/callgrind.out.*
	"${as_user[@]}" valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out.%p" \
		"$bindir/postgres" --single -D "$work/data" postgres <"$input" >/dev/null 2>"$work/valgrind.log"
	sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' "$work"/callgrind.out.* | head -n 1
}

query() {
	local agg=$1 group=$2
	if [ -z "$group" ]; then
		echo "SELECT md5($agg(hashtags, 10)::text) FROM bench_posts"
	else
		echo "SELECT md5(string_agg(t::text, ',' ORDER BY g)) FROM (SELECT $group AS g, $agg(hashtags, 10) AS t FROM bench_posts GROUP BY $group) s"
	fi
}

cases=(
	"one group|"
	"1000 groups (creator)|creator"
	"$((rows / 10)) groups (video)|video"
)
echo "instructions per row, $rows rows of 3 to 6 hashtags, serial, JIT off (valgrind callgrind)"
base=$(session_instructions "SELECT 1")
per_row() { awk -v t="$1" -v b="$base" -v n="$rows" 'BEGIN { printf "%.1f", (t - b) / n }'; }
printf "%-24s %10s %10s %9s\n" case "0.2.0" "0.1.0" "old/new"
for c in "${cases[@]}"; do
	IFS='|' read -r name group <<<"$c"
	n=$(per_row "$(session_instructions "$(query tiktrack.top_values "$group")")")
	o=$(per_row "$(session_instructions "$(query old_top_values "$group")")")
	printf "%-24s %10s %10s %8.3fx\n" "$name" "$n" "$o" "$(awk -v n="$n" -v o="$o" 'BEGIN { print o / n }')"
done
