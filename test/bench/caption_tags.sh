#!/usr/bin/env bash
# Benchmark of tiktrack.caption_tags() (C, src/caption_tags.c) against
# 0.1.0's SQL definition (regexp_matches, lower, GROUP BY), recreated in the
# same database as the baseline, in one run on one throwaway cluster.
#
# 100,000 realistic captions (about 120 characters: a sentence, 3 to 5
# hashtags, a mention, an emoji), one call per caption and sigil '#'.
# Prints the best of N of each in microseconds per call (a scan computing
# length() only is subtracted), old/new, and whether both give the same
# arrays for every caption and both sigils.
#
# Usage: test/bench/caption_tags.sh
# Environment: BENCH_ROWS (default 100000), BENCH_RUNS (default 5),
#   BENCH_PORT (default: a free port).
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${BENCH_ROWS:-100000}
runs=${BENCH_RUNS:-5}
port=${BENCH_PORT:-$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}

work=$(mktemp -d /tmp/tiktrack-bench-tags.XXXXXX)
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
"${as_user[@]}" "$bindir/initdb" -D "$work/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
cat >>"$work/data/postgresql.conf" <<EOF
port = $port
listen_addresses = ''
unix_socket_directories = '$work'
shared_preload_libraries = 'tiktrack'
tiktrack.worker_enabled = off
max_parallel_workers_per_gather = 0
jit = off
EOF
"${as_user[@]}" "$bindir/pg_ctl" -D "$work/data" -l "$work/server.log" -w start >/dev/null
psql_cmd=("${as_user[@]}" "$bindir/psql" -X -q -At -h "$work" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1)

# One session: the tables are temporary, and each timing is the server's
# own (clock_timestamp around a plpgsql loop of full scans).
"${psql_cmd[@]}" <<EOF
CREATE EXTENSION tiktrack;
CREATE FUNCTION old_caption_tags(caption text, sigil text)
RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS \$\$
	SELECT coalesce(array_agg(tag ORDER BY first_pos), '{}')
	FROM (
		SELECT lower(m[1]) AS tag, min(n) AS first_pos
		FROM regexp_matches(caption,
							'(?:^|[^[:alnum:]_])' || CASE sigil WHEN '#' THEN '#' ELSE '@' END
							|| '([[:alnum:]_][[:alnum:]_.]*[[:alnum:]_]|[[:alnum:]_])', 'g')
			 WITH ORDINALITY AS r(m, n)
		GROUP BY lower(m[1])
	) t
\$\$;
CREATE TABLE captions AS
SELECT i, (ARRAY['Morning routine that changed my life, honestly try it',
				 'POV: you finally found the perfect summer outfit for the beach',
				 'Trying the viral pasta recipe everyone keeps talking about lol',
				 'Day 12 of learning to skate, still falling but getting better'])[1 + i % 4]
	|| CASE WHEN i % 2 = 1 THEN '. Save this for later and share it with a friend!' ELSE '' END
	|| ' #fyp #ForYou #' || (ARRAY['summer', 'Recipe', 'skate', 'OOTD', 'été'])[1 + i % 5]
	|| CASE WHEN i % 2 = 0 THEN ' #viral' ELSE '' END
	|| CASE WHEN i % 3 = 0 THEN ' #trend' || (i % 97) ELSE '' END
	|| ' @' || (ARRAY['bob.smith', 'Alice_B', 'chef.mario'])[1 + i % 3] || ' ✨' AS caption
FROM generate_series(1, $rows) AS i;
VACUUM ANALYZE captions;

CREATE FUNCTION best_ms(query text, runs int) RETURNS float8 LANGUAGE plpgsql AS \$\$
DECLARE
	best float8;
	t0 timestamptz;
	ms float8;
BEGIN
	FOR r IN 1..runs LOOP
		t0 := clock_timestamp();
		EXECUTE query;
		ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
		best := least(best, ms);
	END LOOP;
	RETURN best;
END
\$\$;

\echo rows: $rows, best of $runs, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)
SELECT format('characters per caption %s, hashtags per caption %s',
			  avg(length(caption))::int, avg(cardinality(tiktrack.caption_tags(caption, '#')))::numeric(3, 1))
FROM captions;
WITH t AS (
	SELECT best_ms('SELECT sum(length(caption)) FROM captions', $runs) AS scan,
		   best_ms('SELECT sum(cardinality(old_caption_tags(caption, ''#''))) FROM captions', $runs) AS old,
		   best_ms('SELECT sum(cardinality(tiktrack.caption_tags(caption, ''#''))) FROM captions', $runs) AS new
)
SELECT format('old (SQL): %s us/call   new (C): %s us/call   old/new: %s',
			  round(((old - scan) * 1000 / $rows)::numeric, 2),
			  round(((new - scan) * 1000 / $rows)::numeric, 2),
			  round(((old - scan) / (new - scan))::numeric, 1))
FROM t;
SELECT format('same arrays for every caption and sigil: %s',
			  count(*) FILTER (WHERE tiktrack.caption_tags(caption, s) IS DISTINCT FROM old_caption_tags(caption, s)) = 0)
FROM captions, (VALUES ('#'), ('@')) AS v(s);
EOF
