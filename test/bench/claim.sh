#!/usr/bin/env bash
# Claim benchmark: 1,000,000 tracked videos of 10,000 creators, 1% of them
# due; latency of claiming a batch (tiktrack.claim_due_videos, FOR UPDATE
# SKIP LOCKED through videos_due_idx), measured with pgbench, each claim
# rolled back so the due set stays the same.
#   VIDEOS=1000000 test/bench/claim.sh
bench_name=claim
source "$(dirname "$0")/worker_common.sh"
videos=${VIDEOS:-1000000}

start_cluster "tiktrack.worker_enabled = off"
psql_ -d postgres -c "CREATE EXTENSION tiktrack"
echo "loading $videos tracked videos"
psql_ -d postgres <<SQL
INSERT INTO tiktrack.creators (id, handle, auth_status, authorized_via)
SELECT g, 'creator' || g, 'authorized', 'display' FROM generate_series(1, 10000) g;
INSERT INTO tiktrack.videos (id, creator_id, url, track_until, next_fetch_at, posted_at)
SELECT 7000000000000000000 + g, 1 + g % 10000, 'https://www.tiktok.com/@x/video/' || g,
	   now() + interval '7 days',
	   CASE WHEN g % 100 = 0 THEN now() - interval '1 minute' * (g % 7)
			ELSE now() + interval '1 second' * (g % 86400) END,
	   now() - interval '1 day'
FROM generate_series(1, $videos) g;
VACUUM ANALYZE tiktrack.videos;
SQL
echo "  tracked: $(psql_ -d postgres -c 'SELECT count(*) FROM tiktrack.videos'), due: $(psql_ -d postgres -c 'SELECT count(*) FROM tiktrack.videos WHERE next_fetch_at <= now()')"
psql_ -d postgres -c "CREATE EXTENSION pg_prewarm" -c "SELECT sum(pg_prewarm(c.oid::regclass)) FROM pg_class c
	WHERE c.relnamespace = 'tiktrack'::regnamespace AND c.relkind IN ('r', 'i')" >/dev/null
# pgbench scripts: a claim as the worker commits it (synchronous_commit off,
# each claim takes the next due videos), and a claim rolled back.
bench() {
	printf '%s\n' "$2" >"$out/claim.sql"
	chmod a+r "$out/claim.sql"
	"${as_owner[@]}" "$pgbin/pgbench" -n -t "$1" -f "$out/claim.sql" -h "$out" -p "$port" -U postgres postgres 2>/dev/null |
		awk '/latency average/ { print $4 }'
}
echo "  claim   20 due videos, committed:   $(bench 200 'SET synchronous_commit = off;
SELECT count(*) FROM tiktrack.claim_due_videos(20);') ms per claim (200 claims)"
echo "  claim   20 due videos, rolled back: $(bench 200 'BEGIN;
SELECT count(*) FROM tiktrack.claim_due_videos(20);
ROLLBACK;') ms per claim"
echo "  find and lock 20 due videos only (the index part of a claim): $(bench 200 'BEGIN;
SELECT count(*) FROM (SELECT v.id FROM tiktrack.videos v WHERE v.next_fetch_at <= now()
	ORDER BY v.next_fetch_at LIMIT 20 FOR UPDATE SKIP LOCKED) d;
ROLLBACK;') ms"
echo "  claim 1000 due videos, committed:   $(bench 5 'SET synchronous_commit = off;
SELECT count(*) FROM tiktrack.claim_due_videos(1000, interval '"'"'5 minutes'"'"');') ms per claim (with companions within 5 minutes)"
echo "  plan of the due-video scan:"
psql_ -d postgres -c "EXPLAIN (COSTS OFF) SELECT v.id FROM tiktrack.videos v WHERE v.next_fetch_at <= now() ORDER BY v.next_fetch_at LIMIT 1000 FOR UPDATE SKIP LOCKED" | sed 's/^/    /'
