#!/usr/bin/env bash
# Claim benchmark: 1,000,000 tracked videos of 10,000 creators, 1% of them
# due; latency of the worker's claim of a batch (tiktrack.claim_due_videos:
# the worker's own claim, which reads video_schedule_due_idx and writes
# nothing), measured with pgbench, against a claim that writes a lease on
# every claimed row (as 0.1.0's did), measured in the same run.
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
INSERT INTO tiktrack.videos (id, creator_id, url, track_until, posted_at)
SELECT 7000000000000000000 + g, 1 + g % 10000, 'https://www.tiktok.com/@x/video/' || g,
	   now() + interval '7 days', now() - interval '1 day'
FROM generate_series(1, $videos) g;
INSERT INTO tiktrack.video_schedule (video_id, next_fetch_at)
SELECT 7000000000000000000 + g,
	   CASE WHEN g % 100 = 0 THEN now() - interval '1 minute' * (g % 7)
			ELSE now() + interval '1 second' * (g % 86400) END
FROM generate_series(1, $videos) g;
VACUUM ANALYZE tiktrack.videos, tiktrack.video_schedule;
SQL
echo "  tracked: $(psql_ -d postgres -c 'SELECT count(*) FROM tiktrack.videos'), due: $(psql_ -d postgres -c 'SELECT count(*) FROM tiktrack.video_schedule WHERE next_fetch_at <= now()')"
psql_ -d postgres -c "CREATE EXTENSION pg_prewarm" -c "SELECT sum(pg_prewarm(c.oid::regclass)) FROM pg_class c
	WHERE c.relnamespace = 'tiktrack'::regnamespace AND c.relkind IN ('r', 'i')" >/dev/null
# pgbench scripts; every claim sees the same due videos (nothing is stored).
bench() {
	printf '%s\n' "$2" >"$out/claim.sql"
	chmod a+r "$out/claim.sql"
	"${as_owner[@]}" "$pgbin/pgbench" -n -t "$1" -f "$out/claim.sql" -h "$out" -p "$port" -U postgres postgres 2>/dev/null |
		awk '/latency average/ { print $4 }'
}
# A claim that writes a 10-minute lease on each row it takes (FOR UPDATE
# SKIP LOCKED, then an UPDATE), rolled back so the due set stays.
leased() {
	echo "BEGIN;
UPDATE tiktrack.video_schedule s SET next_fetch_at = now() + interval '10 minutes'
WHERE s.video_id = ANY (ARRAY(SELECT d.video_id FROM tiktrack.video_schedule d WHERE d.claim_at <= now()
	ORDER BY d.claim_at LIMIT $1 FOR UPDATE SKIP LOCKED));
ROLLBACK;"
}
for n in 20 1000; do
	ours=$(bench 200 "SELECT count(*) FROM tiktrack.claim_due_videos($n);")
	base=$(bench 200 "$(leased $n)")
	echo "  claim $n due videos: $ours ms;" \
		"a claim writing a lease on each row: $base ms; ratio $(echo "scale=2; $base / $ours" | bc -l)x"
done
for n in 20 1000; do
	echo "  claim $n due videos and their creators' videos due within 5 minutes (the worker's default):" \
		"$(bench 20 "SELECT count(*) FROM tiktrack.claim_due_videos($n, interval '5 minutes');") ms"
done
echo "  plan of the due-video scan:"
psql_ -d postgres -c "EXPLAIN (COSTS OFF) SELECT s.video_id FROM tiktrack.video_schedule s WHERE s.claim_at <= now() ORDER BY s.claim_at LIMIT 1000" | sed 's/^/    /'
